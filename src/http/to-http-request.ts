// Request primitive → HTTP request (TS-0009 6.2-6.5, checklist ref B9).
// Pure: the upstream client sends what this returns. Hot path: strings are
// built directly, no URLSearchParams.
import type { ContentCodec } from '../primitive/codec.js';
import { isFloatLexeme, lexemeOf, scalarText as passedText } from '../primitive/float-lexeme.js';
import type { JsonValue, PrimitiveContent, RequestPrimitive } from '../primitive/types.js';
import { Operation } from '../primitive/types.js';
import { PrimitiveDecodeError } from '../errors.js';
import { contentTypeFor } from './content-type.js';

export interface HttpRequestParts {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** origin-form Request-Target, query included (TS-0009 6.2.2). */
  path: string;
  /** lower-case header names */
  headers: Record<string, string>;
  body?: Buffer | string;
}

/** How each filterCriteria member travels in the query (ref A8, TS-0009 6.2.2.2). */
export type FcQueryKind = 'string' | 'number' | 'stringList' | 'numberList' | 'attribute';

/**
 * Every filterCriteria member of ref A8 with its JSON type. `atr`/`catr`/`patr`
 * never appear as query keys themselves: they become `<nm>=`, `c.<nm>=`,
 * `p.<nm>=` (TS-0009 6.2.2.2). Keys not in this table are ACME-style plain
 * attribute filters (ref A8) and also travel as `<key>=<value>`.
 */
export const FC_QUERY_KINDS: Readonly<Record<string, FcQueryKind>> = Object.freeze({
  crb: 'string', cra: 'string', ms: 'string', us: 'string',
  sts: 'number', stb: 'number',
  exb: 'string', exa: 'string',
  lbl: 'stringList', clbl: 'stringList', palb: 'stringList',
  lbq: 'string',
  ty: 'numberList', chty: 'numberList', pty: 'numberList',
  sza: 'number', szb: 'number',
  cty: 'stringList',
  atr: 'attribute', catr: 'attribute', patr: 'attribute',
  fu: 'number', lim: 'number',
  smf: 'stringList',
  fo: 'number', cfs: 'number', cfq: 'string', lvl: 'number', ofst: 'number',
  arp: 'string',
  gmty: 'number', geom: 'string', gsf: 'number',
  aq: 'string',
});

/** Query key prefix of the attribute-filter members (TS-0009 6.2.2.2, ref A8). */
export const FC_ATTRIBUTE_PREFIX: Readonly<Record<string, string>> = Object.freeze({ atr: '', catr: 'c.', patr: 'p.' });

/** op → method (TS-0009 6.2.1, ref B1). Index = op. */
const METHOD_BY_OP: ReadonlyArray<HttpRequestParts['method'] | undefined> = [
  undefined, 'POST', 'GET', 'PUT', 'DELETE', 'POST',
];

// RFC 3986 pchar plus "/": everything else in `to` is percent-encoded.
const PATH_SAFE_RE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const PATH_UNSAFE_CHAR_RE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/gu;
// RFC 9110 5.5 field-value characters (what Node/undici accept).
const HEADER_UNSAFE_RE = /[^\t\x20-\x7e\x80-\xff]/;

// `&<key>=` for every known query key, built once.
const KEY_PREFIX = new Map<string, string>();
for (const k of [
  'atrl', 'rcn', 'rt', 'rp', 'da', 'drt', 'sqi', 'rids', 'tids', 'ltids', 'tqi', 'asi', 'auri', 'ma',
  ...Object.keys(FC_QUERY_KINDS),
]) KEY_PREFIX.set(k, `&${k}=`);

function fail(message: string, req: RequestPrimitive, cause?: unknown): never {
  throw new PrimitiveDecodeError(message, typeof req.rqi === 'string' ? req.rqi : undefined, { cause });
}

/** Percent-encodes one query key or value (TS-0009 6.2.2.2). */
function enc(s: string, req: RequestPrimitive): string {
  try {
    return encodeURIComponent(s);
  } catch (err) {
    return fail('lone surrogate in a query value', req, err);
  }
}

function keyPrefix(key: string, req: RequestPrimitive): string {
  return KEY_PREFIX.get(key) ?? `&${enc(key, req)}=`;
}

/** One query value as text: strings as they are, numbers and booleans printed (a float as written), objects as JSON. */
function scalarText(v: JsonValue): string {
  if (typeof v === 'string') return v;
  if (typeof v !== 'object' || v === null) return String(v);
  return isFloatLexeme(v) ? lexemeOf(v) : JSON.stringify(v);
}

/** `&k=v`, lists as repeated keys like ACME (ref A8 "Multi-valued query fields"). */
function appendValue(q: string, prefix: string, v: JsonValue | undefined, req: RequestPrimitive): string {
  if (v === undefined || v === null) return q;
  if (Array.isArray(v)) {
    for (const item of v) if (item !== null) q += prefix + enc(scalarText(item), req);
    return q;
  }
  return q + prefix + enc(scalarText(v), req);
}

