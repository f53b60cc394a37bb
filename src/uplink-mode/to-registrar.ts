// Upstream CSE → registrar. An HTTP request on the uplink door becomes a
// request primitive on the outbound WebSocket (TS-0009 reversed, ref B11);
// the registrar's response primitive becomes the HTTP answer, X-M2M-RI
// exactly as received (ref G5).
import type { Logger } from 'pino';
import type { Onem2mWsClient } from '../client/onem2m-ws-client.js';
import { Onem2mClientError } from '../client/client-error.js';
import { DEFAULT_RVI, errorResponse, responseForError } from '../http/error-answer.js';
import { parseContentType } from '../http/content-type.js';
import { fromHttpRequest } from '../http/from-http-request.js';
import { toHttpResponse } from '../http/to-http-response.js';
import type { HttpResponseParts } from '../http/to-http-response.js';
import type { ContentCodec } from '../primitive/codec.js';
import { contentCodecFor } from '../primitive/codecs.js';
import { absRelToEpochMs } from '../primitive/timestamp.js';
import { Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive, Serialization } from '../primitive/types.js';
import { contentForRegistrar, contentForUpstream } from './poa-rewrite.js';
import type { UplinkHttpRequest } from './uplink-door-server.js';

export interface ToRegistrarOptions {
  client: Onem2mWsClient;
  logger: Logger;
  /** Time the registrar has when the request has no rqet. */
  timeoutMs: number;
  /** Serialization of answers when the upstream CSE's request names none. */
  defaultSerialization: Serialization;
  /** The uplink door URL, put where the registrar's ws:// poa was. */
  uplinkUrl(): string;
  /** --uplink-poa: what replaces the upstream CSE's http(s) poa toward the registrar ('' = leave them out). */
  registreePoa: string;
}

/** What a client failure means for the upstream CSE (ref B7): not reachable, or no answer in time. */
function rscForClientError(err: Onem2mClientError): number {
  if (err.code === 'ONEM2M_CLIENT_TIMEOUT') return Rsc.REQUEST_TIMEOUT;
  if (err.code === 'ONEM2M_CLIENT_ENCODE') return Rsc.NOT_ACCEPTABLE;
  if (err.code === 'ONEM2M_CLIENT_BAD_REQUEST') return Rsc.BAD_REQUEST;
  return Rsc.TARGET_NOT_REACHABLE;
}

function answerCodec(headers: UplinkHttpRequest['headers'], fallback: Serialization): ContentCodec {
  for (const header of [headers.accept, headers['content-type']]) {
    if (typeof header !== 'string') continue;
    const s = parseContentType(header.split(',')[0]).serialization;
    if (s !== undefined) return contentCodecFor(s);
  }
  return contentCodecFor(fallback);
}

export function toRegistrarHandler(o: ToRegistrarOptions): (http: UplinkHttpRequest) => Promise<HttpResponseParts> {
  return async (http) => {
    const content = answerCodec(http.headers, o.defaultSerialization);
    const headerRqi = typeof http.headers['x-m2m-ri'] === 'string' ? http.headers['x-m2m-ri'] : '';
    const rvi = typeof http.headers['x-m2m-rvi'] === 'string' ? http.headers['x-m2m-rvi'] : DEFAULT_RVI;
    let req: RequestPrimitive;
    try {
      req = fromHttpRequest(http, '', (s) => contentCodecFor(s));
    } catch (err) {
      return toHttpResponse(responseForError({ rqi: headerRqi, rvi }, err), content, headerRqi);
    }
    if (req.to === '') {
      return toHttpResponse(errorResponse(req.rqi, Rsc.BAD_REQUEST, 'no request target: the path names the target at the registrar, e.g. /~/id-in/cse-in (TS-0009 6.2.2.1)', req.rvi ?? rvi), content, req.rqi);
    }
    if (req.pc !== undefined) req.pc = contentForRegistrar(req.pc, o.registreePoa);
    let timeoutMs = o.timeoutMs;
    if (req.rqet !== undefined) {
      // TS-0004 6.4.1: the request expires at rqet.
      const expiry = absRelToEpochMs(req.rqet, Date.now());
      if (expiry !== undefined) timeoutMs = Math.min(timeoutMs, expiry - Date.now());
      if (timeoutMs <= 0) return toHttpResponse(errorResponse(req.rqi, Rsc.REQUEST_TIMEOUT, 'request expired (rqet) before it could be forwarded to the registrar', req.rvi ?? rvi), content, req.rqi);
    }
    // The HTTP answer carries the upstream CSE's own X-M2M-RI whatever rqi the WebSocket leg used.
    const httpRqi = req.rqi;
    let rsp: ResponsePrimitive;
    try {
      if (req.rt?.rtv === 5) {
        await o.client.send(req, { timeoutMs });
        return { status: 204, headers: { 'x-m2m-ri': httpRqi } };
      }
      rsp = await requestWithUniqueRqi(o.client, req, timeoutMs);
    } catch (err) {
      if (!(err instanceof Onem2mClientError)) throw err;
      o.logger.warn({ rqi: httpRqi, to: req.to, code: err.code, err: err.message }, 'request for the registrar failed');
      return toHttpResponse(errorResponse(httpRqi, rscForClientError(err), `registrar: ${err.message}`, req.rvi ?? rvi), content, httpRqi);
    }
    if (rsp.pc !== undefined) rsp = { ...rsp, pc: contentForUpstream(rsp.pc, o.uplinkUrl()) };
    return toHttpResponse(rsp, content, httpRqi);
  };
}

/**
 * Sends with the upstream CSE's rqi; when that rqi is already waiting on the
 * connection (another request reused it, ref G21) the WebSocket leg gets a
 * fresh one, so two answers never mix.
 */
async function requestWithUniqueRqi(client: Onem2mWsClient, req: RequestPrimitive, timeoutMs: number): Promise<ResponsePrimitive> {
  try {
    return await client.request(req, { timeoutMs });
  } catch (err) {
    if (!(err instanceof Onem2mClientError) || err.code !== 'ONEM2M_CLIENT_BAD_REQUEST') throw err;
    const { rqi: _taken, ...rest } = req;
    return client.request(rest, { timeoutMs });
  }
}
