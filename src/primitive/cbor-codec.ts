// CBOR primitives (ref C3, TS-0004 8.5): the same map structure as JSON, text
// string keys, sent in WebSocket binary frames (TS-0020 Table 6.2.2.9-1).
import { Decoder, Encoder, Tag } from 'cbor-x';
import { errorMessage, PrimitiveDecodeError } from '../errors.js';
import { cborNeedsMarkers, decodeExact, encodeExact } from './cbor-exact.js';
import type { PrimitiveCodec } from './codec.js';
import { MAX_DEPTH, cborOverBudget } from './parse-budget.js';
import type { Primitive, PrimitiveContent, RequestPrimitive, ResponsePrimitive } from './types.js';
import { toPrimitive } from './validate.js';

// Plain RFC 8949 only: no records, structured clone, bundled strings or packing
// (cbor-x extensions other oneM2M peers cannot read). ref C3: text strings,
// integers, floats, true/false/null.
const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  structuredClone: false,
  bundleStrings: false,
  pack: false,
  tagUint8Array: false,
  useSelfDescribedHeader: false,
  useToJSON: false,
});
const objectDecoder = new Decoder({ useRecords: false, mapsAsObjects: true, structuredClone: false, bundleStrings: false });
// Fallback for maps whose keys are not text (TS-0004 8.5.2 examples use byte-string keys).
const mapDecoder = new Decoder({ useRecords: false, mapsAsObjects: false, structuredClone: false, bundleStrings: false });
const utf8 = new TextDecoder('utf-8', { fatal: true });

function bytesToText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new PrimitiveDecodeError('CBOR byte string is not UTF-8 text', undefined, { cause: err });
  }
}

/**
 * Decoded CBOR → JSON-shaped data, in place where possible: byte strings become
 * UTF-8 text (ref C3 "Discrepancy", G14), Maps become plain objects.
 */
function normalize(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new PrimitiveDecodeError(`CBOR nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value !== 'object') {
    if (value === undefined) return null;
    if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    return value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if ((v !== null && typeof v === 'object') || typeof v === 'bigint' || v === undefined) value[i] = normalize(v, depth + 1);
    }
    return value;
  }
  if (value instanceof Uint8Array) return bytesToText(value);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) {
      let key = k instanceof Uint8Array ? bytesToText(k) : typeof k === 'string' ? k : String(k);
      if (key === '__proto__') key = '__proto_'; // as cbor-x does: no prototype pollution
      out[key] = normalize(v, depth + 1);
    }
    return out;
  }
  if (value instanceof Tag) return normalize(value.value, depth + 1);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new PrimitiveDecodeError(`unsupported CBOR value (${(value as object).constructor?.name ?? 'object'})`);
  }
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    const v = obj[key];
    if ((v !== null && typeof v === 'object') || typeof v === 'bigint' || v === undefined) obj[key] = normalize(v, depth + 1);
  }
  return obj;
}

/** Finds `"rqi": "<text>"` (text or byte string key and value) in bytes that do not decode. */
function recoverRqi(data: Uint8Array): string | undefined {
  for (let i = data.indexOf(0x72); i > 0 && i + 3 < data.length; i = data.indexOf(0x72, i + 1)) {
    const head = data[i - 1];
    if ((head !== 0x63 && head !== 0x43) || data[i + 1] !== 0x71 || data[i + 2] !== 0x69) continue;
    const h = data[i + 3];
    const major = h & 0xe0;
    if (major !== 0x60 && major !== 0x40) continue;
    let len = h & 0x1f;
    let start = i + 4;
    if (len === 24) len = data[start++];
    else if (len > 24) continue;
    if (start + len > data.length) return undefined;
    try {
      return utf8.decode(data.subarray(start, start + len)) || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function decodeTree(data: Buffer | string): unknown {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  if (bytes.length === 0) throw new PrimitiveDecodeError('empty CBOR message');
  // Parse budget (issue 13): depth and size are checked before cbor-x builds anything.
  const over = cborOverBudget(bytes);
  if (over !== undefined) throw new PrimitiveDecodeError(over, recoverRqi(bytes));
  if (cborNeedsMarkers(bytes)) {
    // Issue 15: a float with a whole value stays a float (cbor-x would read 5.0 as 5).
    try {
      return decodeExact(bytes);
    } catch (err) {
      throw new PrimitiveDecodeError(errorMessage(err), recoverRqi(bytes), { cause: err });
    }
  }
  let tree: unknown;
  try {
    tree = objectDecoder.decode(bytes);
  } catch (err) {
    if (!(err instanceof Error && err.message.startsWith('Invalid property name type'))) {
      throw new PrimitiveDecodeError(`malformed CBOR: ${(err as Error).message}`, recoverRqi(bytes), { cause: err });
    }
    try {
      tree = mapDecoder.decode(bytes);
    } catch (err2) {
      throw new PrimitiveDecodeError(`malformed CBOR: ${(err2 as Error).message}`, recoverRqi(bytes), { cause: err2 });
    }
  }
  try {
    return normalize(tree);
  } catch (err) {
    if (err instanceof PrimitiveDecodeError) throw new PrimitiveDecodeError(err.message, recoverRqi(bytes));
    throw new PrimitiveDecodeError(`malformed CBOR: ${(err as Error).message}`, recoverRqi(bytes), { cause: err });
  }
}

/** Returns `value` itself unless something in it is `undefined`; then a copy without it (like JSON). */
function withoutUndefined(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const c = v === undefined ? null : withoutUndefined(v);
      if (c !== v) (copy ??= value.slice())[i] = c;
    }
    return copy ?? value;
  }
  const obj = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in obj) {
    const v = obj[key];
    if (v === undefined) {
      if (!copy) copy = { ...obj };
      delete copy[key];
      continue;
    }
    const c = withoutUndefined(v);
    if (c !== v) (copy ??= { ...obj })[key] = c;
  }
  return copy ?? obj;
}

function encode(value: unknown): Buffer {
  const out = encoder.encode(withoutUndefined(value));
  // Issue 15: content with a float marker, or an integer cbor-x wrote as a float
  // (beyond 32 bits), is written by the small writer: floats as floats, integers as integers.
  return cborNeedsMarkers(out) ? encodeExact(value) : out;
}

export const cborCodec: PrimitiveCodec = {
  serialization: 'cbor',
  mediaType: 'application/cbor',
  binary: true,
  decode(data: Buffer | string): Primitive {
    return toPrimitive(decodeTree(data));
  },
  encodeRequest(req: RequestPrimitive): Buffer {
    return encode(req);
  },
  encodeResponse(rsp: ResponsePrimitive): Buffer {
    return encode(rsp);
  },
  encodeContent(pc: PrimitiveContent): Buffer {
    return encode(pc);
  },
  decodeContent(body: Buffer): PrimitiveContent {
    const tree = decodeTree(body);
    if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) {
      throw new PrimitiveDecodeError('CBOR content must be a map');
    }
    return tree as PrimitiveContent;
  },
};
