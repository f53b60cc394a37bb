// fast-check generators shared by the fuzz tests (test/fuzz/*.test.ts) and the
// long-running fuzzer (bench/fuzz.ts). Data only: no I/O here.
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import type { JsonObject, JsonValue, RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';

/** Any JSON value (no -0, no NaN/Infinity: they do not exist in JSON). */
export const jsonValue: Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 4 }) as Arbitrary<JsonValue>;

/** Any JSON-ish value, including the odd ones a decoder may produce or a fuzzer may send. */
export const anything: Arbitrary<unknown> = fc.oneof(
  { maxDepth: 3 },
  jsonValue,
  fc.constantFrom(undefined, NaN, Infinity, -Infinity, -0, 2 ** 53, -(2 ** 63), 1e308, ''),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** Strings an attacker likes: control characters, lone surrogates, markup, percent signs. */
export const nastyString: Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('%', '/', '~', '_', '#', '?', '&', '=', '+', ' ', '<', '>', '"', "'", '\u0000', '\r', '\n', '\ud800', 'a', 'é', '\uffff'), maxLength: 30 }),
  fc.constantFrom('', ' ', '/', '//', '/~/', '/_/', '#', '%', '%zz', '%00', 'cse-in', '/id-in', '//sp/id-in/x', 'a#b', '\ud83d'),
);

/** Request members drawn from the TS-0004 request parameters, each with a value of the right type. */
const requestMembers = {
  fr: fc.string({ maxLength: 12 }),
  ty: fc.integer({ min: -5, max: 70 }),
  pc: fc.dictionary(fc.constantFrom('m2m:cin', 'm2m:cnt', 'm2m:ae', 'm2m:sgn', 'm2m:dbg', 'm2m:atrl', 'x'), jsonValue, { maxKeys: 2 }) as Arbitrary<JsonObject>,
  rids: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  ot: fc.string({ maxLength: 16 }),
  rqet: fc.oneof(fc.string({ maxLength: 16 }), fc.integer({ min: -1000, max: 100000 })),
  rset: fc.oneof(fc.string({ maxLength: 16 }), fc.integer({ min: 0, max: 100000 })),
  oet: fc.oneof(fc.string({ maxLength: 16 }), fc.integer({ min: 0, max: 100000 })),
  rt: fc.record({ rtv: fc.integer({ min: -1, max: 6 }), nu: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }) }, { requiredKeys: ['rtv'] }),
  rp: fc.oneof(fc.string({ maxLength: 16 }), fc.integer()),
  rcn: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.double({ noNaN: true, noDefaultInfinity: true })),
  ec: fc.integer({ min: 0, max: 5 }),
  da: fc.boolean(),
  gid: fc.string({ maxLength: 8 }),
  fc: fc.dictionary(
    fc.constantFrom('crb', 'lbl', 'ty', 'lim', 'atr', 'catr', 'patr', 'fu', 'smf', 'arp', 'lvl', 'x', 'rn', 'con'),
    fc.oneof(jsonValue, fc.array(fc.record({ nm: fc.oneof(fc.string({ maxLength: 6 }), jsonValue), val: jsonValue }), { maxLength: 2 })),
    { maxKeys: 4 },
  ) as Arbitrary<JsonObject>,
  drt: fc.integer({ min: 0, max: 3 }),
  tkns: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
  tids: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
  ltids: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
  tqi: fc.boolean(),
  grtm: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
  asi: fc.boolean(),
  aus: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
  auri: fc.boolean(),
  sqi: fc.boolean(),
  rvi: fc.constantFrom('1', '2', '2a', '3', '4', '5', ''),
  vsi: fc.string({ maxLength: 8 }),
  ma: fc.string({ maxLength: 8 }),
};

/** A request primitive that passes validation (right types, any values, random optional members). */
export const validRequestTree: Arbitrary<RequestPrimitive> = fc
  .record(
    {
      op: fc.integer({ min: 1, max: 5 }),
      to: fc.oneof(nastyString.filter((s) => s !== ''), fc.constantFrom('cse-in', 'cse-in/x', '/id-in/cse-in', '//sp.example/id-in/cse-in', 'cse-in#rn')),
      rqi: fc.string({ minLength: 1, maxLength: 12 }),
      ...requestMembers,
    },
    { requiredKeys: ['op', 'to', 'rqi'] },
  )
  .map((r) => r as unknown as RequestPrimitive);

