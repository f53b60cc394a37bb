// One TS-0020 WebSocket connection: turns messages into primitives and back,
// and matches responses to the requests the bridge sent down by rqi. It sees a
// small WebSocket-like interface so it can be tested without sockets.
import { BridgeError, bridgeError, errorMessage, PrimitiveDecodeError } from '../errors.js';
import type { PrimitiveCodec } from '../primitive/codec.js';
import { codedResponse, errorResponse } from '../primitive/error-primitive.js';
import { Rsc } from '../primitive/types.js';
import type { Primitive, RequestPrimitive, ResponsePrimitive, Serialization } from '../primitive/types.js';
import type { Registration } from '../store/store.js';
import { DownlinkRequests } from './downlink-requests.js';

/** What a session needs from a `ws` WebSocket. */
export interface WebSocketLike {
  /** Bytes written but not yet handed to the kernel (ws's bufferedAmount). */
  readonly bufferedAmount: number;
  send(data: Buffer | string, options: { binary: boolean }, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  /** A keepalive ping (RFC 6455 5.5.2); absent on sockets that have none. */
  ping?(): void;
  /** Bytes read from the peer so far (the keepalive's proof of life); undefined where the socket cannot tell. */
  readonly bytesRead?: number | undefined;
  /** Holds what is sent from now on until uncork(), which writes it at once (one socket write for a window). */
  cork?(): void;
  uncork?(): void;
}

export interface SessionHandler {
  /** Answers one request from the registree; null means "send no response" (rt.rtv = 5). */
  onRequest(session: WsSession, req: RequestPrimitive): Promise<ResponsePrimitive | null>;
  /** A message that could not be decoded; the session has already answered it. */
  onMalformed?(session: WsSession, err: PrimitiveDecodeError): void;
  /** A response whose rqi matches no request in flight. */
  onUnmatchedResponse?(session: WsSession, rsp: ResponsePrimitive): void;
}

export interface SessionInfo {
  subprotocol: string;
  serialization: Serialization;
  remoteAddress: string;
  /** X-M2M-Origin of the handshake (ACME/tinyIoT extension), when given. */
  handshakeOrigin?: string;
  /** SHA-256 fingerprint of the verified client certificate, when one was presented. */
  identity?: string;
  /** When set, the only originators this connection may register or bind as (identity map, credentials). */
  allowedOriginators?: readonly string[];
}

/** Per-connection admission limits (issue: limits; all configurable). */
export interface SessionLimits {
  /** Uplink requests waiting for an answer at once. */
  maxInFlight: number;
  /** Requests per second (token bucket with a one-second burst); 0 = unlimited. */
  rateLimit: number;
  /** Requests sent down and not yet answered before the next one is refused (--max-downlink-inflight). */
  maxDownlinkInflight: number;
  /** Bytes written and not yet sent before the next request sent down is refused (--max-downlink-buffered). */
  maxDownlinkBufferedBytes: number;
  /** Largest message from a connection not bound to a registree (--max-unbound-message-size). */
  maxUnboundMessageBytes: number;
}

const UNLIMITED: SessionLimits = {
  maxInFlight: Number.POSITIVE_INFINITY,
  rateLimit: 0,
  maxDownlinkInflight: Number.POSITIVE_INFINITY,
  maxDownlinkBufferedBytes: Number.POSITIVE_INFINITY,
  maxUnboundMessageBytes: Number.POSITIVE_INFINITY,
};

/** Close codes used by the bridge (RFC 6455 7.4; 4000-4999 are ours). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  UnsupportedData: 1003,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  Replaced: 4000,
  Deregistered: 4001,
  Idle: 4002,
} as const;

/**
 * Messages from this size on are received, decoded and acted on in three
 * event-loop turns (parse budget, issue 13): a 4 MiB message costs some tens
 * of milliseconds, mostly in copies of fresh memory.
 */
const LARGE_MESSAGE_BYTES = 256 * 1024;

/**
 * setImmediate callbacks shared by every session: no closure per message. A
 * message arrives in the poll phase, and an immediate set there runs right
 * after it; one more hop lets timers and I/O run before the decode.
 */
function hopToDecode(session: WsSession, data: Buffer): void {
  setImmediate(decodeLarge, session, data);
}
function decodeLarge(session: WsSession, data: Buffer): void {
  session.decodeLarge(data);
}
function actLarge(session: WsSession, decoded: Primitive): void {
  session.actLarge(decoded);
}

let nextSessionId = 1;
/** One settled promise shared by every session without a pending handshake lookup. */
const SETTLED: Promise<void> = Promise.resolve();
/**
 * The session clocks count ms from here, not from the epoch: a count that
 * fits a small integer is held in the session itself, where an epoch time
 * would be a boxed number of its own per field (V8 heap numbers, 16 bytes
 * each). Math.floor hands back such an integer where a subtraction of two
 * doubles would box it. After 24 days of uptime the counts outgrow it and
 * are boxed again: still right, 32 bytes more per connection.
 */
const CLOCK_BASE = Date.now();
const clock = (): number => Math.floor(Date.now() - CLOCK_BASE);
/** pingMark: no ping outstanding; a ping outstanding on a socket that cannot count what it reads. */
const NO_PING = -1;
const PONG_PENDING = -2;
/** bytesRead wrapped below 2^30, a small integer however long the connection lives. */
const readMark = (bytesRead: number): number => Math.floor(bytesRead % 1073741824);

/** What only some connections have (a handshake X-M2M-Origin, a certificate, an identity map): one object for them, none for the rest. */
interface SessionAccess {
  readonly handshakeOrigin: string | undefined;
  readonly identity: string | undefined;
  readonly allowedOriginators: readonly string[] | undefined;
}

export class WsSession {
  readonly id = nextSessionId++;
  readonly subprotocol: string;
  readonly remoteAddress: string;
  readonly codec: PrimitiveCodec;
  /** The registree this connection is bound to (DESIGN 3); undefined while unbound. */
  registration: Registration | undefined;
  /** Resolves once the handshake's X-M2M-Origin has been looked up. */
  ready: Promise<void> = SETTLED;
  /**
   * Keepalive: what the socket had read when the last ping went out (wrapped
   * to a small integer), or PONG_PENDING where only a pong can clear it, or
   * NO_PING. No 'pong' listener is needed where bytes can be counted.
   */
  private pingMark = NO_PING;
  closed = false;

