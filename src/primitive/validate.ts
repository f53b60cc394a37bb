// Decoded generic tree (JSON.parse, CBOR, XML) → validated primitive. Runs on
// every message: one pass over the known parameter names, no cloning; nested
// values (pc, fc, …) are reused as they are.
import { PrimitiveDecodeError } from '../errors.js';
import { isFloatLexeme, valueOf } from './float-lexeme.js';
import { isObject } from './is-object.js';
import { REQUEST_PARAMETER_ORDER, RESPONSE_PARAMETER_ORDER } from './types.js';
import type { Primitive, RequestPrimitive, ResponsePrimitive } from './types.js';

type Tree = Record<string, unknown>;
/** Checks one member; returns the value to keep (possibly normalized) or throws. */
type Check = (value: unknown, name: string, rqi: string | undefined) => unknown;

function fail(name: string, expected: string, value: unknown, rqi: string | undefined): never {
  throw new PrimitiveDecodeError(`primitive parameter "${name}" must be ${expected}, got ${describe(value)}`, rqi);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a value of type ${typeof value}`;
}

// Issue 15, "validate what the bridge needs, pass the rest": parameters the
// bridge routes by (op, to, rqi, ty, rt.rtv, rsc, the timestamps) are checked
// strictly and a float marker (`2.0`) there becomes its number; parameters it
// only prints into a query or header take any value with one unambiguous text
// form and are carried as written for the CSE to judge.

/** A float marker (`2.0`) where the bridge needs a plain number. */
function plain(v: unknown): unknown {
  return isFloatLexeme(v) ? valueOf(v) : v;
}

const NUMERIC_TEXT = /^[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const BOOLEAN_TEXT = /^(?:true|false|1|0)$/i;

const str: Check = (v, n, rqi) => (typeof v === 'string' ? v : fail(n, 'a string', v, rqi));
const nonEmptyStr: Check = (v, n, rqi) => (typeof v === 'string' && v !== '' ? v : fail(n, 'a non-empty string', v, rqi));
/** Passed on: a number, a float marker or a numeric string (`"3"`), carried as written. */
const num: Check = (v, n, rqi) =>
  (typeof v === 'number' && Number.isFinite(v)) || isFloatLexeme(v) || (typeof v === 'string' && NUMERIC_TEXT.test(v)) ? v : fail(n, 'a number', v, rqi);
/** Needed by the bridge: an integer (a float marker with a whole value counts). */
const int: Check = (v, n, rqi) => {
  const p = plain(v);
  return Number.isInteger(p) ? p : fail(n, 'an integer', v, rqi);
};
/** Passed on: a boolean or its query text (`"true"`, `"false"`, `"1"`, `"0"`, ref B4), carried as written. */
const bool: Check = (v, n, rqi) =>
  typeof v === 'boolean' || (typeof v === 'string' && BOOLEAN_TEXT.test(v)) ? v : fail(n, 'a boolean', v, rqi);
const obj: Check = (v, n, rqi) => (isObject(v) ? v : fail(n, 'an object', v, rqi));

const strList: Check = (v, n, rqi) => {
  if (!Array.isArray(v)) return fail(n, 'an array of strings', v, rqi);
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') fail(n, 'an array of strings', v, rqi);
  return v;
};

// TS-0004 6.3.5.30 / ref A7: {rtv: integer, nu?: string[]}
const responseType: Check = (v, n, rqi) => {
  if (!isObject(v)) return fail(n, 'an object {rtv, nu?}', v, rqi);
  if (v.nu !== undefined) strList(v.nu, 'rt.nu', rqi);
  if (isFloatLexeme(v.rtv)) return { ...v, rtv: int(v.rtv, 'rt.rtv', rqi) }; // the bridge reads rtv (noResponse)
  if (!Number.isInteger(v.rtv)) fail('rt.rtv', 'an integer', v.rtv, rqi);
  return v;
};

// m2m:absRelTimestamp (ref E1): timestamp string or relative milliseconds
const absRel: Check = (v, n, rqi) => {
  const p = plain(v); // rqet sets the bridge's own timeouts
  return typeof p === 'string' || (typeof p === 'number' && Number.isFinite(p)) ? p : fail(n, 'a timestamp string or a number', v, rqi);
};

// rvi is a string (ref A1, G6); be liberal and accept 3 for "3"
const releaseVersion: Check = (v, n, rqi) =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : fail(n, 'a string', v, rqi);

// TS-0004 6.3.4.2.5, ref A3: only 1..5 exist on the wire
const operation: Check = (v, n, rqi) => {
  const p = plain(v);
  return Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 5 ? p : fail(n, 'an integer 1..5', v, rqi);
};

const assignedTokenIds: Check = (v, n, rqi) => {
  if (!isObject(v) || !Array.isArray(v.ltia)) return fail(n, 'an object {ltia: [...]}', v, rqi);
  return v;
};

/** ref A1 (TS-0004 7.2.1.1): type of each request parameter. */
const REQUEST_CHECKS: Readonly<Record<(typeof REQUEST_PARAMETER_ORDER)[number], Check>> = {
  op: operation,
  to: nonEmptyStr,
  fr: str,
  rqi: nonEmptyStr,
  ty: int,
  pc: obj,
  rids: strList,
  ot: str,
  rqet: absRel,
  rset: absRel,
  oet: absRel,
  rt: responseType,
  rp: absRel,
  rcn: num,
  ec: num,
  da: bool,
  gid: str,
  fc: obj,
  drt: num,
  tkns: strList,
  tids: strList,
  ltids: strList,
  tqi: bool,
  grtm: strList,
  asi: bool,
  aus: strList,
  auri: bool,
  sqi: bool,
  rvi: releaseVersion,
  vsi: str,
  ma: str,
};

/** ref A2 (TS-0004 7.2.1.2): type of each response parameter. */
const RESPONSE_CHECKS: Readonly<Record<(typeof RESPONSE_PARAMETER_ORDER)[number], Check>> = {
  rsc: int,
  rqi: str,
  pc: obj,
  to: str,
  fr: str,
  ot: str,
  rset: absRel,
  ec: num,
  cnst: num,
  cnot: num,
  ati: assignedTokenIds,
  tqf: obj,
  asri: bool,
  rvi: releaseVersion,
  vsi: str,
};

/** The request identifier of a decoded tree, if it is a readable string. */
export function readRqi(tree: unknown): string | undefined {
  if (!isObject(tree)) return undefined;
  const rqi = tree.rqi;
  return typeof rqi === 'string' && rqi !== '' ? rqi : undefined;
}

/**
 * A decoded tree → a request primitive. Known parameters only, in TS-0004 order;
 * unknown members are dropped, `null` optional members count as absent.
 */
export function toRequestPrimitive(tree: Tree): RequestPrimitive {
  const rqi = readRqi(tree);
  const out: Tree = {};
  for (let i = 0; i < REQUEST_PARAMETER_ORDER.length; i++) {
    const name = REQUEST_PARAMETER_ORDER[i];
    const value = tree[name];
    if (value === undefined || value === null) continue;
    out[name] = REQUEST_CHECKS[name](value, name, rqi);
  }
  // TS-0004 Table 7.2.1.1-1: op, to, rqi mandatory for every operation
  if (out.op === undefined) fail('op', 'an integer 1..5', tree.op, rqi);
  if (out.to === undefined) fail('to', 'a non-empty string', tree.to, rqi);
  if (out.rqi === undefined) fail('rqi', 'a non-empty string', tree.rqi, rqi);
  return out as unknown as RequestPrimitive;
}

/** A decoded tree → a response primitive; unknown members are ignored (ref A2 notes, G17). */
export function toResponsePrimitive(tree: Tree): ResponsePrimitive {
  const rqi = typeof tree.rqi === 'string' ? tree.rqi : undefined;
  const out: Tree = {};
  for (let i = 0; i < RESPONSE_PARAMETER_ORDER.length; i++) {
    const name = RESPONSE_PARAMETER_ORDER[i];
    const value = tree[name];
    if (value === undefined || value === null) continue;
    out[name] = RESPONSE_CHECKS[name](value, name, rqi);
  }
  // TS-0004 Table 7.2.1.2-1: rsc and rqi mandatory
  if (out.rsc === undefined) fail('rsc', 'an integer', tree.rsc, rqi);
  if (out.rqi === undefined) fail('rqi', 'a string', tree.rqi, rqi);
  return out as unknown as ResponsePrimitive;
}

/**
 * A decoded generic tree → a validated primitive. `rsc` present ⇒ response (ACME's
 * rule, ref A2 notes), else `op` present ⇒ request (ref C1), else error.
 */
export function toPrimitive(tree: unknown): Primitive {
  if (!isObject(tree)) {
    throw new PrimitiveDecodeError(`a primitive must be an object, got ${describe(tree)}`);
  }
  if (tree.rsc !== undefined) {
    try {
      return { kind: 'response', primitive: toResponsePrimitive(tree) };
    } catch (err) {
      // Marked, so no peer answers it: answering a broken answer lets two peers loop forever.
      if (err instanceof PrimitiveDecodeError) throw new PrimitiveDecodeError(err.message, err.rqi, { cause: err, response: true });
      throw err;
    }
  }
  if (tree.op !== undefined) return { kind: 'request', primitive: toRequestPrimitive(tree) };
  throw new PrimitiveDecodeError('a primitive needs "op" (request) or "rsc" (response)', readRqi(tree));
}