/** A request primitive tree with members of any type (wrong types included). */
export const wildRequestTree: Arbitrary<Record<string, unknown>> = fc
  .tuple(
    validRequestTree,
    fc.dictionary(
      fc.constantFrom('op', 'to', 'fr', 'rqi', 'ty', 'pc', 'rt', 'rqet', 'fc', 'rvi', 'rsc', 'rcn', 'da', 'rids', '__proto__', 'constructor', 'x'),
      anything,
      { maxKeys: 3 },
    ),
  )
  .map(([valid, wrong]) => {
    const out: Record<string, unknown> = { ...valid };
    for (const [k, v] of Object.entries(wrong)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });

/** A response primitive that passes validation. */
export const validResponseTree: Arbitrary<ResponsePrimitive> = fc
  .record(
    {
      rsc: fc.constantFrom(1000, 2000, 2001, 2002, 2004, 4000, 4004, 4103, 5000, 5103),
      rqi: fc.string({ maxLength: 12 }),
      pc: requestMembers.pc,
      to: fc.string({ maxLength: 8 }),
      fr: fc.string({ maxLength: 8 }),
      ot: fc.string({ maxLength: 16 }),
      rset: requestMembers.rset,
      ec: requestMembers.ec,
      cnst: fc.integer({ min: 0, max: 3 }),
      cnot: fc.integer({ min: 0, max: 100 }),
      asri: fc.boolean(),
      rvi: requestMembers.rvi,
      vsi: fc.string({ maxLength: 8 }),
    },
    { requiredKeys: ['rsc', 'rqi'] },
  )
  .map((r) => r as unknown as ResponsePrimitive);

// --- XML: content the XML type tables can carry without loss --------------

// Text XML 1.0 can carry and that survives whitespace handling: printable, no leading/trailing space.
const xmlChar = fc.constantFrom(...'abcXYZ019-_.:/~<>&"\'é€ '.split(''));
const xmlText = fc
  .string({ unit: xmlChar, minLength: 1, maxLength: 16 })
  .filter((s) => s.trim() === s && !/ {2}/.test(s));
const xmlWord = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.:/~é'.split('')), minLength: 1, maxLength: 10 });

/** A request primitive whose every member the XML codec types by its tables. */
export const xmlRequest: Arbitrary<RequestPrimitive> = fc
  .record(
    {
      op: fc.integer({ min: 1, max: 5 }),
      to: xmlWord,
      fr: xmlWord,
      rqi: xmlWord,
      ty: fc.integer({ min: 1, max: 60 }),
      pc: fc.oneof(
        fc.record({ 'm2m:cin': fc.record({ con: xmlText, cnf: xmlWord }, { requiredKeys: ['con'] }) }),
        fc.record({ 'm2m:cnt': fc.record({ rn: xmlWord, mni: fc.nat(1000), lbl: fc.array(xmlWord, { minLength: 1, maxLength: 3 }) }, { requiredKeys: [] }) }),
        fc.record({ 'm2m:dbg': xmlText }),
      ) as Arbitrary<JsonObject>,
      rids: fc.array(xmlWord, { minLength: 1, maxLength: 3 }),
      ot: xmlWord,
      rcn: fc.integer({ min: 0, max: 12 }),
      ec: fc.integer({ min: 1, max: 4 }),
      da: fc.boolean(),
      rt: fc.record({ rtv: fc.integer({ min: 1, max: 5 }) }),
      rvi: fc.constantFrom('2a', '3', '4', '5'),
      vsi: xmlWord,
    },
    { requiredKeys: ['op', 'to', 'rqi'] },
  )
  .map((r) => r as unknown as RequestPrimitive);

/** A response primitive whose every member the XML codec types by its tables. */
export const xmlResponse: Arbitrary<ResponsePrimitive> = fc
  .record(
    {
      rsc: fc.constantFrom(2000, 2001, 4000, 5103),
      rqi: xmlWord,
      pc: fc.oneof(fc.record({ 'm2m:dbg': xmlText }), fc.record({ 'm2m:cin': fc.record({ con: xmlText, rn: xmlWord }) })) as Arbitrary<JsonObject>,
      to: xmlWord,
      fr: xmlWord,
      ot: xmlWord,
      cnst: fc.integer({ min: 0, max: 3 }),
      rvi: fc.constantFrom('3', '4'),
    },
    { requiredKeys: ['rsc', 'rqi'] },
  )
  .map((r) => r as unknown as ResponsePrimitive);

// --- byte- and text-level mutation ----------------------------------------

export type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; n: number };

export const mutation: Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.nat(255) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
);

export function mutateBytes(data: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(data);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) b[at % b.length] = m.byte;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
        break;
    }
  }
  return b;
}

/** Text-level mutation (keeps the input a string, may break UTF-16 pairs). */
export function mutateText(text: string, mutations: readonly Mutation[]): string {
  let s = text;
  for (const m of mutations) {
    const at = m.at % (s.length + 1);
    switch (m.kind) {
      case 'flip':
        if (s.length > 0) s = s.slice(0, at % s.length) + String.fromCharCode(m.byte) + s.slice((at % s.length) + 1);
        break;
      case 'truncate':
        s = s.slice(0, at);
        break;
      case 'insert':
        s = s.slice(0, at) + String.fromCharCode(...m.bytes) + s.slice(at);
        break;
      case 'delete':
        s = s.slice(0, at) + s.slice(at + m.n);
        break;
    }
  }
  return s;
}

/** Deeply nested JSON text: `[[[…]]]` or `{"a":{"a":…}}`. */
export const deepJson: Arbitrary<string> = fc
  .record({ depth: fc.integer({ min: 100, max: 20000 }), kind: fc.constantFrom('array', 'object', 'pc') })
  .map(({ depth, kind }) => {
    if (kind === 'array') return '['.repeat(depth) + ']'.repeat(depth);
    const inner = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    return kind === 'object' ? inner : `{"op":1,"to":"cse-in","fr":"CAdmin","rqi":"deep","ty":4,"pc":{"m2m:cin":{"con":${inner}}}}`;
  });

/** Deeply nested XML text. */
export const deepXml: Arbitrary<string> = fc
  .integer({ min: 100, max: 20000 })
  .map((depth) => `<m2m:rqp xmlns:m2m="http://www.onem2m.org/xml/protocols"><op>1</op><to>cse-in</to><rqi>deepx</rqi><pc>${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}</pc></m2m:rqp>`);

/** Deeply nested CBOR: `depth` one-element arrays (0x81) around 0. */
export const deepCbor: Arbitrary<Buffer> = fc
  .record({ depth: fc.integer({ min: 100, max: 20000 }), head: fc.constantFrom(0x81, 0xa1) })
  .map(({ depth, head }) => {
    if (head === 0x81) return Buffer.concat([Buffer.alloc(depth, 0x81), Buffer.from([0x00])]);
    // {"a": {"a": … 0}}
    const parts: Buffer[] = [];
    for (let i = 0; i < depth; i++) parts.push(Buffer.from([0xa1, 0x61, 0x61]));
    parts.push(Buffer.from([0x00]));
    return Buffer.concat(parts);
  });
