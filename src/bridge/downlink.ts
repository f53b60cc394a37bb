// CSE → registree. An HTTP request on the downlink door for `/r/<key>`
// becomes a request primitive on the registree's WebSocket; its response
// primitive becomes the HTTP answer (DESIGN 4, ref B11).
import type { Logger } from 'pino';
import { BridgeError, PrimitiveDecodeError } from '../errors.js';
import type { ContentCodec } from '../primitive/codec.js';
import { Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive, Serialization } from '../primitive/types.js';
import { parseContentType } from '../http/content-type.js';
import type { DownlinkHttpRequest, DownlinkHttpResponse } from '../http/downlink-server.js';
import { fromHttpRequest } from '../http/from-http-request.js';
import { toHttpResponse } from '../http/to-http-response.js';
import type { Store } from '../store/store.js';
import { DEFAULT_RVI, errorResponse, responseForError } from './error-response.js';
import type { Registry } from './registry.js';

export interface DownlinkOptions {
  store: Store;
  registry: Registry;
  logger: Logger;
  timeoutMs: number;
  /** Serialization of answers when the CSE's request names none. */
  defaultSerialization: Serialization;
  contentFor(s: Serialization): ContentCodec | undefined;
  onPrimitive?(op: number, rsc: number, seconds: number): void;
}

export class Downlink {
  private readonly o: DownlinkOptions;

  constructor(options: DownlinkOptions) {
    this.o = options;
  }

  readonly handle = async (key: string, http: DownlinkHttpRequest): Promise<DownlinkHttpResponse> => {
    const started = process.hrtime.bigint();
    const content = this.answerCodec(http);
    const headerRqi = http.headers['x-m2m-ri'];
    const rqi = typeof headerRqi === 'string' ? headerRqi : '';
    const rvi = typeof http.headers['x-m2m-rvi'] === 'string' ? http.headers['x-m2m-rvi'] : DEFAULT_RVI;

    let session = this.o.registry.sessionForKey(key);
    const reg = session?.registration ?? (await this.o.store.getRegistrationByKey(key));
    if (reg === undefined) {
      return toHttpResponse(errorResponse(rqi, Rsc.NOT_FOUND, `no registree is known under /r/${key}`, rvi), content, rqi);
    }
    let req: RequestPrimitive;
    try {
      req = fromHttpRequest({ method: http.method, path: http.path, headers: http.headers, body: http.body }, reg.id, this.o.contentFor);
    } catch (err) {
      const message = err instanceof PrimitiveDecodeError ? err.message : `bad request: ${String(err)}`;
      return toHttpResponse(errorResponse(rqi, Rsc.BAD_REQUEST, message, rvi), content, rqi);
    }
    session = this.o.registry.sessionForKey(key);
    let rsp: ResponsePrimitive;
    if (session === undefined) {
      // The durable store-and-forward queue comes with DESIGN 4; until then an
      // offline registree is simply not reachable.
      rsp = errorResponse(req.rqi, Rsc.TARGET_NOT_REACHABLE, `registree ${reg.id} is not connected`, req.rvi ?? rvi);
    } else {
      try {
        rsp = await session.request(req, this.o.timeoutMs);
      } catch (err) {
        if (!(err instanceof BridgeError)) this.o.logger.error({ rqi: req.rqi, registree: reg.id, err: String(err) }, 'downlink request failed');
        rsp = responseForError(req, err);
      }
    }
    this.o.onPrimitive?.(req.op, rsp.rsc, Number(process.hrtime.bigint() - started) / 1e9);
    return toHttpResponse(rsp, content, req.rqi);
  };

  /** Answer in what the CSE asked for (Accept), else what it sent, else the configured format. */
  private answerCodec(http: DownlinkHttpRequest): ContentCodec {
    for (const header of [http.headers.accept, http.headers['content-type']]) {
      if (typeof header !== 'string') continue;
      const first = header.split(',')[0];
      const s = parseContentType(first).serialization;
      const codec = s === undefined ? undefined : this.o.contentFor(s);
      if (codec !== undefined) return codec;
    }
    const fallback = this.o.contentFor(this.o.defaultSerialization);
    if (fallback === undefined) throw new BridgeError('BRIDGE_ERR_CONFIG', Rsc.INTERNAL_SERVER_ERROR, 'no codec for the default serialization');
    return fallback;
  }
}
