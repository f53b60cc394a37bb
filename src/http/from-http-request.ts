// HTTP request from the CSE (downlink door) → request primitive: the reverse
// of TS-0009 (6.2-6.5), ref B11.
import type { ContentCodec } from '../primitive/codec.js';
import type { FilterAttribute, FilterCriteria, JsonValue, RequestPrimitive, Serialization } from '../primitive/types.js';
import { Operation } from '../primitive/types.js';
import { absRelFromText } from '../primitive/timestamp.js';
import { BridgeError, PrimitiveDecodeError, bridgeError } from '../errors.js';
import { parseContentType } from './content-type.js';
import { headerValue } from './header-value.js';
import { FC_QUERY_KINDS } from './to-http-request.js';

export interface HttpRequestIn {
  method: string;
  /** path + query after the `/r/<key>` prefix was stripped; may be '' or '/' */
  path: string;
  /** lower-case header names, as node:http delivers them */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | undefined;
}

const INT_RE = /^[+-]?\d+$/;
const WS_RE = /\s+/;
// An HTTP auth scheme word followed by credentials (`Basic …`, `Bearer …`,
// TS-0009 7.1); oneM2M tokens are JWS/JWE compact strings without spaces.
const AUTH_SCHEME_RE = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*\s+\S/;

/** Request parameters carried in the query (TS-0009 6.2.2.2 Table 6.2.2.2-1, ref B4). */
type ParamKind = 'number' | 'boolean' | 'absRel' | 'string' | 'stringList';
const REQUEST_QUERY_KINDS: Readonly<Record<string, ParamKind>> = Object.freeze({
  rcn: 'number', rt: 'number', rp: 'absRel', da: 'boolean', drt: 'number', sqi: 'boolean',
  rids: 'stringList', tids: 'stringList', ltids: 'stringList',
  tqi: 'boolean', asi: 'boolean', auri: 'boolean', ma: 'string',
});

/** List members whose values are whole strings that may contain spaces (SPARQL): never split. */
const UNSPLIT_LISTS: ReadonlySet<string> = new Set(['smf']);

class Ctx {
  constructor(readonly rqi: string | undefined) {}
  fail(message: string, cause?: unknown): never {
    throw new PrimitiveDecodeError(message, this.rqi, cause === undefined ? undefined : { cause });
  }
  int(name: string, s: string): number {
    const t = s.trim();
    if (!INT_RE.test(t)) this.fail(`${name} must be an integer, got '${s}'`);
    return Number(t);
  }
  /** `true false 1 0` (ref B4) */
  bool(name: string, s: string): boolean {
    const t = s.trim().toLowerCase();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
    return this.fail(`${name} must be a boolean, got '${s}'`);
  }
  /** application/x-www-form-urlencoded decoding: `+` is a space (gotcha 9), then %XX. */
  formDecode(s: string): string {
    if (s.indexOf('+') >= 0) s = s.replace(/\+/g, ' ');
    if (s.indexOf('%') < 0) return s;
    try {
      return decodeURIComponent(s);
    } catch (err) {
      return this.fail('malformed percent-encoding in query', err);
    }
  }
}

/** Split a decoded multi-valued field on whitespace (a `+` separator arrives as a space, ref A8). */
function words(s: string): string[] {
  const out: string[] = [];
  for (const w of s.split(WS_RE)) if (w !== '') out.push(w);
  return out;
}

/** Request-Target path → `to` by the reverse table of ref B2 (TS-0009 6.2.2.1). */
function toFromPath(rawPath: string, defaultTo: string, ctx: Ctx): string {
  let p = rawPath;
  if (p.indexOf('%') >= 0) {
    try {
      p = decodeURIComponent(p); // percent-decode before building `to` (ref B2 notes)
    } catch (err) {
      ctx.fail('malformed percent-encoding in path', err);
    }
  }
  let end = p.length;
  while (end > 1 && p.charCodeAt(end - 1) === 0x2f) end--; // no trailing "/" in IDs (ref B2 notes)
  if (end < p.length) p = p.slice(0, end);
  if (p === '' || p === '/') return defaultTo;
  if (p.startsWith('/~/')) return p.slice(2); // SP-relative: "/~/x" → "/x"
  if (p.startsWith('/_/')) return '/' + p.slice(2); // absolute: "/_/x" → "//x"
  return p.charCodeAt(0) === 0x2f ? p.slice(1) : p; // CSE-relative: "/x" → "x"
}

