// HTTP response from the CSE → response primitive (TS-0009 6.3-6.5, ref B10).
import type { ContentCodec } from '../primitive/codec.js';
import type { AssignedTokenIdentifiers, PrimitiveContent, RequestPrimitive, ResponsePrimitive, Serialization } from '../primitive/types.js';
import { ResponseTypeValue } from '../primitive/types.js';
import { absRelFromText } from '../primitive/timestamp.js';
import { PrimitiveDecodeError } from '../errors.js';
import { parseContentType } from './content-type.js';
import { headerValue } from './header-value.js';
import { rscForHttpStatus } from './rsc-status.js';

export interface HttpResponseIn {
  status: number;
  /** lower-case header names, as node:http and undici deliver them */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | undefined;
}

const INT_RE = /^\s*[+-]?\d+\s*$/;

function intOf(s: string | undefined): number | undefined {
  return s !== undefined && INT_RE.test(s) ? Number(s) : undefined;
}

/** `lti1:tkid1+lti2:tkid2` → m2m:dynAuthLocalTokenIdAssignments (TS-0009 6.4.22, ref B3). */
export function parseAti(s: string): AssignedTokenIdentifiers {
  const ltia: AssignedTokenIdentifiers['ltia'] = [];
  for (const pair of s.split(/[+ ]/)) {
    if (pair === '') continue;
    const colon = pair.indexOf(':');
    if (colon < 0) continue;
    ltia.push({ lti: pair.slice(0, colon), tkid: pair.slice(colon + 1) });
  }
  return { ltia };
}

/**
 * One HTTP response from the CSE → the response primitive for `req` (ref B10),
 * or null when no response primitive is to be sent (ref B8: 204 without
 * X-M2M-RSC, ACME's answer to rt = noResponse).
 *
 * rsc: X-M2M-RSC, else the ref B8 fallback. A 204 without X-M2M-RSC for a
 * request that did not ask for noResponse is still a success and gets the
 * 200-row code of its op, so that every other request keeps its one answer.
 *
 * Content: by Content-Type; an empty body gives no `pc`. For a success
 * (1xxx/2xxx) an unknown media type or an undecodable body throws
 * PrimitiveDecodeError carrying the request's rqi: the fault is upstream's, so
 * the caller answers 5000 INTERNAL_SERVER_ERROR (UpstreamClient wraps it as
 * `bad_response`, rsc 5000), not 4000. For an error response (4xxx-6xxx) the
 * body is only debug information: if it cannot be read it is dropped and the
 * error rsc is kept (e.g. an HTML page from a proxy in front of the CSE).
 */
export function fromHttpResponse(
  req: RequestPrimitive,
  res: HttpResponseIn,
  contentFor: (s: Serialization) => ContentCodec | undefined,
): ResponsePrimitive | null {
  const h = res.headers;

  // rsc (TS-0009 6.4.13; fallback ref B8)
  let rsc = intOf(headerValue(h, 'x-m2m-rsc'));
  if (rsc === undefined) {
    const fallback = rscForHttpStatus(res.status, req.op);
    if (fallback === null) {
      if (req.rt?.rtv === ResponseTypeValue.NoResponse) return null;
      rsc = rscForHttpStatus(200, req.op) ?? 2000;
    } else {
      rsc = fallback;
    }
  }

  const rsp: ResponsePrimitive = {
    rsc,
    rqi: headerValue(h, 'x-m2m-ri') ?? req.rqi, // ref B10
  };
  const rvi = headerValue(h, 'x-m2m-rvi') ?? req.rvi; // mandatory in Rel-2+ responses (ref A2)
  if (rvi !== undefined) rsp.rvi = rvi;
  const fr = headerValue(h, 'x-m2m-origin');
  if (fr !== undefined && fr !== '') rsp.fr = fr;
  const ot = headerValue(h, 'x-m2m-ot');
  if (ot !== undefined) rsp.ot = ot;
  const rset = headerValue(h, 'x-m2m-rst');
  if (rset !== undefined) rsp.rset = absRelFromText(rset.trim());
  const ec = intOf(headerValue(h, 'x-m2m-ec'));
  if (ec !== undefined) rsp.ec = ec;
  const vsi = headerValue(h, 'x-m2m-vsi');
  if (vsi !== undefined) rsp.vsi = vsi;
  const cnst = intOf(headerValue(h, 'x-m2m-cts'));
  if (cnst !== undefined) rsp.cnst = cnst;
  const cnot = intOf(headerValue(h, 'x-m2m-cto'));
  if (cnot !== undefined) rsp.cnot = cnot;
  const ati = headerValue(h, 'x-m2m-ati');
  if (ati !== undefined && ati.trim() !== '') rsp.ati = parseAti(ati.trim());
  const asri = headerValue(h, 'x-m2m-asri');
  if (asri !== undefined) {
    const v = asri.trim().toLowerCase();
    if (v === 'true' || v === '1') rsp.asri = true;
    else if (v === 'false' || v === '0') rsp.asri = false;
  }

  // pc from the body (TS-0009 6.5, ref B6)
  const body = res.body;
  if (body !== undefined && body.length > 0) {
    const pc = decodeBody(req, rsc, headerValue(h, 'content-type'), body, contentFor);
    if (pc !== undefined) rsp.pc = pc;
  }
  return rsp;
}

function decodeBody(
  req: RequestPrimitive,
  rsc: number,
  contentType: string | undefined,
  body: Buffer,
  contentFor: (s: Serialization) => ContentCodec | undefined,
): PrimitiveContent | undefined {
  const lenient = rsc >= 4000; // error responses: pc is debug info only
  const ct = parseContentType(contentType);
  const codec = ct.serialization === undefined ? undefined : contentFor(ct.serialization);
  if (codec === undefined) {
    if (lenient) return undefined;
    throw new PrimitiveDecodeError(
      `CSE response body has ${ct.serialization === undefined ? (ct.error ?? 'an unknown media type') : `no ${ct.serialization} codec`}`,
      req.rqi,
    );
  }
  try {
    return codec.decodeContent(body);
  } catch (err) {
    if (lenient) return undefined;
    const why = err instanceof Error ? `: ${err.message}` : '';
    throw new PrimitiveDecodeError(`CSE response body is not valid ${codec.serialization}${why}`, req.rqi, { cause: err });
  }
}