  private readonly socket: WebSocketLike;
  private readonly handler: SessionHandler;
  /** ms since CLOCK_BASE of the last message from the peer (for --idle-timeout). */
  private seenAt = clock();
  /** ms since CLOCK_BASE when the WebSocket opened. */
  private readonly openedAtMs = this.seenAt;
  /** undefined for a connection with no handshake origin, certificate or identity map. */
  private readonly access: SessionAccess | undefined;

  /** Requests sent down and not yet answered; created on first use (idle connections stay small). */
  private downlink: DownlinkRequests | undefined;
  private readonly limits: SessionLimits;
  private inFlight = 0;
  private tokens: number;
  private tokensAt = 0;
  /** Messages (data, isBinary, …) that arrived while a large one is handled; undefined when none is. */
  private backlog: Array<Buffer | boolean> | undefined;

  constructor(socket: WebSocketLike, info: SessionInfo, codec: PrimitiveCodec, handler: SessionHandler, limits: SessionLimits = UNLIMITED) {
    this.socket = socket;
    this.limits = limits;
    this.tokens = limits.rateLimit;
    this.subprotocol = info.subprotocol;
    this.remoteAddress = info.remoteAddress;
    if (info.handshakeOrigin !== undefined || info.identity !== undefined || info.allowedOriginators !== undefined) {
      this.access = { handshakeOrigin: info.handshakeOrigin, identity: info.identity, allowedOriginators: info.allowedOriginators };
    }
    this.codec = codec;
    this.handler = handler;
  }

