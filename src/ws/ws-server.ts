// TS-0020 server side on the public door: the opening handshake (6.2),
// subprotocol choice, permessage-deflate (6.2.2.8), keepalive, and one
// WsSession per connection.
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { PrimitiveCodec } from '../primitive/codec.js';
import type { Serialization } from '../primitive/types.js';
import { framedSocket } from './framed-socket.js';
import type { DrainWatch } from './framed-socket.js';
import { KeepaliveSweep } from './keepalive-sweep.js';
import { negotiateSubprotocol } from './subprotocol.js';
import { CloseCode, WsSession } from './ws-session.js';
import type { SessionHandler, SessionLimits } from './ws-session.js';

export interface WsServerOptions {
  /** Negotiate permessage-deflate when the client offers it (TS-0020 6.2.3.6). */
  deflate: boolean;
  /** Interval of keepalive pings; a peer that missed the previous pong is dropped. 0 disables. */
  pingIntervalMs: number;
  /** Largest accepted message in bytes; larger ones close the connection with 1009. */
  maxPayload: number;
  /** WebSocket connections in total and per remote address (0 = no per-address limit); beyond them handshakes get 503. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Per-connection admission limits. */
  limits: SessionLimits;
  /** A peer that leaves written bytes unread for this long is closed with 1008; 0 = never. */
  drainTimeoutMs: number;
  /** Close a connection silent for this long; 0 = never. */
  idleTimeoutMs: number;
  codecFor(serialization: Serialization): PrimitiveCodec;
  handler: SessionHandler;
  /**
   * Decides, from the handshake, which originators the connection may be:
   * undefined = any (the gate still applies); a refusal ends the handshake.
   */
  authorize?(req: IncomingMessage): { ok: true; allowed?: readonly string[] } | { ok: false; status: number; reason: string };
  /** A connection was accepted. */
  onOpen(session: WsSession): void;
  /** A connection is gone. */
  onClose(session: WsSession, code: number, reason: string): void;
  /** A peer stopped reading and is being closed with 1008 (its socket goes when the close completes or times out). */
  onStall?(session: WsSession, reason: string): void;
  /** A handshake was refused; reason is what the client was told, kind a bounded label. */
  onReject(remoteAddress: string, reason: string, kind: HandshakeRejection): void;
}

/** Answers a handshake that cannot succeed: HTTP status with a plain-text reason, no socket. */
export function rejectHandshake(socket: Duplex, status: number, reason: string): void {
  const body = Buffer.from(reason + '\n', 'utf8');
  socket.once('finish', () => socket.destroy());
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${body.length}\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

export type HandshakeRejection = 'bad_path' | 'no_subprotocol' | 'bad_handshake' | 'too_many_connections' | 'unauthorized';

const chosenProtocol = new WeakMap<IncomingMessage, string>();

/** The session a `ws` socket carries, so one set of listeners serves every connection. */
const SESSION = Symbol('onem2m-ws-bridge.session');
type SessionCarrier = WebSocket & { [SESSION]?: WsSession };

function sessionOf(ws: WebSocket): WsSession {
  return (ws as SessionCarrier)[SESSION]!;
}

/** Only on sockets that cannot count what they read (keepaliveOne). */
function onPong(this: WebSocket): void {
  sessionOf(this).pong();
}

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  sessionOf(this).handleMessage(data, isBinary);
}

/**
 * Connections the keepalive visits per event-loop turn: a ping is a socket
 * write, 20-50 µs on a loaded machine, so a slice stays well under 50 ms
 * however large the fleet (bench/fleet.ts).
 */
const SWEEP_SLICE = 500;

function onError(): void {
  // 'close' follows; ws already answered protocol errors with a close frame.
}

