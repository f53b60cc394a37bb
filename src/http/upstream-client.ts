// Sends request primitives to the HTTP-only CSE (TS-0009) over a keep-alive
// undici pool and turns its answers back into response primitives.
import { Pool, errors as undiciErrors } from 'undici';
import { BridgeError, errorMessage } from '../errors.js';
import { CachedLookup } from './cached-lookup.js';
import { ClosingUpstreamDetector } from './closing-upstream.js';
import type { ClosingUpstreamEvidence } from './closing-upstream.js';
import type { ContentCodec } from '../primitive/codec.js';
import { absRelToEpochMs } from '../primitive/timestamp.js';
import { Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive, Serialization } from '../primitive/types.js';
import { fromHttpResponse } from './from-http-response.js';
import { toHttpRequest } from './to-http-request.js';

export interface UpstreamClientOptions {
  url: URL;
  content: ContentCodec;
  contentFor(s: Serialization): ContentCodec | undefined;
  timeoutMs: number;
  connections: number;
  /** CA bundle and client certificate toward an https:// CSE. */
  tls?: UpstreamTls;
  /** A TCP (or TLS) connection to the CSE was opened. */
  onConnectionOpened?: () => void;
  /** The CSE closes its connection after each answer (at most once per client; closing-upstream.ts). */
  onClosingUpstream?: (evidence: ClosingUpstreamEvidence) => void;
}

export interface UpstreamTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Why an upstream exchange failed, for metrics and logs (bounded set). */
export type UpstreamErrorKind = 'refused' | 'timeout' | 'reset' | 'bad_response' | 'other';

export class UpstreamError extends BridgeError {
  readonly kind: UpstreamErrorKind;
  constructor(kind: UpstreamErrorKind, rsc: number, message: string, cause?: unknown) {
    super(`BRIDGE_ERR_UPSTREAM_${kind.toUpperCase()}`, rsc, message, { cause });
    this.name = 'UpstreamError';
    this.kind = kind;
  }
}

/** Deadlines shorter than this get an exact timer instead of undici's coarse ones. */
const PRECISE_BELOW_MS = 2000;

export class UpstreamClient {
  private readonly pool: Pool;
  private readonly options: UpstreamClientOptions;
  /** Root path of the CSE, e.g. '' or '/onem2m' (ACME's [http] root). */
  private readonly root: string;
  private readonly closing: ClosingUpstreamDetector;

  constructor(options: UpstreamClientOptions) {
    this.options = options;
    // The CSE's host name is resolved once per few seconds, not per
    // connection (cached-lookup.ts): a CSE that closes after each answer
    // would otherwise cost a getaddrinfo per forwarded request.
    const names = new CachedLookup();
    this.pool = new Pool(options.url.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      connect: { timeout: Math.min(options.timeoutMs, 10_000), lookup: names.lookup, ...options.tls },
    });
    this.pool.on('connectionError', () => names.clear());
    const onClosing = options.onClosingUpstream;
    this.closing = new ClosingUpstreamDetector((evidence) => onClosing?.(evidence));
    const onOpened = options.onConnectionOpened;
    // This pool's own event, once per connection: other undici clients in
    // the process (passthrough, tests) are not counted.
    this.pool.on('connect', () => {
      this.closing.connectionOpened();
      onOpened?.();
    });
    this.root = options.url.pathname.replace(/\/+$/, '');
  }

  /**
   * One request primitive → one response primitive, or null when the CSE
   * sends none (rt = noResponse, HTTP 204). Failures become UpstreamError:
   * unreachable → 5103, no answer in time → 4008 (ref B8).
   */
  async send(req: RequestPrimitive): Promise<ResponsePrimitive | null> {
    let timeoutMs = this.options.timeoutMs;
    if (req.rqet !== undefined) {
      // TS-0004 6.4.1: the request expires at rqet; ACME does the same (ref B9 step 9).
      // rqet only shortens the wait: --upstream-timeout stays the longest a
      // registree can hold an upstream request open.
      const expiry = absRelToEpochMs(req.rqet, Date.now());
      if (expiry !== undefined) timeoutMs = Math.min(timeoutMs, expiry - Date.now());
      if (timeoutMs <= 0) throw new UpstreamError('timeout', Rsc.REQUEST_TIMEOUT, 'request expired (rqet) before it could be forwarded');
    }
    const http = toHttpRequest(req, this.options.content);
    const closing = this.closing;
    // dispatch() with a plain handler: no Readable, no async iterator per
    // request (the request() API costs measurably more on the hot path).
    const res = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer | undefined }>((resolve, reject) => {
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      let first: Buffer | undefined;
      let more: Buffer[] | undefined;
      let timer: NodeJS.Timeout | undefined;
      this.pool.dispatch(
        {
          method: http.method,
          path: this.root + http.path,
          headers: http.headers,
          body: http.body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        {
          onRequestStart(controller) {
            // undici's own timeouts tick coarsely (about a second): a short
            // deadline, typically from rqet, gets an exact timer of its own.
            if (timeoutMs < PRECISE_BELOW_MS) {
              timer = setTimeout(() => controller.abort(new undiciErrors.HeadersTimeoutError()), timeoutMs);
            }
          },
          onResponseStart(_controller, statusCode, responseHeaders) {
            status = statusCode;
            headers = responseHeaders;
            closing.response(responseHeaders.connection);
          },
          onResponseData(_controller, chunk) {
            if (first === undefined) first = chunk;
            else (more ??= [first]).push(chunk);
          },
          onResponseEnd() {
            clearTimeout(timer);
            resolve({ status, headers, body: more === undefined ? first : Buffer.concat(more) });
          },
          onResponseError(_controller, err) {
            clearTimeout(timer);
            reject(classify(err, timeoutMs));
          },
        },
      );
    });
    try {
      return fromHttpResponse(req, res, this.options.contentFor);
    } catch (err) {
      const message = errorMessage(err);
      throw new UpstreamError('bad_response', Rsc.INTERNAL_SERVER_ERROR, `CSE answer could not be read: ${message}`, err);
    }
  }

  /** Resolves true when a TCP connection to the CSE can be made (for /readyz). */
  async reachable(): Promise<boolean> {
    try {
      const res = await this.pool.request({ method: 'GET', path: this.root + '/', headersTimeout: 2000, bodyTimeout: 2000 });
      await res.body.dump();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function classify(err: unknown, timeoutMs: number): UpstreamError {
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new UpstreamError('timeout', Rsc.REQUEST_TIMEOUT, `CSE did not answer within ${timeoutMs} ms`, err);
  }
  if (err instanceof undiciErrors.ConnectTimeoutError) {
    return new UpstreamError('refused', Rsc.TARGET_NOT_REACHABLE, 'CSE not reachable: connect timeout', err);
  }
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN') {
    return new UpstreamError('refused', Rsc.TARGET_NOT_REACHABLE, `CSE not reachable: ${code}`, err);
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return new UpstreamError('reset', Rsc.TARGET_NOT_REACHABLE, `CSE connection failed: ${code}`, err);
  }
  const message = errorMessage(err);
  return new UpstreamError('other', Rsc.TARGET_NOT_REACHABLE, `CSE request failed: ${message}`, err);
}
