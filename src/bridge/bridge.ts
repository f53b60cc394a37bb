// Composition root of one bridge process: the three doors (DESIGN 1), the
// WebSocket server, registree requests (uplink) and notifications (downlink), queue delivery, the upstream
// client, the store and the metrics.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { BridgeConfig, HostPort } from '../config/config.js';
import { SingleNode } from '../cluster/cluster.js';
import type { Cluster } from '../cluster/cluster.js';
import { RedisCluster } from '../cluster/redis-cluster.js';
import { createAdminServer } from '../admin/admin-server.js';
import { registreeAdmin } from '../admin/registree-admin.js';
import { bridgeStatus, displayUrl } from '../admin/bridge-status.js';
import { RequestRate, primitiveTotals } from '../admin/request-rate.js';
import { applyDoorLimits } from '../http/door-limits.js';
import { badRequestLogger } from '../http/bad-request-log.js';
import { createDownlinkServer } from '../http/downlink-server.js';
import { createPassthrough } from '../http/passthrough.js';
import { StartError } from '../errors.js';
import { silentLogger } from '../log.js';
import { redactUrl } from '../redact.js';
import { BridgeMetrics, METRIC_NAMES } from '../metrics/metrics.js';
import { codecFor, contentCodecFor } from '../primitive/codecs.js';
import { createStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { WsServer } from '../ws/ws-server.js';
import { CloseCode } from '../ws/ws-session.js';
import { handshakeAuthorizer } from './access.js';
import { parseCredentials, parseIdentityMap } from '../config/access-files.js';
import { Downlink } from './downlink.js';
import { QueueDelivery } from './queue-delivery.js';
import { Registry } from './registry.js';
import { RegistreeRequests } from './registree-requests.js';
import { RegistrationExpiry } from './registration-expiry.js';
import { startMaintenance } from './maintenance.js';
import type { Maintenance } from './maintenance.js';
import { passthroughGate } from './passthrough-gate.js';
import { LISTEN_REFUSED, listenDoors } from './door-listen.js';
import { shutdown } from './shutdown.js';
import { openStore, storeRefused } from './store-open.js';
import { warnExposedDoors } from './exposure-warnings.js';
import { readiness } from './readiness.js';
import { RegistreeCount } from './registree-count.js';
import { connectionEvents } from './connection-events.js';
import { publicRequestHandler } from './public-door.js';
import { createPublicServer } from './public-tls.js';
import { UpstreamCseId } from './upstream-cse-id.js';
import type { CseIdentity } from './canonical-id.js';
import { createUpstreamClient, upstreamTlsFiles } from './upstream-from-config.js';
import { closingUpstreamMessage } from '../http/closing-upstream.js';
import { urlHost } from '../http/url-host.js';
import { createUplinkMode } from '../uplink-mode/uplink-mode.js';
import { VERSION } from '../version.js';
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

export function createBridge(config: BridgeConfig, deps: BridgeDependencies = {}): Bridge {
  const createdAt = Date.now();
  const logger = deps.logger ?? silentLogger();
  const redisTls = config.redisCa !== '' ? { ca: readFileSync(config.redisCa) } : undefined;
  const store = deps.store ?? createStore(config.store, { redisPrefix: config.redisPrefix, redisTls, redisDurability: config.redisDurability, logger });
  // DESIGN 6: replicas sharing a redis store share ownership and route to each other.
  const cluster: Cluster = /^rediss?:\/\//i.test(config.store) && store.shared
    ? new RedisCluster({
        url: config.store,
        prefix: config.redisPrefix,
        replicaId: config.replicaId !== '' ? config.replicaId : `${hostname()}-${randomBytes(3).toString('hex')}`,
        ownerTtlMs: config.ownerTtlMs,
        logger,
        tls: redisTls,
        onRoute: (outcome) => metrics.clusterRoute(outcome),
      })
    : new SingleNode();
  const registry = new Registry((id) => void cluster.release(id));
  const registrees = new RegistreeCount(store, cluster, registry);
  const registreeCounts = () => registrees.counts();
  const metrics = new BridgeMetrics({
    registrees: registreeCounts,
    queueTotals: () => store.totals(),
    storeUp: () => storeUp(),
    upstreamUp: () => probeUpstream(),
  });
  const upstreamTls = upstreamTlsFiles(config);
  const upstream = createUpstreamClient(config, upstreamTls, {
    onConnectionOpened: () => metrics.upstreamConnectionOpened(),
    onClosingUpstream: (evidence) => logger.warn({ upstream: config.upstream.origin, ...evidence }, closingUpstreamMessage(evidence)),
  });
  /** The one upstream probe behind /readyz and upstream_up; callers at the same time share it. */
  let probing: Promise<boolean> | undefined;
  const probeUpstream = (): Promise<boolean> =>
    (probing ??= upstream.reachable().finally(() => {
      probing = undefined;
    }));
  const identityTls = config.identity === 'tls' || (config.identity === 'auto' && config.tlsClientAuth === 'require');
  const upstreamCseId = new UpstreamCseId({
    cseId: config.cseId,
    spId: config.spId,
    probeOriginator: config.allowOriginator.find((o) => !o.endsWith('*')),
    send: (req) => upstream.send(req),
    logger,
  });
  let addresses: BridgeAddresses | undefined;
  let downlinkBase = '';
  let storeOpen = false;
  /** Every door listens (never ready before that). */
  let started = false;
  let stopping: Promise<void> | undefined;
  let maintenance: Maintenance | undefined;

  const delivery = new QueueDelivery({
    store,
    logger,
    timeoutMs: config.downlinkTimeoutMs,
    window: DELIVERY_WINDOW,
    onDelivered: (n) => metrics.queueEvent('delivered', n),
  });
  const registreeRequests = new RegistreeRequests({
    upstream,
    store,
    registry,
    logger,
    poaMode: config.poaMode,
    identityTls,
    identityModes: { tls: identityTls, identityMap: config.identityMap !== '', credentials: config.credentials !== '' },
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
          bound: async (ids) => {
            const owners = await cluster.owners(ids);
            return new Set(ids.filter((id) => registry.sessionForId(id) !== undefined || owners.has(id)));
          },
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

  /** Unbinds and closes the registree's connection on this replica; false when it has none here. */
  function closeRegistree(id: string, code: number, reason: string): boolean {
    const session = registry.sessionForId(id);
    if (session === undefined) return false;
    registry.unbind(session);
    session.close(code, reason);
    return true;
  }

  const refreshRegistreeCount = () => registrees.refresh();

  const identityMap = config.identityMap !== '' ? parseIdentityMap(readFileSync(config.identityMap, 'utf8'), config.identityMap).map : undefined;
  const credentials = config.credentials !== '' ? parseCredentials(readFileSync(config.credentials, 'utf8'), config.credentials).credentials : undefined;
  const ws = new WsServer({
    authorize: handshakeAuthorizer(identityMap, credentials, upstreamCseId, identityTls),
    deflate: config.deflate,
    pingIntervalMs: config.pingIntervalMs,
    maxPayload: config.maxMessageBytes,
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    limits: {
      maxInFlight: config.maxInFlight,
      rateLimit: config.rateLimit,
      maxDownlinkInflight: config.maxDownlinkInflight,
      maxDownlinkBufferedBytes: config.maxDownlinkBufferedBytes,
      maxUnboundMessageBytes: config.maxUnboundMessageBytes,
    },
    drainTimeoutMs: config.downlinkTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    codecFor,
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
  const publicServer = publicDoor.server;
  const downlinkServer = createDownlinkServer(downlink.handle, { maxBodyBytes: config.maxDownlinkBodyBytes, allow: config.downlinkAllow });

  const storeUp = () => storeOpen && store.available() && cluster.available();
  const ready = readiness({
    probeUpstream,
    storeUp,
    started: () => started,
    registrarConnected: uplinkMode !== undefined ? () => uplinkMode.client.connected : undefined,
  });
  const adminServer = createAdminServer({
    ready,
    // The downlink door alone: registrees bound here get the CSE's requests while the upstream or Redis is away.
    downlinkReady: async () => ({ ready: started, checks: { doors: started } }),
    metrics: () => metrics.render(),
    status: bridgeStatus({
      version: VERSION,
      startedAt: createdAt,
      replica: cluster.replicaId,
      clustered: cluster instanceof RedisCluster,
      store: store.description,
      upstream: displayUrl(config.upstream),
      ready,
      connections: () => {
        const by: Record<string, number> = {};
        for (const session of ws.sessions) by[session.subprotocol] = (by[session.subprotocol] ?? 0) + 1;
        return by;
      },
      registrees: registreeCounts,
      queueTotals: () => store.totals(),
      rate: new RequestRate(() => primitiveTotals(metrics.registry, METRIC_NAMES.primitives), createdAt),
    }),
    ...registreeAdmin({
      store,
      registry,
      cluster,
      clustered: cluster instanceof RedisCluster,
      canonical: (id) => upstreamCseId.canonical(id),
      closeRegistree,
      refreshRegistreeCount,
      logger,
    }),
  }, { token: config.adminToken, onError: (err, req) => logger.error({ path: req.path, err: err instanceof Error ? err.message : String(err) }, 'admin request failed') });
  // Slowloris: request head and body in time, on every door, per connection.
  // Every bad request a door answers is a (rate-limited) warn line (issue 17).
  const doorLimits = { headTimeoutMs: config.handshakeTimeoutMs, bodyTimeoutMs: config.bodyTimeoutMs, onBadRequest: badRequestLogger(logger) };
  applyDoorLimits(publicServer, { ...doorLimits, door: 'public', onUpgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head) });
  applyDoorLimits(downlinkServer, { ...doorLimits, door: 'downlink' });
  applyDoorLimits(adminServer, { ...doorLimits, door: 'admin' });

  async function startAll(): Promise<BridgeAddresses> {
    await openStore(store);
    storeOpen = true;
    await cluster
      .start({
        deliver: async (id, req) => downlink.deliverRouted(id, req),
        release: (id, why) => {
          if (why === 'replaced') closeRegistree(id, CloseCode.Replaced, `registree ${id} bound by a newer connection on another replica (TS-0020 5.2)`);
          else closeRegistree(id, CloseCode.Deregistered, `registree ${id} removed by the operator`);
        },
        kick: (id) => {
          const session = registry.sessionForId(id);
          if (session !== undefined) delivery.kick(session);
        },
      })
      .catch((err: unknown) => {
        throw storeRefused(err);
      });
    await refreshRegistreeCount().catch((err: unknown) => {
      throw storeRefused(err);
    });
    const { public: pub, downlink: down, admin } = await listenDoors({ public: publicServer, downlink: downlinkServer, admin: adminServer }, config);
    const downlinkUrl = config.downlinkUrl !== '' ? config.downlinkUrl.replace(/\/+$/, '') : `http://${urlHost(down.host)}:${down.port}`;
    downlinkBase = `${downlinkUrl}/r/`;
    if (uplinkMode !== undefined) {
      await uplinkMode.start().catch((err: unknown) => {
        throw new StartError('environment', '--uplink-listen', `--uplink-listen ${urlHost(config.uplinkListen.host)}:${config.uplinkListen.port}: cannot listen: ${LISTEN_REFUSED[(err as NodeJS.ErrnoException).code ?? ''] ?? String(err)}`, { cause: err });
      });
    }
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
    // Credentials in a URL never reach the log (SECURITY.md).
    logger.info({ version: VERSION, public: pub, downlink: down, admin, downlinkUrl: redactUrl(downlinkUrl), upstream: redactUrl(config.upstream.href), store: store.description }, 'bridge listening');
    warnExposedDoors(config, { identityTls, identityMap: identityMap !== undefined, credentials: credentials !== undefined, secure: publicDoor.secure }, logger);
    // The CSE-ID every originator is compared with (DESIGN 3); not waited for: the CSE may be down now.
    void upstreamCseId.ensure();
    if (cluster instanceof RedisCluster) logger.info({ replica: cluster.replicaId, ownerTtlMs: config.ownerTtlMs }, 'cluster mode: sharing registrees with the replicas on the same Redis prefix');
    if (store.description === 'memory') logger.warn('store is memory: registrations and stored requests are lost when the process exits');
    return addresses;
  }

  /** SIGTERM semantics, once: later calls (and the undoing of a failed start) share it. */
  async function stopNow(): Promise<void> {
    started = false;
    maintenance?.stop();
    await shutdown({
      uplinkMode,
      doors: [publicServer, downlinkServer, adminServer],
      inflightIdle: () => registreeRequests.idle(),
      ws,
      releaseAfterDoors: [() => cluster.stop(), async () => passthrough?.close(), () => upstream.close()],
      closeStore: () => {
        storeOpen = false;
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
