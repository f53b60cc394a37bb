// Composition root of one bridge process: the three doors (DESIGN 1), the
// WebSocket server, the uplink and downlink, the upstream client and the store.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { BridgeConfig, HostPort } from '../config/config.js';
import { createAdminServer } from '../http/admin-server.js';
import { createDownlinkServer } from '../http/downlink-server.js';
import { UpstreamClient } from '../http/upstream-client.js';
import { silentLogger } from '../log.js';
import { codecFor, contentCodecFor } from '../primitive/codecs.js';
import { createStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { WsServer } from '../ws/ws-server.js';
import { CloseCode } from '../ws/ws-session.js';
import { Downlink } from './downlink.js';
import { Registry } from './registry.js';
import { Uplink } from './uplink.js';

export interface BridgeAddresses {
  public: HostPort;
  downlink: HostPort;
  admin: HostPort;
  /** Base URL registrees' poa point to (without `/r/<key>`). */
  downlinkUrl: string;
}

export interface Bridge {
  start(): Promise<BridgeAddresses>;
  stop(): Promise<void>;
  readonly addresses: BridgeAddresses | undefined;
  readonly registry: Registry;
  readonly store: Store;
  /** Open WebSocket connections, bound or not. */
  connectionCount(): number;
}

export interface BridgeDependencies {
  logger?: Logger;
  /** A store to use instead of the one named by config.store (tests). */
  store?: Store;
}

/** How long stop() waits for peers to finish closing before dropping them. */
const STOP_GRACE_MS = 2000;

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

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export function createBridge(config: BridgeConfig, deps: BridgeDependencies = {}): Bridge {
  const logger = deps.logger ?? silentLogger();
  const store = deps.store ?? createStore(config.store);
  const registry = new Registry();
  const upstreamContent = contentCodecFor(config.upstreamFormat);
  const upstream = new UpstreamClient({
    url: config.upstream,
    content: upstreamContent,
    contentFor: contentCodecFor,
    timeoutMs: config.upstreamTimeoutMs,
    connections: config.upstreamConnections,
  });
  let addresses: BridgeAddresses | undefined;
  let downlinkBase = '';

  const uplink = new Uplink({
    upstream,
    store,
    registry,
    logger,
    poaMode: config.poaMode,
    allowOriginator: new Set(config.allowOriginator),
    downlinkBase: () => downlinkBase,
  });
  const downlink = new Downlink({
    store,
    registry,
    logger,
    timeoutMs: config.downlinkTimeoutMs,
    defaultSerialization: config.upstreamFormat,
    contentFor: contentCodecFor,
  });

  const ws = new WsServer({
    deflate: config.deflate,
    pingIntervalMs: config.pingIntervalMs,
    maxPayload: config.maxMessageBytes,
    codecFor,
    handler: uplink,
    onOpen: (session) => {
      logger.info({ conn: session.id, subprotocol: session.subprotocol, remote: session.remoteAddress, origin: session.handshakeOrigin }, 'connection open');
      uplink.bindHandshakeOrigin(session);
    },
    onClose: (session, code, reason) => {
      logger.info({ conn: session.id, registree: session.registreeId, code, reason }, 'connection closed');
      registry.unbind(session);
    },
    onReject: (remote, reason) => logger.info({ remote, reason }, 'handshake refused'),
  });

  const publicServer = createServer((req, res) => {
    // HTTP passthrough to the CSE arrives with DESIGN 1's reverse-proxy door.
    const body = 'this door serves the oneM2M WebSocket binding (TS-0020) at "/"; HTTP passthrough is not enabled\n';
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    req.resume();
  });
  publicServer.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));
  const downlinkServer = createDownlinkServer(downlink.handle, config.maxMessageBytes);
  const adminServer = createAdminServer({ healthy: () => true });
  for (const server of [publicServer, downlinkServer, adminServer]) {
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  return {
    registry,
    store,
    connectionCount: () => ws.sessions.size,
    get addresses() {
      return addresses;
    },
    async start() {
      await store.open();
      const [pub, down, admin] = await Promise.all([
        listen(publicServer, config.listen),
        listen(downlinkServer, config.downlinkListen),
        listen(adminServer, config.adminListen),
      ]);
      const downlinkUrl = config.downlinkUrl !== '' ? config.downlinkUrl.replace(/\/+$/, '') : `http://${urlHost(down.host)}:${down.port}`;
      downlinkBase = `${downlinkUrl}/r/`;
      addresses = { public: pub, downlink: down, admin, downlinkUrl };
      logger.info({ public: pub, downlink: down, admin, downlinkUrl, upstream: config.upstream.href, store: store.description }, 'bridge listening');
      if (store.description === 'memory') logger.warn('store is memory: registrations are lost when the process exits');
      return addresses;
    },
    async stop() {
      ws.closeAll(CloseCode.GoingAway, 'bridge shutting down');
      // Peers get a moment for the closing handshake; then their sockets go.
      const force = setTimeout(() => {
        ws.terminateAll();
        for (const server of [publicServer, downlinkServer, adminServer]) server.closeAllConnections();
      }, STOP_GRACE_MS);
      await Promise.all([closeServer(publicServer), closeServer(downlinkServer), closeServer(adminServer)]);
      clearTimeout(force);
      ws.close();
      await upstream.close();
      await store.close();
    },
  };
}
