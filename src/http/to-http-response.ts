// Response primitive from a registree → HTTP response to the CSE (downlink
// door; TS-0009 6.3-6.5, ref B11 last paragraph).
import type { ContentCodec } from '../primitive/codec.js';
import type { ResponsePrimitive } from '../primitive/types.js';
import { Rsc } from '../primitive/types.js';
import { formatTimestamp, isValidTimestamp } from '../primitive/timestamp.js';
import { scalarText } from '../primitive/float-lexeme.js';
import { httpStatusForRsc } from './rsc-status.js';

export interface HttpResponseParts {
  status: number;
  /** lower-case header names */
  headers: Record<string, string>;
  body?: Buffer | string;
}

// RFC 9110 5.5 field-value characters (what node:http accepts).
const HEADER_SAFE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Sets an optional header; a value no HTTP header can carry is left out rather than failing the answer. */
function optional(headers: Record<string, string>, name: string, value: string): void {
  if (HEADER_SAFE_RE.test(value)) headers[name] = value;
}

/**
 * Response primitive → HTTP response. `requestRqi` is the X-M2M-RI the CSE
 * sent, echoed exactly: ACME discards an answer whose RI differs (gotcha 5),
 * whatever `rqi` the registree's response carries (gotcha 21).
 */
export function toHttpResponse(rsp: ResponsePrimitive, content: ContentCodec, requestRqi: string): HttpResponseParts {
  const headers: Record<string, string> = {
    'x-m2m-rsc': String(rsp.rsc), // TS-0009 6.4.13
    'x-m2m-ri': requestRqi, // TS-0009 6.4.2, gotcha 5
    // X-M2M-OT must be a valid m2m:timestamp or ACME drops the answer (gotcha 5)
    'x-m2m-ot': isValidTimestamp(rsp.ot) ? rsp.ot : formatTimestamp(Date.now()),
  };
  if (rsp.rvi !== undefined) optional(headers, 'x-m2m-rvi', rsp.rvi);
  if (rsp.fr !== undefined && rsp.fr !== '') optional(headers, 'x-m2m-origin', rsp.fr);
  if (rsp.rset !== undefined) optional(headers, 'x-m2m-rst', String(rsp.rset));
  if (rsp.ec !== undefined) optional(headers, 'x-m2m-ec', scalarText(rsp.ec));
  if (rsp.vsi !== undefined) optional(headers, 'x-m2m-vsi', rsp.vsi);
  if (rsp.cnst !== undefined) optional(headers, 'x-m2m-cts', scalarText(rsp.cnst));
  if (rsp.cnot !== undefined) optional(headers, 'x-m2m-cto', scalarText(rsp.cnot));
  if (rsp.ati !== undefined && rsp.ati.ltia.length > 0) {
    // `lti1:tkid1+lti2:tkid2` (TS-0009 6.4.22)
    optional(headers, 'x-m2m-ati', rsp.ati.ltia.map((a) => `${a.lti}:${a.tkid}`).join('+'));
  }
  if (rsp.asri !== undefined) optional(headers, 'x-m2m-asri', scalarText(rsp.asri));

  // body: pc, or tqf for 4103 (TS-0009 6.5, ref B6)
  const payload = rsp.rsc === Rsc.ORIGINATOR_HAS_NO_PRIVILEGE && rsp.tqf !== undefined ? rsp.tqf : rsp.pc;
  const parts: HttpResponseParts = { status: httpStatusForRsc(rsp.rsc), headers };
  if (payload !== undefined) {
    parts.body = content.encodeContent(payload);
    headers['content-type'] = content.mediaType; // bare, no ty in responses
  }

  // Content-Location in CREATE responses: m2m:uri or m2m:rce/uri (TS-0009 6.4.7, ref B3)
  if (rsp.rsc === Rsc.CREATED && rsp.pc !== undefined) {
    const uri = rsp.pc['m2m:uri'];
    const rce = rsp.pc['m2m:rce'];
    const location =
      typeof uri === 'string' ? uri
      : rce !== null && typeof rce === 'object' && !Array.isArray(rce) && typeof rce['uri'] === 'string' ? rce['uri']
      : undefined;
    if (location !== undefined) optional(headers, 'content-location', location);
  }
  return parts;
}
