// Composition root of one bridge process: the three doors (DESIGN 1), the
// WebSocket server, the uplink and downlink, queue delivery, the upstream
// client, the store and the metrics.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { BridgeConfig, HostPort } from '../config/config.js';
import { SingleNode } from '../cluster/cluster.js';
import type { Cluster } from '../cluster/cluster.js';
import { RedisCluster } from '../cluster/redis-cluster.js';
import { createAdminServer } from '../http/admin-server.js';
import type { RegistreeView } from '../http/admin-server.js';
import { createDownlinkServer } from '../http/downlink-server.js';
import { createPassthrough } from '../http/passthrough.js';
import { silentLogger } from '../log.js';
import { BridgeMetrics } from '../metrics/metrics.js';
import { codecFor, contentCodecFor } from '../primitive/codecs.js';
import { createStore } from '../store/open-store.js';
import type { Registration, Store } from '../store/store.js';
import { WsServer } from '../ws/ws-server.js';
import { CloseCode } from '../ws/ws-session.js';
import { handshakeAuthorizer, parseCredentials, parseIdentityMap } from './access.js';
import { Downlink } from './downlink.js';
import { QueueDelivery } from './queue-delivery.js';
import { Registry } from './registry.js';
import { Uplink } from './uplink.js';
import { createUpstreamClient, upstreamTlsFiles } from './upstream-from-config.js';
import { urlHost } from '../http/url-host.js';
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

/** How long stop() waits for in-flight uplink requests, then for peers to finish closing. */
const STOP_INFLIGHT_MS = 5000;
const STOP_GRACE_MS = 2000;
/** Expired stored requests are swept, and the registration count resynced, this often. */
const PURGE_INTERVAL_MS = 60_000;
/** Stored requests sent before waiting for their answers. */
const DELIVERY_WINDOW = 64;

