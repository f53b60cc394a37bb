// The client side of TS-0020: one WebSocket to a registrar (the bridge, or
// any TS-0020 server), request/response matched by rqi, a handler for the
// requests the registrar sends down (notifications), and a connection that
// repairs itself: reconnect with backoff and jitter, rebinding by
// X-M2M-Origin. Primitives and codecs are the bridge's own (src/primitive).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { PrimitiveDecodeError } from '../errors.js';
import { jsonCodec } from '../primitive/json-codec.js';
import type { PrimitiveCodec } from '../primitive/codec.js';
import { codecFor } from '../primitive/codecs.js';
import { DEFAULT_RVI, errorResponse } from '../primitive/error-primitive.js';
import { withoutMarkers } from '../primitive/float-lexeme.js';
import { Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive, Serialization } from '../primitive/types.js';
import { negotiateSubprotocol } from '../ws/subprotocol.js';
import { PendingRequests } from '../ws/pending-requests.js';
import { completeAnswer } from './answer.js';
import type { ResponseInit } from './answer.js';
import { DEFAULT_BACKOFF, backoffDelay, backoffProblems } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import { Onem2mClientError } from './client-error.js';
import { connectProxyAgent, proxyFor } from './proxy-agent.js';
import { registeredOrigin } from './registration-origin.js';
import { redactUrl, redactUrls } from '../redact.js';

