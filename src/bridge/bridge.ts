// Composition root of one bridge process: creates the parts (the three doors
// of DESIGN 1, the WebSocket server, registree requests and notifications,
// queue delivery, the upstream client, store, cluster, metrics) and wires them
// together; what each part does lives in its own file (docs/architecture.md).
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { BridgeConfig, HostPort } from '../config/config.js';
import { SingleNode } from '../cluster/cluster.js';
import type { Cluster } from '../cluster/cluster.js';
import { createAdminDoor } from '../admin/admin-door.js';
import { applyDoorLimits } from '../http/door-limits.js';
import { badRequestLogger } from '../http/bad-request-log.js';
import { createDownlinkServer } from '../http/downlink-server.js';
import { createPassthrough } from '../http/passthrough.js';
import { silentLogger } from '../log.js';
import { BridgeMetrics } from '../metrics/metrics.js';
import { contentCodecFor } from '../primitive/codecs.js';
import { createStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { handshakeAuthorizer } from './access.js';
import { accessFromConfig } from './access-from-config.js';
import { boundAnywhere, clusterFor, clusterHandlers } from './cluster-wiring.js';
import { Health } from './health.js';
import { createWsServer } from './ws-from-config.js';
import { Downlink } from './downlink.js';
import { QueueDelivery } from './queue-delivery.js';
import { TurnBudget } from './turn-budget.js';
import { Registry } from './registry.js';
import { RegistreeRequests } from './registree-requests.js';
import { RegistrationExpiry } from './registration-expiry.js';
import { startMaintenance } from './maintenance.js';
import type { Maintenance } from './maintenance.js';
import { passthroughGate } from './passthrough-gate.js';
import { downlinkBaseUrl, listenDoors, startUplinkDoor } from './door-listen.js';
import { shutdown } from './shutdown.js';
import { openStore, storeRefused } from './store-open.js';
import { logStarted } from './start-log.js';
import { readiness } from './readiness.js';
import { RegistreeCount } from './registree-count.js';
import { connectionEvents } from './connection-events.js';
import { publicRequestHandler } from './public-door.js';
import { createPublicServer } from './public-tls.js';
import { UpstreamCseId } from './upstream-cse-id.js';
import type { CseIdentity } from './canonical-id.js';
import { createUpstreamClient, upstreamTlsFiles } from './upstream-from-config.js';
import { closingUpstreamMessage } from '../http/closing-upstream.js';
import { createUplinkMode } from '../uplink-mode/uplink-mode.js';
import type { UplinkMode } from '../uplink-mode/uplink-mode.js';

export interface BridgeAddresses {
  public: HostPort;
  downlink: HostPort;
  admin: HostPort;
  /** Base URL registrees' poa point to (without `/r/<key>`). */
  downlinkUrl: string;
}

export interface Bridge {
  start(): Promise<BridgeAddresses>;
  /** SIGTERM semantics: stop accepting, answer in-flight requests, close WebSockets with 1001, close the store. */
  stop(): Promise<void>;
  readonly addresses: BridgeAddresses | undefined;
  readonly registry: Registry;
  readonly store: Store;
  readonly metrics: BridgeMetrics;
  /** Ownership and routing between replicas (SingleNode unless the store is redis). */
  readonly cluster: Cluster;
  /** --uplink: the outbound WebSocket to a registrar and the uplink door (undefined without --uplink). */
  readonly uplinkMode: UplinkMode | undefined;
  /** The upstream CSE's CSE-ID and SP-ID as known now (DESIGN 3). */
  readonly upstreamCse: CseIdentity;
  /** Open WebSocket connections, bound or not. */
  connectionCount(): number;
  /** Reads --tls-cert/--tls-key/--tls-ca again (SIGHUP); open connections stay. */
  reloadTls(): void;
}

export interface BridgeDependencies {
  logger?: Logger;
  /** A store to use instead of the one named by config.store (tests). */
  store?: Store;
}

/** Stored requests sent before waiting for their answers. */
const DELIVERY_WINDOW = 64;
/** Bindings by handshake origin and drain windows started in one event-loop turn (turn-budget.ts). */
const WORK_UNITS_PER_TURN = 64;

export function createBridge(config: BridgeConfig, deps: BridgeDependencies = {}): Bridge {
  const createdAt = Date.now();
  const logger = deps.logger ?? silentLogger();
  const redisTls = config.redisCa !== '' ? { ca: readFileSync(config.redisCa) } : undefined;
  const store = deps.store ?? createStore(config.store, { redisPrefix: config.redisPrefix, redisTls, redisDurability: config.redisDurability, logger });
  // DESIGN 6: replicas sharing a redis store share ownership and route to each other.
  const cluster: Cluster = clusterFor(config, store, { logger, tls: redisTls, onRoute: (outcome) => metrics.clusterRoute(outcome) });
  const clustered = !(cluster instanceof SingleNode);
  const registry = new Registry((id) => void cluster.release(id));
  const registrees = new RegistreeCount(store, cluster, registry);
  const upstreamTls = upstreamTlsFiles(config);
  const upstream = createUpstreamClient(config, upstreamTls, {
    onConnectionOpened: () => metrics.upstreamConnectionOpened(),
    onClosingUpstream: (evidence) => logger.warn({ upstream: config.upstream.origin, ...evidence }, closingUpstreamMessage(evidence)),
  });
  const health = new Health(store, cluster, upstream);
  const metrics = new BridgeMetrics({ registrees: () => registrees.counts(), queueTotals: () => store.totals(), storeUp: health.storeUp, upstreamUp: health.probeUpstream });
  const access = accessFromConfig(config);
  const { identityTls, identityMap, credentials } = access;
  const upstreamCseId = new UpstreamCseId({
    cseId: config.cseId,
    spId: config.spId,
    probeOriginator: config.allowOriginator.find((o) => !o.endsWith('*')),
    send: (req) => upstream.send(req),
    logger,
  });
  let addresses: BridgeAddresses | undefined;
  let downlinkBase = '';
  /** Every door listens (never ready before that). */
  let started = false;
  let stopping: Promise<void> | undefined;
  let maintenance: Maintenance | undefined;

  // Bindings and drain windows per event-loop turn (issue 19: a 10k reconnect storm on Redis held the loop 0.4–0.8 s).
  const turns = new TurnBudget(WORK_UNITS_PER_TURN);
  const delivery = new QueueDelivery({
    turns,
    store,
    logger,
    timeoutMs: config.downlinkTimeoutMs,
    window: DELIVERY_WINDOW,
    onDelivered: (n) => metrics.queueEvent('delivered', n),
  });
  const registreeRequests = new RegistreeRequests({
    turns,
    upstream,
    store,
    registry,
    logger,
    poaMode: config.poaMode,
    identityTls,
    identityModes: access.modes,
    allowOriginator: config.allowOriginator,
    cse: upstreamCseId,
    downlinkBase: () => downlinkBase,
    // The claim lands before the drain starts, so a request stored meanwhile
    // on another replica is either seen by the drain or kicks it (DESIGN 6).
    // Draining from this tick on (issue 14): nothing live overtakes a stored request while the claim is on its way.
    onBound: (session, reg) => {
      delivery.hold(session);
      const kick = () => delivery.kick(session);
      void cluster.claim(reg.id).then(kick, kick);
    },
    onRegistered: (_reg, isNew) => {
      if (isNew) registrees.added();
    },
    onDeregistered: () => registrees.removed(),
    onPrimitive: (op, rsc, seconds) => metrics.primitive('uplink', op, rsc, seconds),
    onUpstreamError: (kind) => metrics.upstreamError(kind),
  });
  const expiry =
    config.registrationTtlMs > 0
      ? new RegistrationExpiry({
          ttlMs: config.registrationTtlMs,
          store,
          bound: boundAnywhere(cluster, registry),
          logger,
          onExpired: () => registrees.removed(),
        })
      : undefined;
  const downlink = new Downlink({
    store,
    registry,
    logger,
    timeoutMs: config.downlinkTimeoutMs,
    defaultSerialization: config.upstreamFormat,
    contentFor: contentCodecFor,
    delivery,
    cluster,
    offlineAck: config.offlineAck,
    autoVerify: config.autoVerify,
    queueTtlMs: config.queueTtlMs,
    limits: { maxMessages: config.queueMaxMessages, maxBytes: config.queueMaxBytes, globalMaxBytes: config.queueGlobalMaxBytes },
    onPrimitive: (op, rsc, seconds) => metrics.primitive('downlink', op, rsc, seconds),
    onQueueEvent: (event, n) => metrics.queueEvent(event, n),
  });

  const refreshRegistreeCount = () => registrees.refresh();

  const ws = createWsServer(config, {
    authorize: handshakeAuthorizer(identityMap, credentials, upstreamCseId, identityTls),
    handler: registreeRequests,
    ...connectionEvents({ metrics, logger, registry, registreeRequests, expiry }),
  });

  // --uplink: the upstream CSE registers to a WebSocket registrar through this bridge (src/uplink-mode).
  const uplinkMode = config.uplink !== '' ? createUplinkMode(config, { logger, upstream }) : undefined;

  const passthrough = config.passthrough
    ? createPassthrough({ upstream: config.upstream, timeoutMs: config.upstreamTimeoutMs, tls: upstreamTls, maxBodyBytes: config.maxPassthroughBodyBytes, onResponse: (status) => metrics.passthroughRequest(status), logger })
    : undefined;
  // DESIGN 3: with an identity mode on, passthrough authenticates like a handshake.
  const gate = passthroughGate({ identityTls, identityMap, credentials, allowOriginator: config.allowOriginator, cse: upstreamCseId, store });
  const onPublicRequest = publicRequestHandler({ passthrough: passthrough?.handle, gate, logger, onRefused: (status) => metrics.passthroughRequest(status) });
  const publicDoor = createPublicServer(config, onPublicRequest, logger);
  const downlinkServer = createDownlinkServer(downlink.handle, { maxBodyBytes: config.maxDownlinkBodyBytes, allow: config.downlinkAllow });

  const ready = readiness({ probeUpstream: health.probeUpstream, storeUp: health.storeUp, started: () => started, registrarConnected: uplinkMode !== undefined ? () => uplinkMode.client.connected : undefined });
  const adminServer = createAdminDoor({
    config,
    createdAt,
    logger,
    metrics,
    store,
    registry,
    cluster,
    clustered,
    ready,
    doorsOpen: () => started,
    ws,
    registrees,
    canonical: (id) => upstreamCseId.canonical(id),
  });
  // Slowloris: request head and body in time, on every door, per connection.
  // Every bad request a door answers is a (rate-limited) warn line (issue 17).
  const doorLimits = { headTimeoutMs: config.handshakeTimeoutMs, bodyTimeoutMs: config.bodyTimeoutMs, onBadRequest: badRequestLogger(logger) };
  applyDoorLimits(publicDoor.server, { ...doorLimits, door: 'public', onUpgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head) });
  applyDoorLimits(downlinkServer, { ...doorLimits, door: 'downlink' });
  applyDoorLimits(adminServer, { ...doorLimits, door: 'admin' });

  async function startAll(): Promise<BridgeAddresses> {
    await openStore(store);
    health.storeOpened();
    await cluster.start(clusterHandlers({ downlink, registry, delivery })).catch((err: unknown) => {
      throw storeRefused(err);
    });
    await refreshRegistreeCount().catch((err: unknown) => {
      throw storeRefused(err);
    });
    const { public: pub, downlink: down, admin } = await listenDoors({ public: publicDoor.server, downlink: downlinkServer, admin: adminServer }, config);
    const downlinkUrl = downlinkBaseUrl(config.downlinkUrl, down);
    downlinkBase = `${downlinkUrl}/r/`;
    if (uplinkMode !== undefined) await startUplinkDoor(() => uplinkMode.start(), config.uplinkListen);
    addresses = { public: pub, downlink: down, admin, downlinkUrl };
    started = true;
    maintenance = startMaintenance({
      store,
      onPurged: (n) => metrics.queueEvent('expired', n),
      refreshUpstreamCse: () => upstreamCseId.refresh(),
      refreshRegistreeCount,
      expiry,
      logger,
    });
    const protections = { identityTls, identityMap: identityMap !== undefined, credentials: credentials !== undefined, secure: publicDoor.secure };
    logStarted(logger, config, { doors: addresses, store: store.description, replica: clustered ? cluster.replicaId : undefined, protections });
    // The CSE-ID every originator is compared with (DESIGN 3); not waited for: the CSE may be down now.
    void upstreamCseId.ensure();
    return addresses;
  }

  /** SIGTERM semantics, once: later calls (and the undoing of a failed start) share it. */
  async function stopNow(): Promise<void> {
    started = false;
    maintenance?.stop();
    await shutdown({
      uplinkMode,
      doors: [publicDoor.server, downlinkServer, adminServer],
      inflightIdle: () => registreeRequests.idle(),
      ws,
      releaseAfterDoors: [() => cluster.stop(), async () => passthrough?.close(), () => upstream.close()],
      closeStore: () => {
        health.storeClosing();
        return store.close();
      },
    });
  }

  return {
    registry,
    store,
    metrics,
    cluster,
    uplinkMode,
    upstreamCse: upstreamCseId,
    connectionCount: () => ws.sessions.size,
    reloadTls: () => publicDoor.reloadTls(),
    get addresses() {
      return addresses;
    },
    async start() {
      // All or nothing: on any failure whatever was opened is closed again and
      // the error says which setting the host refused (StartError).
      try {
        return await startAll();
      } catch (err) {
        await this.stop().catch(() => undefined);
        throw err;
      }
    },
    stop() {
      stopping ??= stopNow();
      return stopping;
    },
  };
}