function encodePath(path: string, req: RequestPrimitive): string {
  if (PATH_SAFE_RE.test(path)) return path;
  try {
    return path.replace(PATH_UNSAFE_CHAR_RE, encodeURIComponent);
  } catch (err) {
    return fail('lone surrogate in to', req, err);
  }
}

function header(headers: Record<string, string>, name: string, value: string, req: RequestPrimitive): void {
  if (HEADER_UNSAFE_RE.test(value)) fail(`invalid character in ${name}`, req);
  headers[name] = value;
}

/** Operations whose request carries a body (TS-0009 6.5, ref B6). */
function hasBody(op: number): boolean {
  return op === Operation.Create || op === Operation.Update || op === Operation.Notify;
}

/**
 * Request primitive → the parts of an HTTP/1.1 request (ref B9). Nothing is
 * dropped (issue 15): what TS-0009 cannot carry is refused with
 * PrimitiveDecodeError (rsc 4000) naming it — unknown op, empty `to`, CREATE
 * without `ty`, `ty` outside CREATE, RETRIEVE or DELETE content other than
 * `m2m:atrl` (no body, TS-0009 6.5), `grtm` (no mapping, gotcha 19), characters no HTTP header can
 * carry. `m2m:atrl` becomes the `atrl` query on every operation; the CSE
 * judges it (ACME answers a partial DELETE with 4000).
 */