  /** The codec's: the subprotocol chose both (TS-0020 6.2.2.9). */
  get serialization(): Serialization {
    return this.codec.serialization;
  }

  /** X-M2M-Origin of the handshake (ACME/tinyIoT extension), when given. */
  get handshakeOrigin(): string | undefined {
    return this.access?.handshakeOrigin;
  }

  /** SHA-256 fingerprint of the verified client certificate, when one was presented. */
  get identity(): string | undefined {
    return this.access?.identity;
  }

  /** When set, the only originators this connection may register or bind as. */
  get allowedOriginators(): readonly string[] | undefined {
    return this.access?.allowedOriginators;
  }

  /** ms since epoch of the last message from the peer (for --idle-timeout). */
  get lastSeen(): number {
    return CLOCK_BASE + this.seenAt;
  }

  /** ms since epoch when the WebSocket opened (the admin API's "connected since"). */
  get openedAt(): number {
    return CLOCK_BASE + this.openedAtMs;
  }

  get registreeId(): string | undefined {
    return this.registration?.id;
  }

  get inFlightDownlink(): number {
    return this.downlink?.size ?? 0;
  }

  /** Bytes written to the peer and not yet sent. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /**
   * Backpressure (issue 13): why no further request may be sent down now, or
   * undefined. At most --max-downlink-inflight requests wait for answers, and
   * none is written while more than --max-downlink-buffered bytes are unsent.
   */
  downlinkRefusal(): string | undefined {
    const waiting = this.downlink?.size ?? 0;
    if (waiting >= this.limits.maxDownlinkInflight) return `${waiting} requests already wait for its answers (--max-downlink-inflight)`;
    const buffered = this.socket.bufferedAmount;
    if (buffered > this.limits.maxDownlinkBufferedBytes) return `${buffered} bytes written to its connection are not yet read (--max-downlink-buffered ${this.limits.maxDownlinkBufferedBytes})`;
    return undefined;
  }

  /** Resolves when a request sent down is answered or times out, or the session closes. */
  nextSettlement(): Promise<void> {
    if (this.closed) return SETTLED;
    return (this.downlink ??= new DownlinkRequests()).nextSettlement();
  }

  /** One WebSocket message (all its frames). */
  handleMessage(data: Buffer, isBinary: boolean): void {
    this.seenAt = clock();
    // Behind a large message that is being handled: in order, after it.
    if (this.backlog !== undefined) {
      this.backlog.push(data, isBinary);
      return;
    }
    this.receive(data, isBinary);
  }

  /** Handles one message; returns the backlog when it is a large one that now takes turns of its own. */
  private receive(data: Buffer, isBinary: boolean): Array<Buffer | boolean> | undefined {
    // TS-0020 Table 6.2.2.9-1: CBOR travels in binary frames. A text frame
    // cannot carry it, so that frame type is illegal for the subprotocol.
    // JSON/XML in a binary frame is still UTF-8 text and is accepted.
    if (this.codec.binary && !isBinary) {
      this.socket.close(CloseCode.UnsupportedData, 'oneM2M.cbor requires binary frames (TS-0020 6.2.2.9)');
      return undefined;
    }
    // Parse budget (issue 13): before registration (TS-0020 6.4) only a small
    // message is decoded at all. Too big: close 1009, as for --max-message-size (RFC 6455 7.4.1).
    if (data.length > this.limits.maxUnboundMessageBytes && this.registration === undefined) {
      this.handleUnboundLarge(data, isBinary);
      return undefined;
    }
    if (data.length >= LARGE_MESSAGE_BYTES) {
      // Parse budget (issue 13): receiving, decoding and acting on a large
      // message each get an event-loop turn of their own, so none holds the
      // loop long; what arrives meanwhile waits behind it.
      const backlog: Array<Buffer | boolean> = [];
      this.backlog = backlog;
      setImmediate(hopToDecode, this, data);
      return backlog;
    }
    const decoded = this.decode(data);
    if (decoded !== undefined) this.act(decoded);
    return undefined;
  }