function listen(server: Server, at: HostPort): Promise<HostPort> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve({ host: a.address, port: a.port });
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function createBridge(config: BridgeConfig, deps: BridgeDependencies = {}): Bridge {
  const logger = deps.logger ?? silentLogger();
  const redisTls = config.redisCa !== '' ? { ca: readFileSync(config.redisCa) } : undefined;
  const store = deps.store ?? createStore(config.store, { redisPrefix: config.redisPrefix, redisTls });
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
  let knownRegistrees = 0;
  /** Cluster mode: registrees bound on other replicas (refreshed with the registration count). */
  let boundElsewhere = 0;
  const metrics = new BridgeMetrics({
    // online: this replica's sockets (sum over replicas); offline: bound nowhere (the same on every replica).
    registrees: () => ({ online: registry.onlineCount, offline: Math.max(0, knownRegistrees - registry.onlineCount - boundElsewhere) }),
    queueTotals: () => store.totals(),
    storeUp: () => storeOpen && store.available() && cluster.available(),
  });
  const upstreamTls = upstreamTlsFiles(config);
  const upstream = createUpstreamClient(config, upstreamTls);
  let addresses: BridgeAddresses | undefined;
  let downlinkBase = '';
  let storeOpen = false;
  let purgeTimer: NodeJS.Timeout | undefined;

  const delivery = new QueueDelivery({
    store,
    logger,
    timeoutMs: config.downlinkTimeoutMs,
    window: DELIVERY_WINDOW,
    onDelivered: (n) => metrics.queueEvent('delivered', n),
  });
  const uplink = new Uplink({
    upstream,
    store,
    registry,
    logger,
    poaMode: config.poaMode,
    identityTls: config.identity === 'tls' || (config.identity === 'auto' && config.tlsClientAuth === 'require'),
    allowOriginator: new Set(config.allowOriginator),
    downlinkBase: () => downlinkBase,
    // The claim lands before the drain starts, so a request stored meanwhile
    // on another replica is either seen by the drain or kicks it (DESIGN 6).
    onBound: (session, reg) => void cluster.claim(reg.id).then(() => delivery.kick(session)),
    onRegistered: (_reg, isNew) => {
      if (isNew) knownRegistrees++;
    },
    onDeregistered: () => {
      knownRegistrees = Math.max(0, knownRegistrees - 1);
    },
    onPrimitive: (op, rsc, seconds) => metrics.primitive('uplink', op, rsc, seconds),
    onUpstreamError: (kind) => metrics.upstreamError(kind),
  });
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

  /** Counts registrations in the store: at start, periodically (other replicas), after an admin delete. */
  async function refreshRegistreeCount(): Promise<void> {
    knownRegistrees = (await store.listRegistrations()).length;
    const bound = await cluster.boundCount();
    if (bound !== undefined) boundElsewhere = Math.max(0, bound - registry.onlineCount);
  }

  const identityMap = config.identityMap !== '' ? parseIdentityMap(readFileSync(config.identityMap, 'utf8'), config.identityMap).map : undefined;
  const credentials = config.credentials !== '' ? parseCredentials(readFileSync(config.credentials, 'utf8'), config.credentials).credentials : undefined;
  const ws = new WsServer({
    authorize: handshakeAuthorizer(identityMap, credentials),
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
    handler: uplink,
    onOpen: (session) => {
      metrics.connectionOpened(session.subprotocol);
      metrics.handshake('accepted', 'ok');
      logger.info({ conn: session.id, subprotocol: session.subprotocol, remote: session.remoteAddress, origin: session.handshakeOrigin }, 'connection open');
      uplink.bindHandshakeOrigin(session);
    },
    onClose: (session, code, reason) => {
      metrics.connectionClosed(session.subprotocol);
      logger.info({ conn: session.id, registree: session.registreeId, subprotocol: session.subprotocol, remote: session.remoteAddress, code, reason }, 'connection closed');
      registry.unbind(session);
    },
    onStall: (session, reason) => {
      // Offline from now on: what the CSE sends next follows the offline rules (DESIGN 4).
      logger.warn({ conn: session.id, registree: session.registreeId, remote: session.remoteAddress, reason }, 'registree stopped reading: closing with 1008');
      registry.unbind(session);
    },
    onReject: (remote, reason, kind) => {
      metrics.handshake('rejected', kind);
      logger.info({ remote, reason }, 'handshake refused');
    },
  });

  // --uplink: the upstream CSE registers to a WebSocket registrar through this bridge (src/uplink-mode).
  const uplinkMode = config.uplink !== '' ? createUplinkMode(config, { logger, upstream }) : undefined;

  const passthrough = config.passthrough
    ? createPassthrough({ upstream: config.upstream, timeoutMs: config.upstreamTimeoutMs, tls: upstreamTls, onResponse: (status) => metrics.passthroughRequest(status) })
    : undefined;
  const onPublicRequest: Parameters<typeof createServer>[1] = (req, res) => {
    if (passthrough !== undefined) {
      passthrough.handle(req, res);
      return;
    }
    const body = 'this door serves the oneM2M WebSocket binding (TS-0020) at "/"; HTTP passthrough is off (--no-passthrough)\n';
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    req.resume();
  };
  // Head timeouts are only checked every connectionsCheckingInterval (30 s by default).
  const serverOptions = { connectionsCheckingInterval: Math.max(50, Math.min(1000, config.handshakeTimeoutMs)) };
  const tlsFiles = () => ({
    cert: readFileSync(config.tlsCert),
    key: readFileSync(config.tlsKey),
    ...(config.tlsCa !== '' ? { ca: readFileSync(config.tlsCa) } : {}),
  });
  // wss:// (TS-0020 7): client certificates verified against --tls-ca when requested.
  const secureServer =
    config.tlsCert !== ''
      ? createHttpsServer({ ...serverOptions, ...tlsFiles(), requestCert: config.tlsClientAuth !== 'none', rejectUnauthorized: config.tlsClientAuth === 'require' }, onPublicRequest)
      : undefined;
  const publicServer: Server = secureServer ?? createServer(serverOptions, onPublicRequest);
  publicServer.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));
  const downlinkServer = createDownlinkServer(downlink.handle, config.maxDownlinkBodyBytes);

  /** owners: cluster mode, which replica holds each registree. */
  function view(reg: Registration, owners: Map<string, string>): RegistreeView {
    const session = registry.sessionForId(reg.id);
    const q = store.queueStats(reg.id);
    const replica = session !== undefined ? cluster.replicaId : owners.get(reg.id);
    return {
      id: reg.id,
      kind: reg.kind,
      online: replica !== undefined,
      ...(cluster instanceof RedisCluster && replica !== undefined ? { replica } : {}),
      subprotocol: session?.subprotocol,
      remoteAddress: session?.remoteAddress,
      queuedMessages: q.messages,
      queuedBytes: q.bytes,
      registeredAt: new Date(reg.createdAt).toISOString(),
    };
  }
  const adminServer = createAdminServer({
    ready: async () => {
      const upstreamOk = await upstream.reachable();
      const storeOk = storeOpen && store.available() && cluster.available();
      const checks: Record<string, boolean> = { upstream: upstreamOk, store: storeOk };
      // Uplink mode: ready only while the WebSocket to the registrar is open.
      if (uplinkMode !== undefined) checks.registrar = uplinkMode.client.connected;
      return { ready: Object.values(checks).every(Boolean), checks };
    },
    metrics: () => metrics.render(),
    listRegistrees: async () => {
      const regs = await store.listRegistrations();
      const owners = await cluster.owners(regs.map((r) => r.id));
      return regs.map((r) => view(r, owners));
    },
    getRegistree: async (id) => {
      const reg = await store.getRegistration(id);
      return reg === undefined ? undefined : view(reg, await cluster.owners([id]));
    },
    deleteRegistree: async (id) => {
      const reg = await store.getRegistration(id);
      if (reg === undefined) return false;
      if (!closeRegistree(id, CloseCode.Deregistered, `registree ${id} removed by the operator`)) await cluster.evict(id);
      await store.dropQueue(id);
      await store.deleteRegistration(id);
      await refreshRegistreeCount();
      logger.info({ registree: id }, 'registree removed by the operator');
      return true;
    },
  });
  for (const server of [publicServer, downlinkServer, adminServer]) {
    // Slowloris: the request head (and so the handshake) must arrive in time.
    server.headersTimeout = config.handshakeTimeoutMs;
    // HTTP that Node's parser refuses (unknown method, broken head) still gets
    // an answer a oneM2M peer can read: 400 with X-M2M-RSC 4000 and a reason.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT';
      const body = JSON.stringify({ 'm2m:dbg': timeout ? 'request head not complete in time (--handshake-timeout)' : `malformed HTTP request: ${err.code ?? err.message}` });
      socket.end(
        `HTTP/1.1 ${timeout ? '408 Request Timeout' : '400 Bad Request'}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
          `X-M2M-RSC: ${timeout ? 4008 : 4000}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
  }

  return {
    registry,
    store,
    metrics,
    cluster,
    uplinkMode,
    connectionCount: () => ws.sessions.size,
    reloadTls() {
      if (secureServer === undefined) return;
      secureServer.setSecureContext(tlsFiles());
      logger.info({ cert: config.tlsCert }, 'TLS certificate reloaded');
    },
    get addresses() {
      return addresses;
    },
    async start() {
      await store.open();
      storeOpen = true;
      try {
        await cluster.start({
          deliver: async (id, req) => downlink.deliverRouted(id, req),
          release: (id, why) => {
            if (why === 'replaced') closeRegistree(id, CloseCode.Replaced, `registree ${id} bound by a newer connection on another replica (TS-0020 5.2)`);
            else closeRegistree(id, CloseCode.Deregistered, `registree ${id} removed by the operator`);
          },
          kick: (id) => {
            const session = registry.sessionForId(id);
            if (session !== undefined) delivery.kick(session);
          },
        });
      } catch (err) {
        storeOpen = false;
        await store.close();
        throw err;
      }
      await refreshRegistreeCount();
      const [pub, down, admin] = await Promise.all([
        listen(publicServer, config.listen),
        listen(downlinkServer, config.downlinkListen),
        listen(adminServer, config.adminListen),
      ]);
      const downlinkUrl = config.downlinkUrl !== '' ? config.downlinkUrl.replace(/\/+$/, '') : `http://${urlHost(down.host)}:${down.port}`;
      downlinkBase = `${downlinkUrl}/r/`;
      addresses = { public: pub, downlink: down, admin, downlinkUrl };
      purgeTimer = setInterval(() => {
        store.purgeExpired(Date.now()).then(
          (n) => {
            if (n > 0) metrics.queueEvent('expired', n);
          },
          (err: unknown) => logger.error({ err: String(err) }, 'purging expired requests failed'),
        );
        // The count drifts when other replicas (redis) register or an entry is lost: resync it.
        refreshRegistreeCount().catch((err: unknown) => logger.error({ err: String(err) }, 'counting registrations failed'));
      }, PURGE_INTERVAL_MS);
      purgeTimer.unref();
      logger.info({ public: pub, downlink: down, admin, downlinkUrl, upstream: config.upstream.href, store: store.description }, 'bridge listening');
      for (const [door, at2] of [['downlink', config.downlinkListen], ['admin', config.adminListen]] as const) {
        if (!isLoopback(at2.host)) {
          logger.warn({ door, listen: `${at2.host}:${at2.port}` }, `the ${door} door listens beyond loopback without TLS: keep it reachable by ${door === 'downlink' ? 'the CSE' : 'operators and Prometheus'} only (firewall, NetworkPolicy)`);
        }
      }
      if (uplinkMode !== undefined) {
        try {
          await uplinkMode.start();
        } catch (err) {
          // The uplink door could not open: leave no door of this bridge open behind the error.
          await this.stop().catch(() => undefined);
          throw err;
        }
      }
      if (cluster instanceof RedisCluster) logger.info({ replica: cluster.replicaId, ownerTtlMs: config.ownerTtlMs }, 'cluster mode: sharing registrees with the replicas on the same Redis prefix');
      if (store.description === 'memory') logger.warn('store is memory: registrations and stored requests are lost when the process exits');
      return addresses;
    },
    async stop() {
      if (purgeTimer !== undefined) clearInterval(purgeTimer);
      // The registrar link first: the upstream CSE's requests for it get their answers while the doors still stand.
      await uplinkMode?.stop();
      // 1. Stop accepting: no new connections on any door.
      const closing = Promise.all([closeServer(publicServer), closeServer(downlinkServer), closeServer(adminServer)]);
      // 2. Answer what is in flight.
      await Promise.race([uplink.idle(), delay(STOP_INFLIGHT_MS)]);
      // 3. Close WebSockets with 1001; peers get a moment for the closing handshake.
      ws.closeAll(CloseCode.GoingAway, 'bridge shutting down');
      const force = setTimeout(() => {
        ws.terminateAll();
        for (const server of [publicServer, downlinkServer, adminServer]) server.closeAllConnections();
      }, STOP_GRACE_MS);
      await closing;
      clearTimeout(force);
      ws.close();
      await cluster.stop();
      await passthrough?.close();
      await upstream.close();
      // 4. Flush and close the store.
      storeOpen = false;
      await store.close();
    },
  };
}
