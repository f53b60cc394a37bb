// The client side of TS-0020: one WebSocket to a registrar (the bridge, or
// any TS-0020 server), request/response matched by rqi, a handler for the
// requests the registrar sends down (notifications), and a connection that
// repairs itself: reconnect with backoff and jitter, rebinding by
// X-M2M-Origin. Primitives and codecs are the bridge's own (src/primitive).
// This file is the API and its state; the parts: client-options.ts (options
// checked once), connection.ts (one WebSocket, keepalive), reconnect.ts (when
// to try again), open-waiters.ts, server-requests.ts (requests sent down),
// ws/pending-requests.ts (requests waiting for their answer).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { PrimitiveDecodeError, errorMessage } from '../errors.js';
import { jsonCodec } from '../primitive/json-codec.js';
import type { PrimitiveCodec } from '../primitive/codec.js';
import { codecFor } from '../primitive/codecs.js';
import { errorResponse } from '../primitive/error-primitive.js';
import { withoutMarkers } from '../primitive/float-lexeme.js';
import { Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive, Serialization } from '../primitive/types.js';
import { negotiateSubprotocol } from '../ws/subprotocol.js';
import { PendingRequests } from '../ws/pending-requests.js';
import { Onem2mClientError } from './client-error.js';
import { clientSettings, positive } from './client-options.js';
import type { ClientSettings, Onem2mWsClientOptions, RequestHandler } from './client-options.js';
import { Keepalive, openConnection } from './connection.js';
import type { ConnectionEvents } from './connection.js';
import { OpenWaiters } from './open-waiters.js';
import { Reconnect } from './reconnect.js';
import { registeredOrigin } from './registration-origin.js';
import { ServerRequests } from './server-requests.js';

export type { ClientTls, Onem2mWsClientOptions, RequestHandler } from './client-options.js';

/** A request as the caller writes it: rqi and rvi are filled in when absent, fr from the origin. */
export type RequestInit = Omit<RequestPrimitive, 'rqi'> & { rqi?: string };

export interface OpenInfo {
  subprotocol: string;
  serialization: Serialization;
  /** True when this is a reconnect after a drop. */
  reconnected: boolean;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** True when the client will try to connect again. */
  reconnecting: boolean;
}

export interface ClientEvents {
  open: [info: OpenInfo];
  close: [info: CloseInfo];
  /** Failed connection attempts, undecodable messages, failing handlers. Only emitted while someone listens. */
  error: [err: Onem2mClientError];
  reconnecting: [info: { attempt: number; delayMs: number }];
}

export interface RequestOptions {
  timeoutMs?: number;
}

export interface ConnectOptions {
  /** Retry failed attempts with the reconnect backoff until one succeeds (default false: the first failure rejects). */
  retry?: boolean;
}

type State = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

export class Onem2mWsClient extends EventEmitter<ClientEvents> {
  readonly url: URL;
  private readonly settings: ClientSettings;
  private readonly rqiPrefix = randomBytes(4).toString('hex');
  private rqiCounter = 0;

  private state: State = 'idle';
  private retrying = false;
  private ws: WebSocket | undefined;
  private codec: PrimitiveCodec | undefined;
  private token: string | undefined;
  private everOpened = false;
  private currentOrigin: string | undefined;
  private readonly serverRequests: ServerRequests;
  /** Requests waiting for their answer, each with the request itself (its answer may teach the origin). */
  private readonly pending = new PendingRequests<ResponsePrimitive, RequestPrimitive>();
  private readonly openWaiters = new OpenWaiters();
  private readonly reconnect: Reconnect;
  private readonly keepalive: Keepalive;
  private readonly connectionEvents: ConnectionEvents;
  private socketClosed: Promise<void> = Promise.resolve();