/**
 * One HTTP request from the CSE → the request primitive for the registree
 * (ref B11). `to` comes from the path, or is `defaultTo` when the path is
 * empty. Throws PrimitiveDecodeError (rsc 4000, with the rqi when known) for a
 * missing X-M2M-RI, an unknown method, malformed parameters or an undecodable
 * body, and BridgeError BRIDGE_ERR_UNSUPPORTED_MEDIA_TYPE (rsc 4015) for a body
 * in a media type without codec.
 */
export function fromHttpRequest(
  msg: HttpRequestIn,
  defaultTo: string,
  contentFor: (s: Serialization) => ContentCodec | undefined,
): RequestPrimitive {
  const h = msg.headers;
  const rqiHeader = headerValue(h, 'x-m2m-ri');
  const ctx: Ctx = new Ctx(rqiHeader === '' ? undefined : rqiHeader); // annotated: lets ctx.fail() narrow
  if (rqiHeader === undefined || rqiHeader === '') ctx.fail('X-M2M-RI is missing'); // TS-0009 6.4.2: mandatory

  // op from the method; POST is CREATE iff Content-Type has ty= (TS-0009 6.2.1, ref B1, gotcha 1)
  const method = msg.method.toUpperCase();
  const contentType = headerValue(h, 'content-type');
  let op: number;
  let ty: number | undefined;
  switch (method) {
    case 'GET': op = Operation.Retrieve; break;
    case 'PUT': op = Operation.Update; break;
    case 'DELETE': op = Operation.Delete; break;
    case 'POST': {
      const ct = parseContentType(contentType);
      if (ct.error !== undefined && ct.serialization !== undefined) ctx.fail(`Content-Type: ${ct.error}`);
      ty = ct.ty;
      op = ty === undefined ? Operation.Notify : Operation.Create;
      break;
    }
    default:
      return ctx.fail(`HTTP method ${msg.method} has no oneM2M operation`);
  }

  // path and query
  const qmark = msg.path.indexOf('?');
  let rawPath = qmark < 0 ? msg.path : msg.path.slice(0, qmark);
  const hash = rawPath.indexOf('#'); // never sent by clients; tolerate
  if (hash >= 0) rawPath = rawPath.slice(0, hash);
  const req: RequestPrimitive = { op, to: toFromPath(rawPath, defaultTo, ctx), rqi: rqiHeader };
  if (ty !== undefined) req.ty = ty; // TS-0009 6.4.3: CREATE only

  // headers (TS-0009 6.4, ref B3)
  const fr = headerValue(h, 'x-m2m-origin');
  if (fr !== undefined && fr !== '') req.fr = fr;
  const rvi = headerValue(h, 'x-m2m-rvi');
  if (rvi !== undefined) req.rvi = rvi;
  const ot = headerValue(h, 'x-m2m-ot');
  if (ot !== undefined) req.ot = ot;
  const rqet = headerValue(h, 'x-m2m-ret');
  if (rqet !== undefined) req.rqet = absRelFromText(rqet.trim());
  const rset = headerValue(h, 'x-m2m-rst');
  if (rset !== undefined) req.rset = absRelFromText(rset.trim());
  const oet = headerValue(h, 'x-m2m-oet');
  if (oet !== undefined) req.oet = absRelFromText(oet.trim());
  const ec = headerValue(h, 'x-m2m-ec');
  if (ec !== undefined) req.ec = ctx.int('X-M2M-EC', ec);
  const gid = headerValue(h, 'x-m2m-gid');
  if (gid !== undefined) req.gid = gid;
  const vsi = headerValue(h, 'x-m2m-vsi');
  if (vsi !== undefined) req.vsi = vsi;
  const as = headerValue(h, 'x-m2m-as');
  if (as !== undefined) {
    const aus = as.split('+').filter((s) => s !== ''); // TS-0009 6.4.23
    if (aus.length > 0) req.aus = aus;
  }
  const auth = headerValue(h, 'authorization');
  if (auth !== undefined && !AUTH_SCHEME_RE.test(auth)) {
    const tkns = auth.trim().split('+').filter((s) => s !== ''); // TS-0009 6.4.19, gotcha 20
    if (tkns.length > 0) req.tkns = tkns;
  }

  // query (TS-0009 6.2.2.2, ref B4 / A8)
  let atrl: string[] | undefined;
  let fc: FilterCriteria | undefined;
  if (qmark >= 0 && qmark + 1 < msg.path.length) {
    for (const field of msg.path.slice(qmark + 1).split('&')) {
      if (field === '') continue;
      const eq = field.indexOf('=');
      const key = ctx.formDecode(eq < 0 ? field : field.slice(0, eq));
      const value = eq < 0 ? '' : ctx.formDecode(field.slice(eq + 1));
      if (key === '') continue;
      if (key === 'atrl') {
        (atrl ??= []).push(...words(value));
        continue;
      }
      const kind = REQUEST_QUERY_KINDS[key];
      if (kind !== undefined) {
        setRequestParam(req, key, kind, value, ctx);
        continue;
      }
      fc ??= {};
      setFcMember(fc, key, value, ctx);
    }
  }
  if (fc !== undefined) req.fc = fc;

  // rt: rtv from the query, nu from X-M2M-RTU (ref A7). nu is only defined with
  // an rtv, so an X-M2M-RTU without `rt` in the query is ignored.
  const rtu = headerValue(h, 'x-m2m-rtu');
  if (req.rt !== undefined && rtu !== undefined) {
    const nu = rtu.split('&').filter((s) => s !== '');
    if (nu.length > 0) req.rt.nu = nu;
  }

  // pc from the body (TS-0009 6.5 has one on POST and PUT; one on GET or DELETE
  // is carried too, never dropped: the registree judges it, issue 15)
  const body = msg.body;
  if (body !== undefined && body.length > 0) {
    const ct = parseContentType(contentType);
    const codec = ct.serialization === undefined ? undefined : contentFor(ct.serialization);
    if (codec === undefined) {
      throw bridgeError('BRIDGE_ERR_UNSUPPORTED_MEDIA_TYPE', ct.serialization === undefined ? (ct.error ?? 'unsupported media type') : `no ${ct.serialization} codec`,
      );
    }
    try {
      req.pc = codec.decodeContent(body);
    } catch (err) {
      const why = err instanceof Error ? `: ${err.message}` : '';
      ctx.fail(`body is not valid ${codec.serialization}${why}`, err);
    }
  }

  // atrl: one → to#attr, several → pc m2m:atrl, like ACME (ref B2 notes)
  if (atrl !== undefined && atrl.length > 0) {
    if (atrl.length === 1) req.to += '#' + atrl[0]!;
    else req.pc = { ...req.pc, 'm2m:atrl': atrl }; // beside a body's content, not instead of it
  }
  return req;
}

