// Failures as HTTP answers on the doors that speak oneM2M. The response
// primitives themselves are built in primitive/error-primitive.ts (re-exported
// here for the bridge's own files).
import { contentCodecFor } from '../primitive/codecs.js';
import { responseForError } from '../primitive/error-primitive.js';
import { toHttpResponse } from '../http/to-http-response.js';
import type { HttpResponseParts } from '../http/to-http-response.js';

export { DEFAULT_RVI, codedResponse, errorResponse, responseForError } from '../primitive/error-primitive.js';

// RFC 9110 5.5 field-value characters: an X-M2M-RI that cannot be echoed is left out.
const HEADER_SAFE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Any thrown value → the HTTP answer on a door that speaks oneM2M (TS-0009
 * 6.4.13 X-M2M-RSC, 6.4.2 X-M2M-RI echoed when the request carried a readable
 * one): the error's message in `m2m:dbg`, never a stack.
 */
export function httpErrorAnswer(ri: string | string[] | undefined, err: unknown): HttpResponseParts {
  const rqi = typeof ri === 'string' && HEADER_SAFE_RE.test(ri) ? ri : '';
  const answer = toHttpResponse(responseForError({ rqi }, err), contentCodecFor('json'), rqi);
  if (rqi === '') delete answer.headers['x-m2m-ri'];
  return answer;
}