  constructor(options: Onem2mWsClientOptions) {
    super();
    this.settings = clientSettings(options);
    this.url = this.settings.url;
    this.reconnect = new Reconnect(this.settings.backoff);
    this.keepalive = new Keepalive(this.settings.pingIntervalMs);
    this.currentOrigin = this.settings.origin;
    this.serverRequests = new ServerRequests(this.settings.onRequest, this.settings.rvi, () => (this.ws !== undefined && this.codec !== undefined ? { ws: this.ws, codec: this.codec } : undefined), (err) => this.emitError(err));
    this.connectionEvents = {
      open: (ws) => this.onOpen(ws),
      message: (ws, data, isBinary) => this.onMessage(ws, data, isBinary),
      pong: () => this.keepalive.alive(),
      error: (err) => this.emitError(err),
      drop: (ws, code, reason) => {
        if (this.ws === ws) this.ws = undefined;
        this.onDrop(code, reason);
      },
      failed: (ws, err) => {
        if (this.ws === ws) this.ws = undefined;
        this.onAttemptFailed(err);
      },
    };
  }

  /** The registree ID used for X-M2M-Origin and default `fr`: given, or learned from a registration. */
  get origin(): string | undefined {
    return this.currentOrigin;
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.state === 'open';
  }

  /** The subprotocol the server chose on the current (or last) connection. */
  get subprotocol(): string | undefined {
    return this.token;
  }

  get serialization(): Serialization | undefined {
    return this.codec?.serialization;
  }

  /** The proxy connections are tunnelled through, if any. */
  get proxy(): URL | undefined {
    return this.settings.proxyUrl;
  }