function setRequestParam(req: RequestPrimitive, key: string, kind: ParamKind, value: string, ctx: Ctx): void {
  switch (kind) {
    case 'number': {
      const n = ctx.int(key, value);
      if (key === 'rt') req.rt = { rtv: n };
      else (req as unknown as Record<string, number>)[key] = n; // rcn, drt
      return;
    }
    case 'boolean':
      (req as unknown as Record<string, boolean>)[key] = ctx.bool(key, value); // da, sqi, tqi, asi, auri
      return;
    case 'absRel':
      req.rp = absRelFromText(value.trim());
      return;
    case 'string':
      req.ma = value;
      return;
    case 'stringList': {
      // rids, tids, ltids: repeated keys or "+"-joined (ref B4)
      const list = ((req as unknown as Record<string, string[] | undefined>)[key] ??= []);
      list.push(...words(value));
      return;
    }
  }
}

function setFcMember(fc: FilterCriteria, key: string, value: string, ctx: Ctx): void {
  const kind = FC_QUERY_KINDS[key];
  switch (kind) {
    case 'string':
      fc[key] = value;
      return;
    case 'number':
      fc[key] = ctx.int(key, value);
      return;
    case 'numberList': {
      const list = (fc[key] ??= []) as JsonValue[];
      for (const w of words(value)) list.push(ctx.int(key, w));
      return;
    }
    case 'stringList': {
      const list = (fc[key] ??= []) as JsonValue[];
      if (UNSPLIT_LISTS.has(key)) list.push(value);
      else list.push(...words(value));
      return;
    }
    default: {
      // `c.<nm>` → catr, `p.<nm>` → patr, anything else (and a literal
      // atr/catr/patr key) → atr (TS-0009 6.2.2.2, ref A8)
      let member: 'atr' | 'catr' | 'patr' = 'atr';
      let nm = key;
      if (key.length > 2 && key.charCodeAt(1) === 0x2e /* . */) {
        if (key.charCodeAt(0) === 0x63 /* c */) { member = 'catr'; nm = key.slice(2); }
        else if (key.charCodeAt(0) === 0x70 /* p */) { member = 'patr'; nm = key.slice(2); }
      }
      const attr: FilterAttribute = { nm, val: value };
      (fc[member] ??= []).push(attr);
    }
  }
}
