// Failures as HTTP answers on the doors that speak oneM2M. The response
// primitives themselves are built in primitive/error-primitive.ts (re-exported
// here for the bridge's own files).
import { contentCodecFor } from '../primitive/codecs.js';
import { errorResponse, responseForError } from '../primitive/error-primitive.js';
import type { ResponsePrimitive } from '../primitive/types.js';
import { toHttpResponse } from './to-http-response.js';
import type { HttpResponseParts } from './to-http-response.js';

export { DEFAULT_RVI, codedResponse, errorResponse, responseForError } from '../primitive/error-primitive.js';

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