  /**
   * Opens the connection. Resolves once the handshake succeeded; rejects on
   * the first failure (or, with `retry`, only when the server refuses the
   * handshake for good, e.g. HTTP 400/401/403). After that, drops are
   * repaired automatically unless `reconnect: false`.
   */
  connect(options: ConnectOptions = {}): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new Onem2mClientError('ONEM2M_CLIENT_CLOSED', 'this client was closed; create a new one'));
    if (this.state === 'open') return Promise.resolve();
    if (options.retry === true) {
      if (!this.reconnect.enabled) return Promise.reject(new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', 'connect({ retry: true }) needs reconnect enabled'));
      this.retrying = true;
    }
    const opened = this.waitForOpen(undefined);
    if (this.state === 'idle') this.attemptConnection();
    return opened;
  }

  /** Registers the handler for requests from the server (notifications, verification requests, retargeted requests). */
  onRequest(handler: RequestHandler): void {
    this.serverRequests.setHandler(handler);
  }

  /**
   * Sends a request and resolves with the response carrying its rqi (TS-0020
   * 5.2). rqi is generated and rvi filled in when absent, fr from the origin.
   * While the connection is being (re)opened the request waits for it, within
   * its timeout (TS-0020 5.2: the client reopens when it has a request to send).
   */
  async request(init: RequestInit, options: RequestOptions = {}): Promise<ResponsePrimitive> {
    const req = this.fill(init);
    if (req.rt?.rtv === 5) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_REQUEST', 'rt.rtv = 5 (noResponse) gets no response to wait for: use send()');
    const timeoutMs = positive('timeoutMs', options.timeoutMs, this.settings.requestTimeoutMs);
    const deadline = Date.now() + timeoutMs;
    await this.ready(deadline, timeoutMs);
    if (this.pending.has(req.rqi)) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_REQUEST', `rqi "${req.rqi}" is already waiting for an answer on this connection`);
    const ws = this.ws!;
    const codec = this.codec!;
    const data = this.encode(codec, req);
    const answer = this.pending.wait(req.rqi, Math.max(0, deadline - Date.now()), req, () => new Onem2mClientError('ONEM2M_CLIENT_TIMEOUT', `no answer to rqi "${req.rqi}" within ${timeoutMs} ms`));
    try {
      ws.send(data, { binary: codec.binary }, (err) => {
        if (err === undefined || err === null) return;
        this.fail(req.rqi, new Onem2mClientError('ONEM2M_CLIENT_CONNECTION_LOST', `sending rqi "${req.rqi}" failed: ${err.message}`, { cause: err }));
      });
    } catch (err) {
      // Nothing was sent: nothing waits (and no timeout rejects later).
      this.pending.take(req.rqi);
      throw err;
    }
    return answer;
  }

  /** Sends a request without waiting for an answer (rt.rtv = 5 noResponse is set when no rt is given). Resolves once written. */
  async send(init: RequestInit, options: RequestOptions = {}): Promise<RequestPrimitive> {
    const req = this.fill(init);
    if (req.rt === undefined) req.rt = { rtv: 5 };
    const timeoutMs = positive('timeoutMs', options.timeoutMs, this.settings.requestTimeoutMs);
    await this.ready(Date.now() + timeoutMs, timeoutMs);
    const ws = this.ws!;
    const codec = this.codec!;
    const data = this.encode(codec, req);
    await new Promise<void>((resolve, reject) => {
      ws.send(data, { binary: codec.binary }, (err) => {
        if (err === undefined || err === null) resolve();
        else reject(new Onem2mClientError('ONEM2M_CLIENT_CONNECTION_LOST', `sending rqi "${req.rqi}" failed: ${err.message}`, { cause: err }));
      });
    });
    return req;
  }

  /** Closes the connection (1000) and stops reconnecting; requests still waiting are rejected. */
  async close(): Promise<void> {
    if (this.state === 'closed') return this.socketClosed;
    this.state = 'closed';
    this.reconnect.cancel();
    this.keepalive.stop();
    const closed = new Onem2mClientError('ONEM2M_CLIENT_CLOSED', 'the client was closed');
    this.openWaiters.rejectAll(closed);
    this.failAll(closed);
    const ws = this.ws;
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
      const force = setTimeout(() => ws.terminate(), 2000);
      force.unref();
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'client closing');
      await this.socketClosed;
      clearTimeout(force);
    }
  }

  // ---------------------------------------------------------------------------

  private fill(init: RequestInit): RequestPrimitive {
    const req: RequestPrimitive = { ...init, rqi: init.rqi ?? `${this.rqiPrefix}-${++this.rqiCounter}` };
    if (req.rvi === undefined) req.rvi = this.settings.rvi;
    if (req.fr === undefined && this.currentOrigin !== undefined) req.fr = this.currentOrigin;
    return req;
  }

  private encode(codec: PrimitiveCodec, req: RequestPrimitive): Buffer | string {
    try {
      return codec.encodeRequest(req);
    } catch (err) {
      throw new Onem2mClientError('ONEM2M_CLIENT_ENCODE', `request cannot be sent as ${codec.serialization}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Resolves when a connection is open, waiting for a (re)connect until `deadline`. */
  private async ready(deadline: number, timeoutMs: number): Promise<void> {
    // A socket already closing counts as gone: its 'close' event is about to
    // start the reconnect, and writing to it would only fail.
    if (this.state === 'open' && this.ws?.readyState === WebSocket.OPEN) return;
    if (this.state === 'closed') throw new Onem2mClientError('ONEM2M_CLIENT_CLOSED', 'the client was closed');
    if (this.state === 'idle') throw new Onem2mClientError('ONEM2M_CLIENT_NOT_CONNECTED', `not connected to ${this.settings.shownUrl}: call connect() first`);
    await this.waitForOpen(deadline, timeoutMs);
  }

  private waitForOpen(deadline: number | undefined, timeoutMs?: number): Promise<void> {
    return this.openWaiters.wait(deadline, () => new Onem2mClientError('ONEM2M_CLIENT_NOT_CONNECTED', `no connection to ${this.settings.shownUrl} within ${timeoutMs ?? 0} ms`));
  }

  private attemptConnection(): void {
    this.state = 'connecting';
    const { ws, closed } = openConnection(this.settings, this.currentOrigin, this.connectionEvents);
    this.ws = ws;
    this.socketClosed = closed;
  }

  private onOpen(ws: WebSocket): void {
    if (this.state === 'closed') {
      ws.close(1000, 'client closing');
      return;
    }
    const negotiated = negotiateSubprotocol(ws.protocol);
    if (!negotiated.ok) {
      // ws already checks the server picked an offered token; this guards a server echoing garbage.
      this.emitError(new Onem2mClientError('ONEM2M_CLIENT_PROTOCOL', `server chose no oneM2M subprotocol: ${negotiated.reason}`));
      ws.close(1002, 'no oneM2M subprotocol');
      return;
    }
    this.codec = codecFor(negotiated.serialization);
    this.token = negotiated.token;
    this.state = 'open';
    this.reconnect.succeeded();
    this.retrying = false;
    this.keepalive.start(ws);
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.openWaiters.resolveAll();
    this.emit('open', { subprotocol: negotiated.token, serialization: negotiated.serialization, reconnected });
  }

  /** An open connection ended. */
  private onDrop(code: number, reason: string): void {
    this.keepalive.stop();
    this.failAll(new Onem2mClientError('ONEM2M_CLIENT_CONNECTION_LOST', `connection closed (${code}${reason === '' ? '' : ` ${reason}`}) before the answer arrived`));
    if (this.state === 'closed') {
      this.emit('close', { code, reason, reconnecting: false });
      return;
    }
    const reconnecting = this.reconnect.afterDrop(code);
    this.state = 'idle';
    this.emit('close', { code, reason, reconnecting });
    if (reconnecting) this.scheduleReconnect();
    else this.openWaiters.rejectAll(new Onem2mClientError('ONEM2M_CLIENT_NOT_CONNECTED', `connection closed (${code}${reason === '' ? '' : ` ${reason}`}) and reconnect is off`));
  }

  /** A connection attempt ended without an open connection. */
  private onAttemptFailed(err: Onem2mClientError): void {
    if (this.state === 'closed') return;
    this.emitError(err);
    if (!this.reconnect.afterFailure(err, this.everOpened || this.retrying)) {
      this.state = 'idle';
      this.retrying = false;
      this.openWaiters.rejectAll(err);
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const { attempt, delayMs } = this.reconnect.next();
    this.state = 'waiting';
    this.emit('reconnecting', { attempt, delayMs });
    this.reconnect.wait(delayMs, () => {
      if (this.state === 'waiting') this.attemptConnection();
    });
  }

  private onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (ws !== this.ws || this.codec === undefined) return;
    this.keepalive.alive();
    const codec = this.codec;
    // A text frame cannot carry CBOR (TS-0020 Table 6.2.2.9-1). ACME sends its
    // own requests as JSON text even on oneM2M.cbor: read those as JSON.
    const reader = codec.binary && !isBinary ? jsonCodec : codec;
    let decoded;
    try {
      decoded = reader.decode(reader.binary || isBinary ? data : data.toString('utf8'));
    } catch (err) {
      this.emitError(new Onem2mClientError('ONEM2M_CLIENT_PROTOCOL', `undecodable ${reader.serialization} message from the server: ${errorMessage(err)}`, { cause: err }));
      // Answer like any TS-0020 peer: 4000 with the rqi — but only a request
      // whose rqi could be read. Answering a broken answer, or one without an
      // rqi, lets two peers trade error answers forever (seen with ACME).
      const bad = err instanceof PrimitiveDecodeError ? err : undefined;
      if (bad !== undefined && !bad.response && bad.rqi !== undefined && bad.rqi !== '') {
        this.serverRequests.send(ws, codec, errorResponse(bad.rqi, Rsc.BAD_REQUEST, `message is not a valid ${reader.serialization} primitive: ${errorMessage(err)}`, this.settings.rvi));
      }
      return;
    }
    // Integral floats (5.0) reach the application as plain numbers, as JSON.parse would give them (issue 15).
    if (decoded.kind === 'response') {
      this.settle(withoutMarkers(decoded.primitive));
      return;
    }
    void this.serverRequests.answer(withoutMarkers(decoded.primitive));
  }

  private settle(rsp: ResponsePrimitive): void {
    const waiter = this.pending.take(rsp.rqi);
    if (waiter === undefined) return; // a late answer after its timeout: nobody waits any more
    const learned = registeredOrigin(waiter.context, rsp);
    if (learned !== undefined) this.currentOrigin = learned;
    waiter.resolve(rsp);
  }

  private fail(rqi: string, err: Onem2mClientError): void {
    this.pending.take(rqi)?.reject(err);
  }

  private failAll(err: Onem2mClientError): void {
    for (const [, waiter] of this.pending.takeAll()) waiter.reject(err);
  }

  private emitError(err: Onem2mClientError): void {
    // An unhandled 'error' event would end the process; a client library must not do that for a network blip.
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
