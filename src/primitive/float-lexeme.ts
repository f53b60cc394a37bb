// Integral floats (issue 15): `5.0`, `1e3`, `-0.0` in JSON, a CBOR float whose
// value is whole, `<x>5.0</x>` in XML. A JavaScript number cannot tell 5.0 from
// 5, so the decoders put a small marker where such a number stands and every
// encoder writes it back as a float: JSON keeps the lexeme, CBOR writes a
// float, XML writes the lexeme. The CSE judges the type (ACME refuses
// `"mni": 5.0` with 4000 "invalid type: float" and stores `"tarTe": 5.0` as a float).
//
// The marker is a plain one-member object so that it survives every store and
// the cluster channel unchanged (msgpack, JSON, CBOR); its member name holds a
// NUL, which no oneM2M name has, and decoders refuse it in input.
// Values the bridge itself compares (op, ty, rt.rtv, rqet, …) are turned back
// into plain numbers in validate.ts: the marker never reaches routing.
import { jsonStringEnd } from './json-string-end.js';

/** Member name of the marker. */
export const FLOAT_KEY = '\u0000float';
/** How the marker's name appears in JSON text (JSON.stringify escapes NUL). */
export const FLOAT_KEY_JSON = '"\\u0000float"';

/** A number written as a float whose value is integral (or -0, or beyond float range). */
export type FloatLexeme = { readonly [FLOAT_KEY]: string };

export function floatLexeme(lexeme: string): FloatLexeme {
  return { [FLOAT_KEY]: lexeme };
}

export function isFloatLexeme(v: unknown): v is FloatLexeme {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const lexeme = (v as Record<string, unknown>)[FLOAT_KEY];
  if (typeof lexeme !== 'string') return false;
  for (const _ in v) if (_ !== FLOAT_KEY) return false;
  return true;
}

/** The marker's lexeme. */
export function lexemeOf(v: FloatLexeme): string {
  return v[FLOAT_KEY];
}

/** The marker's value as a JavaScript number. */
export function valueOf(v: FloatLexeme): number {
  return Number(v[FLOAT_KEY]);
}

/**
 * Whether a JSON number lexeme is a float JavaScript would print as an integer:
 * it has a fraction or an exponent and its value is whole (below 1e21, from
 * where JavaScript prints an exponent itself), -0 or out of range. `5.5` is
 * not: it stays a float as a number.
 */
export function needsMarker(lexeme: string): boolean {
  const n = Number(lexeme);
  return (Number.isInteger(n) && Math.abs(n) < 1e21) || !Number.isFinite(n) || (n === 0 && lexeme.charCodeAt(0) === 0x2d);
}

/** The lexeme for a float value a CBOR decoder read (integral: `5.0`, `-0.0`, `1e+21`). */
export function lexemeForFloat(n: number): string {
  if (Object.is(n, -0)) return '-0.0';
  const s = String(n);
  return /[.eE]/.test(s) ? s : s + '.0';
}

const MAYBE_FLOAT = /\d[.eE]/;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * One pass over JSON text, skipping strings: whether some number in it needs
 * a marker (or the marker's own name appears and the careful parser must see
 * it). Most primitives have none, and JSON.parse/JSON.stringify stay exact.
 */
export function jsonNeedsMarkers(text: string): boolean {
  // Native pre-check: without a digit followed by `.`/`e`/`E` anywhere (strings
  // included) there is no float lexeme, and most primitives end here.
  if (!MAYBE_FLOAT.test(text) && text.indexOf(FLOAT_KEY_JSON) < 0) return false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      if (text.charCodeAt(i + 1) === 0x5c && text.startsWith(FLOAT_KEY_JSON, i)) return true;
      i = jsonStringEnd(text, i);
      if (i === -1) return false;
    } else if (c === 0x2e || ((c === 0x65 || c === 0x45) && isDigit(text.charCodeAt(i - 1)))) {
      // A fraction or an exponent: read the whole number lexeme around it.
      let start = i - 1;
      while (start >= 0) {
        const d = text.charCodeAt(start);
        if (isDigit(d) || d === 0x2d || d === 0x2b || d === 0x2e || d === 0x65 || d === 0x45) start--;
        else break;
      }
      let end = i + 1;
      while (end < n) {
        const d = text.charCodeAt(end);
        if (isDigit(d) || d === 0x2d || d === 0x2b || d === 0x2e || d === 0x65 || d === 0x45) end++;
        else break;
      }
      if (needsMarker(text.slice(start + 1, end))) return true;
      i = end - 1;
    }
  }
  return false;
}

/** A passed-on scalar (number, float marker, boolean or string) as query or header text, as written. */
export function scalarText(v: number | string | boolean | FloatLexeme): string {
  return typeof v === 'object' ? lexemeOf(v) : String(v);
}

/**
 * `value` with every float marker replaced by its number (copy on write: the
 * same object when there is none). For code that hands data to people who
 * compare JavaScript numbers, e.g. the client SDK; the bridge itself keeps them.
 */
export function withoutMarkers<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (isFloatLexeme(value)) return valueOf(value) as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const w = withoutMarkers(v);
      if (w !== v) (copy ??= value.slice())[i] = w;
    }
    return (copy ?? value) as T;
  }
  const obj = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in obj) {
    const v = obj[key];
    const w = withoutMarkers(v);
    if (w !== v) (copy ??= { ...obj })[key] = w;
  }
  return (copy ?? obj) as T;
}
