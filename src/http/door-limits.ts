// Time and size limits of an HTTP door (public, downlink, admin, uplink
// door), the same for one connection as for many: every connection gets its
// own timers, so a lone stalled client is cut exactly when its time is up
// (Node's headersTimeout is only checked every connectionsCheckingInterval,
// 30 s by default: with a 2 s limit a lone stalled head on the downlink or
// admin door stayed open 28 s, and longer in the runs).
//
// - request head: a connection must deliver a complete request head within
//   `headTimeoutMs` of opening (after its TLS handshake) → else 408 with
//   X-M2M-RSC 4008 (RFC 9110 15.5.9) and the connection is closed. On a kept-alive connection
//   the next head has the same time from the end of the previous response;
//   beyond it the connection is closed without an answer, as at Node's
//   keepAliveTimeout (no 408 racing a request the client may be sending).
// - request body: a body must arrive completely within `bodyTimeoutMs` of its
//   head → else 408 (4008) and the connection is closed.
// - body size: `collectBody`/`refuseTooLarge` answer 413 (RFC 9110 15.5.14)
//   as soon as a body passes its limit, by Content-Length before reading or
//   while it streams, and close the connection (the rest is not read).
//
// Bad HTTP (what Node's parser refuses) gets 400 with X-M2M-RSC 4000.
// Every such answer (400, 408, 413) is reported to the door's `onBadRequest`
// with the peer address and the reason (issue 17: such requests vanished
// without a trace).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server as TlsServer } from 'node:tls';
import { Rsc } from '../primitive/types.js';
import { httpRefusal } from './error-answer.js';

export interface DoorLimits {
  /** Time a connection has to send a complete request head (--handshake-timeout). */
  headTimeoutMs: number;
  /** Time a request body has to arrive completely, counted from its head (--body-timeout); 0 = no limit. */
  bodyTimeoutMs: number;
  /**
   * The door speaks WebSocket: requests with `Upgrade` go here (the head was
   * in time; the socket leaves HTTP and these limits).
   */
  onUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The door's name in reports: public, downlink, admin, uplink. */
  door?: string;
  /** A request answered 400 (bad HTTP), 408 (head or body late) or 413 (body too large) on this door. */
  onBadRequest?(report: BadHttpRequest): void;
}

export interface BadHttpRequest {
  door: string;
  /** Peer address of the connection. */
  remote: string | undefined;
  status: number;
  /** Short stable token: the parser's code (HPE_…), `head_timeout`, `body_timeout`, `too_large`. */
  code: string;
  /** In words: the parser's reason, or which limit was passed. */
  reason: string;
  /** Set when an earlier request came on the same connection: a Content-Length shorter than its body leaves the rest to be read as a new request. */
  hint?: string;
}

/** Who hears about the bad requests of one door (one per server, shared by its connections). */
interface Reporter {
  door: string;
  report(report: BadHttpRequest): void;
}