/** TLS toward a wss:// server (TS-0020 7): trusted CAs and the client certificate. */
export interface ClientTls {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  /** Default true: the server certificate must chain to `ca` (or the system CAs). */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface Onem2mWsClientOptions {
  /** ws://host:port/ or wss://host:port/ (TS-0020 6.2.1). */
  url: string | URL;
  /** Serializations in order of preference (default 'json'); each is offered as oneM2M.<s> and oneM2M.R2.0.<s> (TS-0020 6.2.2.9). */
  serialization?: Serialization | readonly Serialization[];
  /** Exact Sec-WebSocket-Protocol tokens to offer instead (TS-0020 6.2.2.7); the server's choice decides the serialization. */
  subprotocols?: readonly string[];
  /**
   * This registree's ID: sent as X-M2M-Origin in every handshake (so a
   * registrar binds a new connection to an earlier registration) and as `fr`
   * of requests that name none. Learned from a successful registration when
   * not given.
   */
  origin?: string;
  /** Extra handshake headers, e.g. Authorization for a bridge with --credentials. */
  headers?: Readonly<Record<string, string>>;
  tls?: ClientTls;
  /** HTTP CONNECT proxy (TS-0020 6.6): a URL, false for none; default from HTTPS_PROXY / HTTP_PROXY / NO_PROXY. */
  proxy?: string | URL | false;
  /** Time an answer may take, counted from request() (default 30 s). */
  requestTimeoutMs?: number;
  /** Time one opening handshake may take (default 10 s). */
  connectTimeoutMs?: number;
  /** Reconnect after a drop (default true, with DEFAULT_BACKOFF); false: stay disconnected. */
  reconnect?: boolean | Partial<BackoffOptions>;
  /** Keepalive ping interval; a server that misses a pong is dropped and reconnected (default 30 s, 0 = off). */
  pingIntervalMs?: number;
  /** rvi of requests that name none (default '3'). */
  rvi?: string;
  /** Largest message accepted (default 4 MiB). */
  maxMessageBytes?: number;
  /** Offer permessage-deflate (TS-0020 6.2.2.8; default false). */
  perMessageDeflate?: boolean;
  /** Answers requests from the server; the same as calling onRequest(). */
  onRequest?: RequestHandler;
}

/** A request as the caller writes it: rqi and rvi are filled in when absent, fr from the origin. */
export type RequestInit = Omit<RequestPrimitive, 'rqi'> & { rqi?: string };

/** Answers one request from the server; null sends no answer. */
export type RequestHandler = (req: RequestPrimitive) => ResponseInit | null | Promise<ResponseInit | null>;

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

interface OpenWaiter {
  resolve(): void;
  reject(err: Onem2mClientError): void;
  timer: NodeJS.Timeout | undefined;
}

/** Close code of the bridge when a newer connection took over the registree (TS-0020 5.2): reconnecting would fight it. */
const CLOSE_REPLACED = 4000;
/** Requests held while no handler is registered; beyond this they are answered 5001. */
const HELD_REQUESTS_MAX = 256;
/** Handshake refusals that no retry will change. */
const PERMANENT_STATUS = new Set([400, 401, 403, 404, 405, 426]);
const SERIALIZATIONS: readonly Serialization[] = ['json', 'xml', 'cbor'];

function offeredSubprotocols(options: Onem2mWsClientOptions): string[] {
  if (options.subprotocols !== undefined) {
    if (options.subprotocols.length === 0) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', 'subprotocols: offer at least one (TS-0020 6.2.2.7)');
    for (const token of options.subprotocols) {
      if (!negotiateSubprotocol(token).ok) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `subprotocols: "${token}" is not a oneM2M subprotocol (TS-0020 6.2.2.9)`);
    }
    return [...options.subprotocols];
  }
  const preference = options.serialization === undefined ? ['json' as const] : typeof options.serialization === 'string' ? [options.serialization] : options.serialization;
  if (preference.length === 0) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', 'serialization: name at least one of json, xml, cbor');
  const tokens: string[] = [];
  for (const s of preference) {
    if (!SERIALIZATIONS.includes(s)) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `serialization: "${String(s)}" is not one of json, xml, cbor`);
    tokens.push(`oneM2M.${s}`, `oneM2M.R2.0.${s}`);
  }
  return [...new Set(tokens)];
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `${name}: must be a finite number ${allowZero ? '≥ 0' : '> 0'}, got ${String(value)}`);
  }
  return value;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class Onem2mWsClient extends EventEmitter<ClientEvents> {
  readonly url: URL;
  private readonly protocols: string[];
  private readonly headers: Readonly<Record<string, string>>;
  private readonly tls: ClientTls;
  private readonly agent: Agent | undefined;
  private readonly proxyUrl: URL | undefined;
  /** The URL as messages show it: a password in it masked. */
  private readonly shownUrl: string;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly backoff: BackoffOptions | undefined;
  private readonly pingIntervalMs: number;
  private readonly rvi: string;
  private readonly maxMessageBytes: number;
  private readonly perMessageDeflate: boolean;
  private readonly rqiPrefix = randomBytes(4).toString('hex');
  private rqiCounter = 0;

  private state: State = 'idle';
  private retrying = false;
  private ws: WebSocket | undefined;
  private codec: PrimitiveCodec | undefined;
  private token: string | undefined;
  private everOpened = false;
  private attempt = 0;
  private currentOrigin: string | undefined;
  private handler: RequestHandler | undefined;
  private held: RequestPrimitive[] = [];
  /** Requests waiting for their answer, each with the request itself (its answer may teach the origin). */
  private readonly pending = new PendingRequests<ResponsePrimitive, RequestPrimitive>();
  private readonly openWaiters = new Set<OpenWaiter>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  private socketClosed: Promise<void> = Promise.resolve();

  constructor(options: Onem2mWsClientOptions) {
    super();
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `url: "${redactUrls(String(options.url))}" is not a URL (expected ws://host:port/ or wss://host:port/)`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `url: "${redactUrl(url.href)}" must be ws:// or wss:// (TS-0020 6.2.1)`);
    }
    this.url = url;
    this.shownUrl = redactUrl(url.href);
    this.protocols = offeredSubprotocols(options);
    this.headers = { ...options.headers };
    this.tls = { ...options.tls };
    if ((this.tls.cert === undefined) !== (this.tls.key === undefined)) {
      throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `tls.${this.tls.cert === undefined ? 'cert' : 'key'}: needed together with tls.${this.tls.cert === undefined ? 'key' : 'cert'}`);
    }
    this.proxyUrl = proxyFor(url, options.proxy);
    this.agent = this.proxyUrl === undefined ? undefined : connectProxyAgent(this.proxyUrl);
    this.requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs, 30_000);
    this.connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, 10_000);
    this.pingIntervalMs = positive('pingIntervalMs', options.pingIntervalMs, 30_000, true);
    this.maxMessageBytes = positive('maxMessageBytes', options.maxMessageBytes, 4 * 1024 * 1024);
    this.perMessageDeflate = options.perMessageDeflate ?? false;
    this.rvi = options.rvi ?? DEFAULT_RVI;
    if (options.reconnect === false) this.backoff = undefined;
    else {
      this.backoff = { ...DEFAULT_BACKOFF, ...(typeof options.reconnect === 'object' ? options.reconnect : {}) };
      const problems = backoffProblems(this.backoff);
      if (problems.length > 0) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', problems.join('; '));
    }
    if (options.origin !== undefined && options.origin === '') throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', 'origin: must not be empty');
    this.currentOrigin = options.origin;
    this.handler = options.onRequest;
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
    return this.proxyUrl;
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
      if (this.backoff === undefined) return Promise.reject(new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', 'connect({ retry: true }) needs reconnect enabled'));
      this.retrying = true;
    }
    const opened = this.waitForOpen(undefined);
    if (this.state === 'idle') this.attemptConnection();
    return opened;
  }

  /** Registers the handler for requests from the server (notifications, verification requests, retargeted requests). */
  onRequest(handler: RequestHandler): void {
    this.handler = handler;
    const held = this.held;
    this.held = [];
    for (const req of held) void this.answer(req);
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
    const timeoutMs = positive('timeoutMs', options.timeoutMs, this.requestTimeoutMs);
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
    const timeoutMs = positive('timeoutMs', options.timeoutMs, this.requestTimeoutMs);
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
    clearTimeout(this.reconnectTimer);
    this.stopPing();
    const closed = new Onem2mClientError('ONEM2M_CLIENT_CLOSED', 'the client was closed');
    this.rejectWaiters(closed);
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
    if (req.rvi === undefined) req.rvi = this.rvi;
    if (req.fr === undefined && this.currentOrigin !== undefined) req.fr = this.currentOrigin;
    return req;
  }

  private encode(codec: PrimitiveCodec, req: RequestPrimitive): Buffer | string {
    try {
      return codec.encodeRequest(req);
    } catch (err) {
      throw new Onem2mClientError('ONEM2M_CLIENT_ENCODE', `request cannot be sent as ${codec.serialization}: ${message(err)}`, { cause: err });
    }
  }

  /** Resolves when a connection is open, waiting for a (re)connect until `deadline`. */
  private async ready(deadline: number, timeoutMs: number): Promise<void> {
    // A socket already closing counts as gone: its 'close' event is about to
    // start the reconnect, and writing to it would only fail.
    if (this.state === 'open' && this.ws?.readyState === WebSocket.OPEN) return;
    if (this.state === 'closed') throw new Onem2mClientError('ONEM2M_CLIENT_CLOSED', 'the client was closed');
    if (this.state === 'idle') throw new Onem2mClientError('ONEM2M_CLIENT_NOT_CONNECTED', `not connected to ${this.shownUrl}: call connect() first`);
    await this.waitForOpen(deadline, timeoutMs);
  }

  private waitForOpen(deadline: number | undefined, timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: OpenWaiter = { resolve, reject, timer: undefined };
      if (deadline !== undefined) {
        waiter.timer = setTimeout(() => {
          this.openWaiters.delete(waiter);
          reject(new Onem2mClientError('ONEM2M_CLIENT_NOT_CONNECTED', `no connection to ${this.shownUrl} within ${timeoutMs ?? 0} ms`));
        }, Math.max(0, deadline - Date.now()));
      }
      this.openWaiters.add(waiter);
    });
  }

  private rejectWaiters(err: Onem2mClientError): void {
    for (const w of this.openWaiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.openWaiters.clear();
  }

  private attemptConnection(): void {
    this.state = 'connecting';
    const headers: Record<string, string> = { ...this.headers };
    // ACME/tinyIoT extension the bridge honours: binds this connection to an earlier registration (README, Registration).
    if (this.currentOrigin !== undefined) headers['X-M2M-Origin'] = this.currentOrigin;
    const ws = new WebSocket(this.url, this.protocols, {
      headers,
      agent: this.agent,
      handshakeTimeout: this.connectTimeoutMs,
      maxPayload: this.maxMessageBytes,
      perMessageDeflate: this.perMessageDeflate,
      followRedirects: false,
      ...this.tls,
    });
    this.ws = ws;
    let opened = false;
    let failure: Onem2mClientError | undefined;
    let resolveClosed!: () => void;
    this.socketClosed = new Promise<void>((resolve) => (resolveClosed = resolve));
    const via = this.proxyUrl === undefined ? '' : ` via proxy ${this.proxyUrl.host}`;

    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(ws, data, isBinary));
    ws.on('pong', () => (this.awaitingPong = false));
    ws.once('open', () => {
      opened = true;
      this.onOpen(ws);
    });
    ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
      // The server (or the proxy) refused: keep its status and plain-text reason (TS-0020 6.2.3.1).
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const reason = Buffer.concat(chunks).toString('utf8').trim().slice(0, 300);
        failure = new Onem2mClientError('ONEM2M_CLIENT_HANDSHAKE', `${this.shownUrl}${via} refused the handshake: HTTP ${status}${reason === '' ? '' : ` ${reason}`}`, { status });
        req.destroy();
        ws.terminate();
      };
      res.on('data', (chunk: Buffer) => {
        if (size < 4096) chunks.push(chunk);
        size += chunk.length;
      });
      res.once('end', done);
      res.once('error', done);
    });
    ws.on('error', (err: Error) => {
      if (opened) {
        this.emitError(new Onem2mClientError('ONEM2M_CLIENT_CONNECT', `connection to ${this.shownUrl} failed: ${err.message}`, { cause: err }));
        return;
      }
      failure ??= new Onem2mClientError('ONEM2M_CLIENT_CONNECT', `cannot connect to ${this.shownUrl}${via}: ${err.message}`, { cause: err });
    });
    ws.once('close', (code: number, reason: Buffer) => {
      resolveClosed();
      if (this.ws === ws) this.ws = undefined;
      if (opened) this.onDrop(code, reason.toString('utf8'));
      else this.onAttemptFailed(failure ?? new Onem2mClientError('ONEM2M_CLIENT_CONNECT', `connection to ${this.shownUrl}${via} closed before the handshake completed`));
    });
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
    this.attempt = 0;
    this.retrying = false;
    this.startPing(ws);
    const reconnected = this.everOpened;
    this.everOpened = true;
    for (const w of this.openWaiters) {
      clearTimeout(w.timer);
      w.resolve();
    }
    this.openWaiters.clear();
    this.emit('open', { subprotocol: negotiated.token, serialization: negotiated.serialization, reconnected });
  }

  /** An open connection ended. */
  private onDrop(code: number, reason: string): void {
    this.stopPing();
    this.failAll(new Onem2mClientError('ONEM2M_CLIENT_CONNECTION_LOST', `connection closed (${code}${reason === '' ? '' : ` ${reason}`}) before the answer arrived`));
    if (this.state === 'closed') {
      this.emit('close', { code, reason, reconnecting: false });
      return;
    }
    const reconnecting = this.backoff !== undefined && code !== CLOSE_REPLACED;
    this.state = 'idle';
    this.emit('close', { code, reason, reconnecting });
    if (reconnecting) this.scheduleReconnect();
    else this.rejectWaiters(new Onem2mClientError('ONEM2M_CLIENT_NOT_CONNECTED', `connection closed (${code}${reason === '' ? '' : ` ${reason}`}) and reconnect is off`));
  }

  /** A connection attempt ended without an open connection. */
  private onAttemptFailed(err: Onem2mClientError): void {
    if (this.state === 'closed') return;
    this.emitError(err);
    const permanent = err.status !== undefined && PERMANENT_STATUS.has(err.status);
    const retry = this.backoff !== undefined && !permanent && (this.everOpened || this.retrying);
    if (!retry) {
      this.state = 'idle';
      this.retrying = false;
      this.rejectWaiters(err);
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delayMs = backoffDelay(this.attempt++, this.backoff!);
    this.state = 'waiting';
    this.emit('reconnecting', { attempt: this.attempt, delayMs });
    this.reconnectTimer = setTimeout(() => {
      if (this.state === 'waiting') this.attemptConnection();
    }, delayMs);
  }

  private startPing(ws: WebSocket): void {
    this.awaitingPong = false;
    if (this.pingIntervalMs === 0) return;
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        // No pong since the last ping: the path is dead (NAT timeout, unplugged peer).
        ws.terminate();
        return;
      }
      this.awaitingPong = true;
      ws.ping();
    }, this.pingIntervalMs);
    this.pingTimer.unref();
  }

  private stopPing(): void {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (ws !== this.ws || this.codec === undefined) return;
    this.awaitingPong = false;
    const codec = this.codec;
    // A text frame cannot carry CBOR (TS-0020 Table 6.2.2.9-1). ACME sends its
    // own requests as JSON text even on oneM2M.cbor: read those as JSON.
    const reader = codec.binary && !isBinary ? jsonCodec : codec;
    let decoded;
    try {
      decoded = reader.decode(reader.binary || isBinary ? data : data.toString('utf8'));
    } catch (err) {
      this.emitError(new Onem2mClientError('ONEM2M_CLIENT_PROTOCOL', `undecodable ${reader.serialization} message from the server: ${message(err)}`, { cause: err }));
      // Answer like any TS-0020 peer: 4000 with the rqi — but only a request
      // whose rqi could be read. Answering a broken answer, or one without an
      // rqi, lets two peers trade error answers forever (seen with ACME).
      const bad = err instanceof PrimitiveDecodeError ? err : undefined;
      if (bad !== undefined && !bad.response && bad.rqi !== undefined && bad.rqi !== '') {
        this.sendAnswer(ws, codec, errorResponse(bad.rqi, Rsc.BAD_REQUEST, `message is not a valid ${reader.serialization} primitive: ${message(err)}`, this.rvi));
      }
      return;
    }
    // Integral floats (5.0) reach the application as plain numbers, as JSON.parse would give them (issue 15).
    if (decoded.kind === 'response') {
      this.settle(withoutMarkers(decoded.primitive));
      return;
    }
    void this.answer(withoutMarkers(decoded.primitive));
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

  /** One request from the server → the handler → exactly one answer (none for rt.rtv = 5). */
  private async answer(req: RequestPrimitive): Promise<void> {
    const ws = this.ws;
    const codec = this.codec;
    if (ws === undefined || codec === undefined) return;
    const handler = this.handler;
    let answer: ResponseInit | null;
    if (handler === undefined) {
      if (this.held.length < HELD_REQUESTS_MAX) {
        // Notifications stored for an offline registree arrive right after the handshake: keep them for the handler.
        this.held.push(req);
        return;
      }
      answer = errorResponse(req.rqi, Rsc.NOT_IMPLEMENTED, 'this client has no request handler (Onem2mWsClient.onRequest)', req.rvi ?? this.rvi);
    } else {
      try {
        answer = await handler(req);
      } catch (err) {
        this.emitError(new Onem2mClientError('ONEM2M_CLIENT_PROTOCOL', `request handler failed for rqi "${req.rqi}": ${message(err)}`, { cause: err }));
        answer = errorResponse(req.rqi, Rsc.INTERNAL_SERVER_ERROR, `request handler failed: ${message(err)}`, req.rvi ?? this.rvi);
      }
    }
    if (answer === null || req.rt?.rtv === 5) return;
    // The answer goes back on the connection the request came on; after a drop the server has given up on it.
    if (this.ws !== ws) return;
    this.sendAnswer(ws, codec, completeAnswer(req, answer, this.rvi));
  }

  private sendAnswer(ws: WebSocket, codec: PrimitiveCodec, rsp: ResponsePrimitive): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    let data: Buffer | string;
    try {
      data = codec.encodeResponse(rsp);
    } catch (err) {
      data = codec.encodeResponse(errorResponse(rsp.rqi, Rsc.INTERNAL_SERVER_ERROR, `answer cannot be encoded as ${codec.serialization}: ${message(err)}`, rsp.rvi ?? this.rvi));
    }
    ws.send(data, { binary: codec.binary });
  }

  private emitError(err: Onem2mClientError): void {
    // An unhandled 'error' event would end the process; a client library must not do that for a network blip.
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