  /** A large message's second turn: decode it; act on it in a third. */
  decodeLarge(data: Buffer): void {
    const decoded = this.closed ? undefined : this.decode(data);
    if (decoded === undefined) this.resume();
    else setImmediate(actLarge, this, decoded);
  }

  actLarge(decoded: Primitive): void {
    if (!this.closed) this.act(decoded);
    this.resume();
  }

  /** Handles, in order, what arrived behind a large message (until the next large one). */
  private resume(): void {
    const waiting = this.backlog ?? [];
    this.backlog = undefined;
    for (let i = 0; i < waiting.length; i += 2) {
      const again = this.receive(waiting[i] as Buffer, waiting[i + 1] as boolean);
      if (again !== undefined) {
        for (let k = i + 2; k < waiting.length; k++) again.push(waiting[k]);
        return;
      }
    }
  }

  /** The primitive in a message, or undefined when it was malformed (and answered). */
  private decode(data: Buffer): Primitive | undefined {
    try {
      return this.codec.decode(this.codec.binary ? data : data.toString('utf8'));
    } catch (err) {
      const bad = err instanceof PrimitiveDecodeError ? err : new PrimitiveDecodeError(String(err));
      // A broken response is not answered (TS-0020 5.2: responses get no response);
      // answering it would let two peers trade error answers forever.
      if (!bad.response) this.sendResponse(errorResponse(bad.rqi ?? '', Rsc.BAD_REQUEST, bad.message));
      this.handler.onMalformed?.(this, bad);
      return undefined;
    }
  }

  private act(decoded: Primitive): void {
    if (decoded.kind === 'response') {
      this.settle(decoded.primitive);
      return;
    }
    const req = decoded.primitive;
    const refusal = this.admit();
    if (refusal !== undefined) {
      // Excess is answered at once, never queued without bound.
      if (req.rt?.rtv !== 5) this.sendResponse(codedResponse(req.rqi, refusal, refusal === 'BRIDGE_ERR_RATE_LIMITED' ? `more than ${this.limits.rateLimit} requests per second` : `more than ${this.limits.maxInFlight} requests in flight on this connection`, req.rvi));
      return;
    }
    this.inFlight++;
    this.handler.onRequest(this, req).then(
      (rsp) => {
        this.inFlight--;
        if (rsp !== null) this.sendResponse(rsp);
      },
      (err: unknown) => {
        this.inFlight--;
        const rsc = err instanceof BridgeError ? err.rsc : Rsc.INTERNAL_SERVER_ERROR;
        const message = errorMessage(err);
        this.sendResponse(errorResponse(req.rqi, rsc, message, req.rvi));
      },
    );
  }

  /**
   * A large message on a connection not bound (yet): the handshake's
   * X-M2M-Origin may still be binding it, so decide once that lookup is done.
   */
  private handleUnboundLarge(data: Buffer, isBinary: boolean): void {
    const decide = (): void => {
      if (this.closed) return;
      if (this.registration !== undefined) {
        this.receive(data, isBinary);
        return;
      }
      this.socket.close(CloseCode.MessageTooBig, `a message of ${data.length} bytes before registration; at most ${this.limits.maxUnboundMessageBytes} (--max-unbound-message-size)`);
    };
    if (this.ready === SETTLED) decide();
    else void this.ready.then(decide, decide);
  }