export function toHttpRequest(req: RequestPrimitive, content: ContentCodec): HttpRequestParts {
  // 1. method (TS-0009 6.2.1, ref B1)
  const op = req.op;
  const method = METHOD_BY_OP[op];
  if (method === undefined) fail(`unknown operation ${String(op)}`, req);

  // 2. path from `to` (TS-0009 6.2.2.1, ref B2); `#attr` becomes atrl
  let to = req.to;
  if (typeof to !== 'string' || to === '') fail('to is missing', req);
  let atrl = '';
  const hash = to.indexOf('#');
  if (hash >= 0) {
    if (hash + 1 < to.length) atrl = enc(to.slice(hash + 1), req);
    to = to.slice(0, hash);
    if (to === '') fail('to is missing', req);
  }
  let path: string;
  if (to.charCodeAt(0) !== 0x2f) path = '/' + to; // CSE-relative
  else if (to.charCodeAt(1) === 0x2f) path = '/_' + to.slice(1); // absolute: first "/" → "/_"
  else path = '/~' + to; // SP-relative
  path = encodePath(path, req);

  // pc {"m2m:atrl":[…]} → atrl=a+b+c on any operation (TS-0009 6.2.2.2, ref B2 notes); the rest of pc is the body
  let pc: PrimitiveContent | undefined = req.pc;
  if (pc !== undefined && Object.hasOwn(pc, 'm2m:atrl')) {
    const list = pc['m2m:atrl'];
    if (!Array.isArray(list)) fail('pc m2m:atrl must list attribute names', req);
    for (const a of list) {
      if (typeof a !== 'string') fail('pc m2m:atrl must list attribute names', req);
      atrl += (atrl === '' ? '' : '+') + enc(a, req); // literal "+" = list separator (gotcha 9)
    }
    const { 'm2m:atrl': _atrl, ...rest } = pc;
    pc = Object.keys(rest).length === 0 ? undefined : rest;
  }
  if (pc !== undefined && !hasBody(op)) {
    // TS-0009 6.5: GET and DELETE carry no body (ref A1 note 2)
    fail(`pc ${Object.keys(pc).join(', ')} cannot travel with ${op === Operation.Retrieve ? 'RETRIEVE' : 'DELETE'}: TS-0009 gives it no body (only m2m:atrl, as the atrl query)`, req);
  }
  if (req.grtm !== undefined) fail('grtm has no HTTP form (TS-0009 defines none)', req); // gotcha 19
  // ty travels only in a CREATE's Content-Type (TS-0009 6.4.3); `?ty=` is the filter (gotcha 7)
  if (req.ty !== undefined && op !== Operation.Create) fail('ty is only allowed in CREATE (TS-0004 Table 7.2.1.1-1): TS-0009 has no place for it in other operations', req);

  if (typeof req.rqi !== 'string' || req.rqi === '') fail('rqi is missing', req); // X-M2M-RI is mandatory (TS-0009 6.4.2)
  if (req.rt !== undefined && !Number.isInteger(req.rt.rtv)) fail('rt.rtv must be an integer', req);

  // 3. query (TS-0009 6.2.2.2, ref B4)
  let q = atrl === '' ? '' : '&atrl=' + atrl;
  // passed-on scalars as written: `"3"` and `3.0` stay what they are (issue 15)
  if (req.rcn !== undefined) q += '&rcn=' + enc(passedText(req.rcn), req);
  if (req.rt !== undefined) q += '&rt=' + String(req.rt.rtv);
  if (req.rp !== undefined) q += '&rp=' + enc(String(req.rp), req);
  if (req.da !== undefined) q += '&da=' + enc(passedText(req.da), req);
  if (req.drt !== undefined) q += '&drt=' + enc(passedText(req.drt), req);
  if (req.sqi !== undefined) q += '&sqi=' + enc(passedText(req.sqi), req);
  if (req.rids !== undefined) q = appendValue(q, '&rids=', req.rids, req);
  if (req.tids !== undefined) q = appendValue(q, '&tids=', req.tids, req);
  if (req.ltids !== undefined) q = appendValue(q, '&ltids=', req.ltids, req);
  if (req.tqi !== undefined) q += '&tqi=' + enc(passedText(req.tqi), req);
  if (req.asi !== undefined) q += '&asi=' + enc(passedText(req.asi), req);
  if (req.auri !== undefined) q += '&auri=' + enc(passedText(req.auri), req);
  if (req.ma !== undefined) q += '&ma=' + enc(req.ma, req);
  const fc = req.fc;
  if (fc !== undefined) {
    // every fc member, in the primitive's order (ref A8)
    for (const key in fc) {
      const v = fc[key];
      if (v === undefined) continue;
      const attrPrefix = FC_ATTRIBUTE_PREFIX[key];
      if (attrPrefix === undefined) {
        q = appendValue(q, keyPrefix(key, req), v, req);
        continue;
      }
      // atr/catr/patr: [{nm,val}] → <nm>=<val>, c.<nm>=<val>, p.<nm>=<val>
      if (!Array.isArray(v)) fail(`fc.${key} must be a list of {nm, val}`, req);
      for (const a of v) {
        if (a === null || typeof a !== 'object' || Array.isArray(a) || typeof a['nm'] !== 'string') {
          fail(`fc.${key} must be a list of {nm, val}`, req);
        }
        q = appendValue(q, '&' + attrPrefix + enc(a['nm'], req) + '=', a['val'], req);
      }
    }
  }
  if (q !== '') path += '?' + q.slice(1);

  // 4. headers (TS-0009 6.4, ref B3); names lower-case
  const headers: Record<string, string> = { 'accept': content.mediaType }; // bare, one entry (gotcha 4)
  if (req.fr !== undefined && req.fr !== '') header(headers, 'x-m2m-origin', req.fr, req);
  header(headers, 'x-m2m-ri', req.rqi, req);
  if (req.rvi !== undefined) header(headers, 'x-m2m-rvi', req.rvi, req);
  if (req.ot !== undefined) header(headers, 'x-m2m-ot', req.ot, req);
  if (req.rqet !== undefined) header(headers, 'x-m2m-ret', String(req.rqet), req);
  if (req.rset !== undefined) header(headers, 'x-m2m-rst', String(req.rset), req);
  if (req.oet !== undefined) header(headers, 'x-m2m-oet', String(req.oet), req);
  if (req.ec !== undefined) header(headers, 'x-m2m-ec', passedText(req.ec), req);
  if (req.gid !== undefined) header(headers, 'x-m2m-gid', req.gid, req);
  if (req.rt?.nu !== undefined && req.rt.nu.length > 0) header(headers, 'x-m2m-rtu', req.rt.nu.join('&'), req);
  if (req.vsi !== undefined) header(headers, 'x-m2m-vsi', req.vsi, req);
  if (req.aus !== undefined && req.aus.length > 0) header(headers, 'x-m2m-as', req.aus.join('+'), req);
  // tokens, '+'-joined, no scheme word (TS-0009 6.4.19, gotcha 20)
  if (req.tkns !== undefined && req.tkns.length > 0) header(headers, 'authorization', req.tkns.join('+'), req);

  // 5./6. body and Content-Type only for C/U/N (TS-0009 6.5, ref B6); pc on R/D was refused above
  let body: Buffer | string | undefined;
  if (op === Operation.Create) {
    // ty travels only here, as Content-Type parameter (TS-0009 6.4.3); without
    // it the POST would be taken as a NOTIFY (gotcha 1)
    const ty = req.ty;
    if (typeof ty !== 'number' || !Number.isInteger(ty) || ty < 0) fail('CREATE without a valid ty', req);
    headers['content-type'] = contentTypeFor(content.mediaType, ty);
    body = pc === undefined ? '' : content.encodeContent(pc);
  } else if ((op === Operation.Update || op === Operation.Notify) && pc !== undefined) {
    headers['content-type'] = content.mediaType; // no ty outside CREATE (gotcha 7)
    body = content.encodeContent(pc);
  }

  const parts: HttpRequestParts = { method, path, headers };
  if (body !== undefined) parts.body = body;
  return parts;
}