export class WsServer {
  readonly sessions = new Set<WsSession>();
  private readonly wss: WebSocketServer;
  private readonly options: WsServerOptions;
  private readonly sweep: NodeJS.Timeout | undefined;
  private readonly keepaliveSweep: KeepaliveSweep<WsSession>;
  /** Sessions silent since before this (ms since epoch) are closed by the current keepalive pass. */
  private idleBefore = 0;
  /** Connections per remote address; kept only with a per-address limit (one entry per device otherwise, for nothing). */
  private readonly perAddress = new Map<string, number>();
  private readonly drainWatch: DrainWatch | undefined;

  constructor(options: WsServerOptions) {
    this.options = options;
    this.drainWatch = options.drainTimeoutMs > 0 ? { timeoutMs: options.drainTimeoutMs, onStall: (ws) => this.stalled(ws) } : undefined;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxPayload,
      // No context takeover keeps idle connections small: zlib state is not
      // kept between messages (RFC 7692 7.1.1).
      perMessageDeflate: options.deflate
        ? { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 1024 }
        : false,
      // TS-0020 6.2.3.5: echo exactly the token the client offered.
      handleProtocols: (_offered, req) => chosenProtocol.get(req) ?? false,
    });
    this.wss.on('wsClientError', (err: Error, socket: Duplex, req: IncomingMessage) => {
      const reason = `${err.message} (RFC 6455 4.2.1)`;
      options.onReject(req.socket.remoteAddress ?? '', reason, 'bad_handshake');
      rejectHandshake(socket, 400, reason);
    });
    this.keepaliveSweep = new KeepaliveSweep({ items: () => this.sessions, visit: (session) => this.keepaliveOne(session), slice: SWEEP_SLICE });
    if (options.pingIntervalMs > 0 || options.idleTimeoutMs > 0) {
      const every = Math.min(options.pingIntervalMs > 0 ? options.pingIntervalMs : Infinity, options.idleTimeoutMs > 0 ? Math.max(100, options.idleTimeoutMs / 2) : Infinity);
      this.sweep = setInterval(() => this.keepalive(), every);
      this.sweep.unref();
    }
  }

  /** Handler for the public HTTP server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const remoteAddress = req.socket.remoteAddress ?? '';
    // TS-0020 6.2.2.1: the request target of the handshake is "/".
    const url = req.url ?? '/';
    const path = url.indexOf('?') === -1 ? url : url.slice(0, url.indexOf('?'));
    if (path !== '/') {
      const reason = `WebSocket endpoint is "/", not "${path.slice(0, 100)}" (TS-0020 6.2.2.1)`;
      this.options.onReject(remoteAddress, reason, 'bad_path');
      rejectHandshake(socket, 400, reason);
      return;
    }
    const negotiation = negotiateSubprotocol(req.headers['sec-websocket-protocol']);
    if (!negotiation.ok) {
      this.options.onReject(remoteAddress, negotiation.reason, 'no_subprotocol');
      rejectHandshake(socket, 400, negotiation.reason);
      return;
    }
    // Exhaustion limits: a full bridge says so instead of degrading for everyone.
    const perAddressLimit = this.options.maxConnectionsPerAddress;
    if (this.sessions.size >= this.options.maxConnections || (perAddressLimit > 0 && (this.perAddress.get(remoteAddress) ?? 0) >= perAddressLimit)) {
      const reason = this.sessions.size >= this.options.maxConnections ? `connection limit reached (${this.options.maxConnections})` : `connection limit per address reached (${this.options.maxConnectionsPerAddress})`;
      this.options.onReject(remoteAddress, reason, 'too_many_connections');
      rejectHandshake(socket, 503, reason);
      return;
    }
    const access = this.options.authorize?.(req) ?? { ok: true as const };
    if (!access.ok) {
      this.options.onReject(remoteAddress, access.reason, 'unauthorized');
      rejectHandshake(socket, access.status, access.reason);
      return;
    }
    chosenProtocol.set(req, negotiation.token);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const origin = req.headers['x-m2m-origin'];
      // A certificate counts as identity only when it chained to --tls-ca.
      const tls = req.socket as Partial<TLSSocket>;
      const identity = tls.authorized === true ? tls.getPeerCertificate?.()?.fingerprint256 : undefined;
      const session = new WsSession(
        framedSocket(ws, this.drainWatch),
        {
          subprotocol: negotiation.token,
          serialization: negotiation.serialization,
          remoteAddress,
          handshakeOrigin: typeof origin === 'string' && origin.length > 0 ? origin : undefined,
          identity: identity !== undefined && identity !== '' ? identity : undefined,
          allowedOriginators: access.allowed,
        },
        this.options.codecFor(negotiation.serialization),
        this.options.handler,
        this.options.limits,
      );
      this.attach(ws, session);
    });
  }

  /** Closes every connection with the given code (1001 on shutdown). */
  closeAll(code: number, reason: string): void {
    for (const session of this.sessions) session.close(code, reason);
  }

  /** Forcibly drops connections that did not finish their closing handshake. */
  terminateAll(): void {
    for (const session of this.sessions) session.terminate();
  }

  close(): void {
    if (this.sweep !== undefined) clearInterval(this.sweep);
    this.keepaliveSweep.stop();
    this.wss.close();
  }

  /** 'close' listener of every connection: one function per server, not a closure per connection. */
  private readonly onSocketClose = ((server: WsServer) =>
    function (this: WebSocket, code: number, reason: Buffer): void {
      server.closed(this, code, reason);
    })(this);

  private closed(ws: WebSocket, code: number, reason: Buffer): void {
    const session = sessionOf(ws);
    this.sessions.delete(session);
    if (this.options.maxConnectionsPerAddress > 0) {
      const left = (this.perAddress.get(session.remoteAddress) ?? 1) - 1;
      if (left === 0) this.perAddress.delete(session.remoteAddress);
      else this.perAddress.set(session.remoteAddress, left);
    }
    session.handleClose();
    this.options.onClose(session, code, reason.toString());
  }

  /**
   * Backpressure (issue 13): a peer that does not take what was written to it
   * within --downlink-timeout is closed (RFC 6455 7.4.1: 1008), so the bridge
   * stops holding its bytes and its requests follow the offline rules.
   */
  private stalled(ws: WebSocket): void {
    const session = sessionOf(ws);
    if (session === undefined || session.closed) return;
    const reason = `did not read what was sent to it within ${this.options.drainTimeoutMs} ms (--downlink-timeout)`;
    session.abandon(CloseCode.PolicyViolation, reason);
    this.options.onStall?.(session, reason);
  }

  private attach(ws: WebSocket, session: WsSession): void {
    this.sessions.add(session);
    if (this.options.maxConnectionsPerAddress > 0) this.perAddress.set(session.remoteAddress, (this.perAddress.get(session.remoteAddress) ?? 0) + 1);
    (ws as SessionCarrier)[SESSION] = session;
    // Three listeners, shared by every connection. A fourth grows ws's
    // listener table (a dictionary) by ~96 bytes per connection: the
    // keepalive counts the bytes read instead of listening for pongs.
    ws.on('message', onMessage);
    if (session.needsPongEvents) ws.on('pong', onPong);
    ws.on('error', onError);
    ws.on('close', this.onSocketClose);
    this.options.onOpen(session);
  }

  /** A keepalive pass over every connection, a slice per event-loop turn (keepalive-sweep.ts). */
  private keepalive(): void {
    if (this.keepaliveSweep.running) return;
    this.idleBefore = this.options.idleTimeoutMs > 0 ? Date.now() - this.options.idleTimeoutMs : 0;
    this.keepaliveSweep.start();
  }

  private keepaliveOne(session: WsSession): void {
    if (session.lastSeen < this.idleBefore) {
      session.close(CloseCode.Idle, `no traffic for ${this.options.idleTimeoutMs} ms (--idle-timeout)`);
      return;
    }
    if (this.options.pingIntervalMs <= 0) return;
    // RFC 6455 5.5.2/5.5.3: a live peer answers the ping with a pong; one from
    // which nothing at all arrived since the previous ping is dropped.
    if (session.missedPing()) {
      session.terminate();
      return;
    }
    session.ping();
  }
}
