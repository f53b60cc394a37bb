// The one place where failures become response primitives (and, on the HTTP
// doors, the HTTP answers carrying them).
import { BridgeError, ERRORS } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { formatTimestamp } from '../primitive/timestamp.js';
import { Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';
import { contentCodecFor } from '../primitive/codecs.js';
import { toHttpResponse } from '../http/to-http-response.js';
import type { HttpResponseParts } from '../http/to-http-response.js';

/** Release used in answers the bridge makes up itself when the request named none. */
export const DEFAULT_RVI = '3';

export function errorResponse(rqi: string, rsc: number, message: string, rvi: string = DEFAULT_RVI): ResponsePrimitive {
  // ot like every CSE answer carries (optional in TS-0004, but clients log it).
  return { rsc, rqi, rvi, ot: formatTimestamp(Date.now()), pc: { 'm2m:dbg': message } };
}

/** The answer for a catalogued error code (rsc from ERRORS). */
export function codedResponse(rqi: string, code: ErrorCode, message: string, rvi: string = DEFAULT_RVI): ResponsePrimitive {
  return errorResponse(rqi, ERRORS[code].rsc, message, rvi);
}

/** Any thrown value → the response primitive answering `req`. */
export function responseForError(req: Pick<RequestPrimitive, 'rqi' | 'rvi'>, err: unknown): ResponsePrimitive {
  if (err instanceof BridgeError) return errorResponse(req.rqi, err.rsc, err.message, req.rvi ?? DEFAULT_RVI);
  const message = err instanceof Error ? err.message : String(err);
  return errorResponse(req.rqi, Rsc.INTERNAL_SERVER_ERROR, `internal error: ${message}`, req.rvi ?? DEFAULT_RVI);
}

// RFC 9110 5.5 field-value characters: an X-M2M-RI that cannot be echoed is left out.
const HEADER_SAFE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The X-M2M-RI to echo: the request's when it is one a header can carry, else none (''). */
function echoableRi(ri: string | string[] | undefined): string {
  return typeof ri === 'string' && HEADER_SAFE_RE.test(ri) ? ri : '';
}

/** A bridge-made error primitive → its HTTP form (TS-0009 6.4.13 X-M2M-RSC, 6.4.2 X-M2M-RI when there is one to echo). */
function asHttp(rsp: ResponsePrimitive): HttpResponseParts {
  const answer = toHttpResponse(rsp, contentCodecFor('json'), rsp.rqi);
  if (rsp.rqi === '') delete answer.headers['x-m2m-ri'];
  return answer;
}

/**
 * Any thrown value → the HTTP answer on a door that speaks oneM2M (TS-0009
 * 6.4.13 X-M2M-RSC, 6.4.2 X-M2M-RI echoed when the request carried a readable
 * one): the error's message in `m2m:dbg`, never a stack.
 */
export function httpErrorAnswer(ri: string | string[] | undefined, err: unknown): HttpResponseParts {
  return asHttp(responseForError({ rqi: echoableRi(ri) }, err));
}

/**
 * The HTTP answer for a request a door refuses itself, with the HTTP status the
 * situation names (RFC 9110: 408, 413, 502, 504) where it differs from the one
 * the rsc maps to (TS-0009 6.3.2 Table 6.3.2-1); otherwise as httpErrorAnswer().
 */
export function httpRefusal(ri: string | string[] | undefined, status: number, rsc: number, message: string): HttpResponseParts {
  const answer = asHttp(errorResponse(echoableRi(ri), rsc, message));
  answer.status = status;
  return answer;
}