  /** The limit a new request would break, if any. */
  private admit(): 'BRIDGE_ERR_TOO_MANY_IN_FLIGHT' | 'BRIDGE_ERR_RATE_LIMITED' | undefined {
    if (this.inFlight >= this.limits.maxInFlight) return 'BRIDGE_ERR_TOO_MANY_IN_FLIGHT';
    const rate = this.limits.rateLimit;
    if (rate > 0) {
      const now = Date.now();
      this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAt) * rate) / 1000);
      this.tokensAt = now;
      if (this.tokens < 1) return 'BRIDGE_ERR_RATE_LIMITED';
      this.tokens -= 1;
    }
    return undefined;
  }

  sendResponse(rsp: ResponsePrimitive): void {
    if (this.closed) return;
    let data: Buffer | string;
    try {
      data = this.codec.encodeResponse(rsp);
    } catch (err) {
      // Content this serialization cannot carry (e.g. a JSON member name that
      // is no XML element name): the registree still gets its one answer.
      const message = errorMessage(err);
      const rsc = err instanceof BridgeError ? err.rsc : Rsc.INTERNAL_SERVER_ERROR;
      data = this.codec.encodeResponse(errorResponse(rsp.rqi, rsc, `response could not be encoded as ${this.serialization}: ${message}`, rsp.rvi));
    }
    this.socket.send(data, { binary: this.codec.binary });
  }

  /**
   * Writes a request that expects no response (rt.rtv = 5, TS-0004 6.3.4.2.6):
   * nothing waits for an answer, and one that comes anyway is dropped.
   */
  sendNoResponse(req: RequestPrimitive): void {
    if (this.closed) throw bridgeError('BRIDGE_ERR_REGISTREE_GONE', 'registree connection closed');
    this.socket.send(this.codec.encodeRequest(req), { binary: this.codec.binary });
  }

  /**
   * Sends a request down to the registree and resolves with its response
   * (an rqi already in flight is made unique on the WS leg, downlink-requests.ts).
   */
  request(req: RequestPrimitive, timeoutMs: number): Promise<ResponsePrimitive> {
    if (this.closed) return Promise.reject(bridgeError('BRIDGE_ERR_REGISTREE_GONE', 'registree connection closed'));
    return (this.downlink ??= new DownlinkRequests()).send(req, timeoutMs, this.codec, this.socket);
  }

  /**
   * Holds what is sent from now on until uncork(), which writes it in one
   * socket write (issue 19: a drain's window of stored requests went out one
   * write per frame). The caller uncorks in a `finally`, in the same tick.
   */
  cork(): void {
    this.socket.cork?.();
  }

  uncork(): void {
    this.socket.uncork?.();
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }

  /**
   * Keepalive (ws-server.ts): whether nothing at all came from the peer since
   * the previous ping, neither its pong nor a message: a dead or half-open
   * peer. Where the socket counts what it reads, any byte is proof of life.
   */
  missedPing(): boolean {
    const mark = this.pingMark;
    if (mark === NO_PING) return false;
    if (mark === PONG_PENDING) return true;
    const read = this.socket.bytesRead;
    return read === undefined || readMark(read) === mark;
  }

  /** Sends a keepalive ping and notes how much the peer had sent by then. */
  ping(): void {
    const read = this.socket.bytesRead;
    this.pingMark = read === undefined ? PONG_PENDING : readMark(read);
    this.socket.ping?.();
  }

  /** Whether the keepalive needs pong events (the socket cannot count what it reads). */
  get needsPongEvents(): boolean {
    return this.socket.bytesRead === undefined;
  }

  /** A pong arrived (sockets that cannot count what they read). */
  pong(): void {
    this.pingMark = NO_PING;
  }

  /** The socket is gone: fail whatever still waits for an answer. */
  handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.failPending('registree disconnected before answering');
  }

  /**
   * Gives the connection up before its socket is gone (a peer that stopped
   * reading): nothing more is written or sent down, what waits fails now,
   * and the socket is closed with `code`.
   */
  abandon(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.failPending(`registree connection closed (${reason}) before answering`);
    this.socket.close(code, reason);
  }

  private failPending(why: string): void {
    this.downlink?.failAll(why);
  }

  private settle(rsp: ResponsePrimitive): void {
    if (this.downlink?.settle(rsp) !== true) this.handler.onUnmatchedResponse?.(this, rsp);
  }
}