/** Where a connection is; the timers act only in the phases they were armed for. */
const Phase = {
  /** Waiting for the first request head. */
  FirstHead: 0,
  /** A request is being handled. */
  Busy: 1,
  /** Kept alive after a response: waiting for the next head. */
  NextHead: 2,
  /** Closed, answered for good, or upgraded: no timer acts any more. */
  Gone: 3,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** One per connection: its timers are made once and refreshed, not made per request. */
class Conn {
  phase: Phase = Phase.FirstHead;
  /** Requests whose responses have not finished (HTTP/1.1 pipelining). */
  pending = 0;
  readonly head: NodeJS.Timeout;
  body: NodeJS.Timeout | undefined;
  /** The latest request (only it can still be receiving its body); judged when the body timer fires. */
  req: IncomingMessage | undefined;
  res: ServerResponse | undefined;
  constructor(
    readonly socket: Duplex,
    headTimeoutMs: number,
    readonly reporter: Reporter | undefined,
  ) {
    this.head = setTimeout(headExpired, headTimeoutMs, this).unref();
  }
}

const kConn = Symbol('door-limits connection');
type Tracked = Duplex & { [kConn]?: Conn };

/**
 * Answers on `res` and closes the connection afterwards (the rest of the
 * request is not read). X-M2M-RI is echoed when the request carried one.
 */
export function refuse(req: IncomingMessage, res: ServerResponse, status: number, rsc: number, message: string): void {
  // Node no longer ends a request whose response finished first: whoever reads
  // its body (passthrough's upstream request) learns from its 'close' that no more comes.
  if (res.headersSent) {
    req.destroy();
    res.destroy();
    return;
  }
  res.once('finish', () => {
    if (!req.complete) req.destroy();
  });
  if (status === 400 || status === 408 || status === 413) report(req.socket as Tracked | null, status, status === 413 ? 'too_large' : status === 408 ? 'body_timeout' : 'bad_request', message);
  const answer = httpRefusal(req.headers['x-m2m-ri'], status, rsc, message);
  const body = answer.body ?? '';
  res.writeHead(status, { connection: 'close', ...answer.headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** 413 for a body past `maxBytes`: X-M2M-RSC 4000, then the connection closes. */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, maxBytes: number, setting: string): void {
  refuse(req, res, 413, Rsc.BAD_REQUEST, `request body larger than ${maxBytes} bytes (${setting})`);
}

/** The Content-Length a request declares already passes `maxBytes`. */
export function declaresTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > maxBytes;
}

/**
 * Reads a request body of at most `maxBytes`. Larger: 413 at once — before
 * reading when Content-Length says so, else as soon as the limit is passed,
 * chunked or not — and `onBody` is never called.
 */
export function collectBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, setting: string, onBody: (body: Buffer | undefined) => void): void {
  if (declaresTooLarge(req, maxBytes)) {
    refuseTooLarge(req, res, maxBytes, setting);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size <= maxBytes) {
      chunks.push(chunk);
      return;
    }
    req.off('data', onData);
    req.off('end', onEnd);
    chunks.length = 0;
    refuseTooLarge(req, res, maxBytes, setting);
  };
  const onEnd = () => onBody(chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', () => res.destroy());
}

function report(socket: Tracked | null, status: number, code: string, reason: string, hint?: string): void {
  const reporter = socket?.[kConn]?.reporter;
  if (reporter === undefined) return;
  reporter.report({ door: reporter.door, remote: (socket as { remoteAddress?: string }).remoteAddress, status, code, reason, ...(hint !== undefined ? { hint } : {}) });
}

/** The raw answer for a request Node's parser refused or a head that did not arrive in time; then the socket closes. */
function answerRaw(socket: Duplex, timeout: boolean, detail: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const answer = httpRefusal(undefined, timeout ? 408 : 400, timeout ? Rsc.REQUEST_TIMEOUT : Rsc.BAD_REQUEST, timeout ? 'request head not complete in time (--handshake-timeout)' : `malformed HTTP request: ${detail}`);
  const body = answer.body ?? '';
  let head = `HTTP/1.1 ${timeout ? '408 Request Timeout' : '400 Bad Request'}\r\nConnection: close\r\n`;
  for (const [name, value] of Object.entries(answer.headers)) head += `${name}: ${value}\r\n`;
  socket.end(
    `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    // A client holding its side open must not keep the socket: gone once the answer is out.
    () => socket.destroy(),
  );
}

function headExpired(conn: Conn): void {
  if (conn.phase === Phase.FirstHead) {
    conn.phase = Phase.Gone;
    report(conn.socket, 408, 'head_timeout', 'request head not complete in time (--handshake-timeout)');
    answerRaw(conn.socket, true, '');
  } else if (conn.phase === Phase.NextHead) {
    conn.phase = Phase.Gone;
    conn.socket.destroy();
  }
}

function bodyExpired(conn: Conn): void {
  const req = conn.req;
  if (conn.phase === Phase.Gone || req === undefined || req.complete || conn.res === undefined) return;
  conn.phase = Phase.Gone;
  refuse(req, conn.res, 408, Rsc.REQUEST_TIMEOUT, 'request body not complete in time (--body-timeout)');
}

function onSocketClose(this: Tracked): void {
  const conn = this[kConn];
  if (conn === undefined) return;
  conn.phase = Phase.Gone;
  clearTimeout(conn.head);
  if (conn.body !== undefined) clearTimeout(conn.body);
  conn.req = undefined;
  conn.res = undefined;
}

function onResponseFinish(this: ServerResponse): void {
  const conn = (this.req.socket as Tracked | null)?.[kConn];
  if (conn === undefined || --conn.pending > 0 || conn.phase !== Phase.Busy) return;
  conn.phase = Phase.NextHead;
  conn.head.refresh();
}

/**
 * Puts the limits on `server`: per-connection head and body timers, and the
 * 400/408 answers for bad or late heads. Node's own interval-checked
 * headersTimeout/requestTimeout are switched off: these timers replace them.
 */
export function applyDoorLimits(server: Server, limits: DoorLimits): void {
  const { headTimeoutMs, bodyTimeoutMs } = limits;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  const onBadRequest = limits.onBadRequest;
  const reporter = onBadRequest !== undefined ? { door: limits.door ?? 'http', report: onBadRequest } : undefined;
  const track = (socket: Tracked) => {
    socket[kConn] = new Conn(socket, headTimeoutMs, reporter);
    socket.on('close', onSocketClose);
  };
  // https: HTTP starts after the TLS handshake, which has its own limit (the server's handshakeTimeout).
  server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', track);
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const conn = (req.socket as Tracked)[kConn];
    if (conn === undefined || conn.phase === Phase.Gone) return;
    conn.phase = Phase.Busy;
    conn.pending++;
    res.on('finish', onResponseFinish);
    // At this event even a bodiless request is not yet complete: the timer is refreshed, not made, and checks at its end.
    if (bodyTimeoutMs > 0 && !req.complete) {
      conn.req = req;
      conn.res = res;
      if (conn.body === undefined) conn.body = setTimeout(bodyExpired, bodyTimeoutMs, conn).unref();
      else conn.body.refresh();
    }
  });
  const onUpgrade = limits.onUpgrade;
  if (onUpgrade !== undefined) {
    server.on('upgrade', (req: IncomingMessage, socket: Tracked, head: Buffer) => {
      const conn = socket[kConn];
      if (conn !== undefined) {
        conn.phase = Phase.Gone;
        clearTimeout(conn.head);
        if (conn.body !== undefined) clearTimeout(conn.body);
        socket.off('close', onSocketClose);
        socket[kConn] = undefined;
      }
      onUpgrade(req, socket, head);
    });
  }
  // HTTP that Node's parser refuses (unknown method, broken head) still gets
  // an answer a oneM2M peer can read: 400 with X-M2M-RSC 4000 and a reason.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Tracked) => {
    const conn = socket[kConn];
    // Not tracked: a TLS handshake that failed or timed out; there is no channel to answer on.
    if (conn === undefined) {
      socket.destroy();
      return;
    }
    // A request came before on this connection: the bytes refused may be the tail of its body.
    const followsRequest = conn.phase === Phase.Busy || conn.phase === Phase.NextHead;
    conn.phase = Phase.Gone;
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT';
    const reason = (err as { reason?: unknown }).reason;
    // Only what the parser refused or a timeout is a bad request; a peer that
    // reset or dropped its connection (ECONNRESET, EPIPE) sent nothing to judge.
    if (timeout || err.code?.startsWith('HPE_') === true) report(
      socket,
      timeout ? 408 : 400,
      err.code ?? 'bad_request',
      typeof reason === 'string' ? reason : err.message,
      followsRequest ? 'follows a request on the same connection: a Content-Length shorter than its body (counted in characters, not bytes?) leaves the rest to be read as a new request' : undefined,
    );
    answerRaw(socket, timeout, err.code ?? err.message);
  });
}
