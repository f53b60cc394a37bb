// The pure fuzz properties: codecs, the TS-0009 mapping and config loading.
// test/fuzz/pure.test.ts runs each with a small numRuns in the regular suite;
// bench/fuzz.ts runs the same properties with a large one.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import { stringify as yamlStringify } from 'yaml';
import { encode as cborEncode } from 'cbor-x';
import { BridgeError, PrimitiveDecodeError } from '../../src/errors.js';
import { codecFor, contentCodecFor } from '../../src/primitive/codecs.js';
import { toPrimitive, toRequestPrimitive } from '../../src/primitive/validate.js';
import type { Primitive, RequestPrimitive, Serialization } from '../../src/primitive/types.js';
import { toHttpRequest } from '../../src/http/to-http-request.js';
import { fromHttpRequest } from '../../src/http/from-http-request.js';
import { ConfigError, SETTINGS, loadConfig } from '../../src/config/config.js';
import {
  anything,
  deepCbor,
  deepJson,
  deepXml,
  jsonValue,
  mutateBytes,
  mutateText,
  mutation,
  nastyString,
  validRequestTree,
  validResponseTree,
  wildRequestTree,
  xmlRequest,
  xmlResponse,
} from './arbitraries.js';

export interface NamedProperty {
  /** States the behaviour. */
  name: string;
  area: 'codec' | 'mapping' | 'config';
  /** Share of the runs this property gets relative to the others (default 1). */
  weight?: number;
  /** A known bridge bug this property finds: the suite reports it as a todo. */
  bug?: string;
  property: fc.IProperty<any>;
}

const SERIALIZATIONS: readonly Serialization[] = ['json', 'xml', 'cbor'];

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ''}`;
  return String(err);
}

/** Runs fn; anything thrown must be a PrimitiveDecodeError. */
function onlyDecodeErrors<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PrimitiveDecodeError) return undefined;
    assert.fail(`threw something other than PrimitiveDecodeError: ${describeError(err)}`);
  }
}

/** Runs fn; anything thrown must be a BridgeError (PrimitiveDecodeError is one). */
function onlyBridgeErrors<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BridgeError) return undefined;
    assert.fail(`threw something other than PrimitiveDecodeError/BridgeError: ${describeError(err)}`);
  }
}

/** What JSON makes of a value: -0 → 0, undefined members dropped. */
function jsonNormal<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** JSON.stringify writes a lone surrogate as an escape (well-formed JSON.stringify). */
const LONE_SURROGATE_ESCAPE = /\\ud[89a-f][0-9a-f]{2}/i;

function encodePrimitive(s: Serialization, p: Primitive): Buffer | string {
  const codec = codecFor(s);
  return p.kind === 'request' ? codec.encodeRequest(p.primitive) : codec.encodeResponse(p.primitive);
}

// --------------------------------------------------------------------------
// codecs

const anyPrimitive: Arbitrary<Primitive> = fc.oneof(
  validRequestTree.map((primitive) => ({ kind: 'request' as const, primitive })),
  validResponseTree.map((primitive) => ({ kind: 'response' as const, primitive })),
);
const xmlPrimitive: Arbitrary<Primitive> = fc.oneof(
  xmlRequest.map((primitive) => ({ kind: 'request' as const, primitive })),
  xmlResponse.map((primitive) => ({ kind: 'response' as const, primitive })),
);

/** Wire bytes of a random (possibly wrongly typed) primitive tree in serialization s. */
export function wireOfTree(s: Serialization, tree: unknown): Buffer | string {
  if (s === 'json') return JSON.stringify(tree) ?? 'null';
  if (s === 'cbor') return Buffer.from(cborEncode(tree));
  // XML: build the element text by hand (wrong types included, as text).
  const parts: string[] = [];
  if (tree !== null && typeof tree === 'object' && !Array.isArray(tree)) {
    for (const [k, v] of Object.entries(tree)) {
      const name = /^[A-Za-z_][\w.-]*$/.test(k) ? k : 'x';
      const text = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
      parts.push(`<${name}>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</${name}>`);
    }
  }
  return `<m2m:rqp xmlns:m2m="http://www.onem2m.org/xml/protocols">${parts.join('')}</m2m:rqp>`;
}

export function codecProperties(): NamedProperty[] {
  const props: NamedProperty[] = [];
  for (const s of SERIALIZATIONS) {
    const codec = codecFor(s);
    props.push({
      name: `${s}: decoding random bytes throws nothing but PrimitiveDecodeError`,
      area: 'codec',
      property: fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        onlyDecodeErrors(() => codec.decode(Buffer.from(bytes)));
        onlyDecodeErrors(() => codec.decodeContent(Buffer.from(bytes)));
      }),
    });
    if (s !== 'cbor') {
      props.push({
        name: `${s}: decoding random strings throws nothing but PrimitiveDecodeError`,
        area: 'codec',
        property: fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), nastyString), (text) => {
          onlyDecodeErrors(() => codec.decode(text));
        }),
      });
    }
    props.push({
      name: `${s}: decoding mutated valid primitives throws nothing but PrimitiveDecodeError`,
      area: 'codec',
      weight: 2,
      property: fc.property(s === 'xml' ? xmlPrimitive : anyPrimitive, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (p, muts, asText) => {
        const wire = encodePrimitive(s, p);
        const bytes = typeof wire === 'string' ? Buffer.from(wire, 'utf8') : wire;
        onlyDecodeErrors(() => codec.decode(mutateBytes(bytes, muts)));
        if (asText && typeof wire === 'string') onlyDecodeErrors(() => codec.decode(mutateText(wire, muts)));
      }),
    });
    props.push({
      name: `${s}: decoding primitives with members of any type throws nothing but PrimitiveDecodeError and keeps the rqi when readable`,
      area: 'codec',
      weight: 2,
      property: fc.property(fc.oneof(wildRequestTree, anything), (tree) => {
        const wire = wireOfTree(s, tree);
        try {
          codec.decode(wire);
        } catch (err) {
          if (!(err instanceof PrimitiveDecodeError)) assert.fail(`threw ${describeError(err)}`);
          // the rqi the decoder reports, when it reports one, is the one sent
          if (err.rqi !== undefined && s !== 'xml' && tree !== null && typeof tree === 'object') {
            assert.equal(err.rqi, (tree as Record<string, unknown>).rqi);
          }
        }
      }),
    });
    props.push({
      name: `${s}: decoding deeply nested input throws nothing but PrimitiveDecodeError`,
      area: 'codec',
      weight: 0.05,
      property: fc.property(s === 'json' ? deepJson : s === 'xml' ? deepXml : deepCbor, (wire) => {
        onlyDecodeErrors(() => codec.decode(wire));
      }),
    });
    props.push({
      name: `${s}: any valid primitive round-trips through encode and decode`,
      area: 'codec',
      weight: 2,
      // CBOR text strings are UTF-8: a lone UTF-16 surrogate is no valid string to round-trip.
      // A "__proto__" member is renamed "__proto_" on purpose by the CBOR decoder (no prototype pollution).
      property: fc.property((s === 'xml' ? xmlPrimitive : anyPrimitive).filter((p) => s !== 'cbor' || (!LONE_SURROGATE_ESCAPE.test(JSON.stringify(p)) && !JSON.stringify(p).includes('"__proto__"'))), (p) => {
        const decoded = codec.decode(encodePrimitive(s, p));
        const expected = s === 'json' ? jsonNormal(p.primitive) : p.primitive;
        assert.equal(decoded.kind, p.kind);
        assert.deepStrictEqual(s === 'json' ? decoded.primitive : jsonNormal(decoded.primitive), jsonNormal(expected));
      }),
    });
  }
  return props;
}

// --------------------------------------------------------------------------
// TS-0009 mapping

// RFC 9110 field-name token and what Node/undici accept in a field value / request target.
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TARGET_RE = /^\/[\x21-\x7e]*$/;

const httpMethod = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'get', 'Post', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', ''), fc.string({ maxLength: 8 }));
const headerName = fc.constantFrom(
  'x-m2m-ri', 'x-m2m-origin', 'x-m2m-rvi', 'x-m2m-ot', 'x-m2m-ret', 'x-m2m-rst', 'x-m2m-oet', 'x-m2m-ec', 'x-m2m-gid', 'x-m2m-vsi',
  'x-m2m-as', 'x-m2m-rtu', 'authorization', 'content-type', 'accept', 'x-other',
);
const headerValueArb = fc.oneof(
  nastyString,
  fc.constantFrom('application/json', 'application/json;ty=4', 'application/cbor;ty=x', 'application/xml', 'application/vnd.onem2m-res+json; ty=2', 'text/plain', 'application/json;ty=', ';;;', 'application/json;charset=utf-8;ty=5'),
  fc.integer().map(String),
  fc.constantFrom('20250101T000000', '-1', '99999999999999999999', '1e3', '0x10', ' 5 '),
);
const httpPath = fc.oneof(
  fc.constantFrom('', '/', '/Cae', '/~/id-in/Cae', '/_/sp/id-in/Cae', '/cse-in?rcn=1&fu=1&ty=3+4', '?atrl=a+b', '/x?rt=3', '/x?fu=x', '/x?lbl=%zz', '/%', '/x#y'),
  fc.tuple(fc.array(nastyString, { maxLength: 3 }), fc.array(fc.tuple(fc.oneof(fc.constantFrom('rcn', 'rt', 'rp', 'da', 'drt', 'rids', 'atrl', 'fu', 'ty', 'lim', 'lbl', 'cra', 'atr', 'c.x', 'smf', 'ma', 'tqi', 'sqi'), nastyString), nastyString), { maxLength: 4 }))
    .map(([segs, q]) => '/' + segs.join('/') + (q.length > 0 ? '?' + q.map(([k, v]) => `${k}=${v}`).join('&') : '')),
);
const httpBody = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
  jsonValue.map((v) => Buffer.from(JSON.stringify(v))),
  jsonValue.map((v) => Buffer.from(cborEncode(v))),
  fc.constantFrom('<m2m:sgn xmlns:m2m="http://www.onem2m.org/xml/protocols"><sur>x</sur></m2m:sgn>', '{"m2m:sgn":{"sur":"/id-in/sub"}}', '<', '{').map((s) => Buffer.from(s)),
);

export const httpRequestIn = fc.record({
  method: httpMethod,
  path: httpPath,
  headers: fc.dictionary(headerName, fc.oneof(headerValueArb, fc.array(headerValueArb, { minLength: 1, maxLength: 2 })), { maxKeys: 8 }),
  body: httpBody,
});

export function mappingProperties(): NamedProperty[] {
  const props: NamedProperty[] = [];
  for (const s of SERIALIZATIONS) {
    const content = contentCodecFor(s);
    props.push({
      name: `toHttpRequest (${s} bodies): any validated request primitive maps to a sendable HTTP request or throws a BridgeError`,
      area: 'mapping',
      weight: 2,
      property: fc.property(fc.oneof(validRequestTree as Arbitrary<unknown>, wildRequestTree), (tree) => {
        let req: RequestPrimitive;
        try {
          req = toRequestPrimitive(tree as Record<string, unknown>);
        } catch (err) {
          if (err instanceof PrimitiveDecodeError) return;
          throw err;
        }
        const out = onlyBridgeErrors(() => toHttpRequest(req, content));
        if (out === undefined) return;
        assert.match(out.path, TARGET_RE, `request target ${JSON.stringify(out.path)} cannot be sent`);
        for (const [name, value] of Object.entries(out.headers)) {
          assert.match(name, TOKEN_RE, `header name ${JSON.stringify(name)}`);
          assert.equal(typeof value, 'string', `header ${name}`);
          assert.match(value, FIELD_VALUE_RE, `header ${name}: ${JSON.stringify(value)} cannot be sent`);
        }
        assert.ok(['GET', 'POST', 'PUT', 'DELETE'].includes(out.method));
      }),
    });
  }
  props.push({
    name: 'fromHttpRequest: any HTTP request becomes a valid request primitive or a BridgeError',
    area: 'mapping',
    weight: 3,
    property: fc.property(httpRequestIn, fc.constantFrom('Cae', '/id-in/Cae'), (msg, defaultTo) => {
      const req = onlyBridgeErrors(() => fromHttpRequest(msg, defaultTo, contentCodecFor));
      if (req === undefined) return;
      // what the bridge sends down must itself be a valid primitive the registree can decode
      const tree = JSON.parse(JSON.stringify(req)) as unknown;
      try {
        toPrimitive(tree);
      } catch (err) {
        assert.fail(`fromHttpRequest built an invalid primitive ${JSON.stringify(req)}: ${describeError(err)}`);
      }
    }),
  });
  return props;
}

// --------------------------------------------------------------------------
// config files

const settingNames = SETTINGS.flatMap((s) => [s.flag, s.key as string]);
const configKey = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...settingNames) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) });
const configValue = fc.oneof(
  fc.constantFrom('http://127.0.0.1:8080', 'https://x/y', 'ftp://x', '0.0.0.0:8180', '[::1]:1', ':99999', 'memory', 'lmdb:./d', 'redis://x', 'json', 'cbor', 'xml',
    '30s', '5m', '1.5h', '10ms', '-1s', '16MiB', '1GiB', '0', '1', 'true', 'false', 'CAdmin,Cx', 'auto', 'always', '1000', '2000', 'debug', 'silent', ''),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
  fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), { maxLength: 3 }),
  jsonValue,
);
const configFileText = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.dictionary(configKey, configValue, { maxKeys: 6 }), fc.constantFrom('yaml', 'json')).map(([doc, how]) => (how === 'json' ? JSON.stringify(doc) : yamlStringify(doc))) },
  { weight: 1, arbitrary: fc.tuple(fc.dictionary(configKey, configValue, { maxKeys: 4 }), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([doc, muts]) => mutateText(yamlStringify(doc), muts)) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), jsonValue.map((v) => JSON.stringify(v))) },
);

export function configProperties(): NamedProperty[] {
  return [
    {
      name: 'loadConfig: any config file yields a config or a ConfigError whose every problem names the file or a setting',
      area: 'config',
      weight: 2,
      property: fc.property(configFileText, fc.constantFrom('bridge.yaml', 'conf/b.json'), fc.boolean(), (text, file, throwsOnRead) => {
        const read = (path: string): string => {
          assert.equal(path, file);
          if (throwsOnRead) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
          return text;
        };
        try {
          loadConfig(['--config', file], {}, read);
        } catch (err) {
          if (!(err instanceof ConfigError)) assert.fail(`threw something other than ConfigError: ${describeError(err)}`);
          assert.ok(err.problems.length > 0, 'a ConfigError lists at least one problem');
          for (const problem of err.problems) {
            const ok = problem.startsWith(file) || problem.startsWith('--') || SETTINGS.some((st) => problem.startsWith(st.flag) || problem.startsWith(st.key));
            assert.ok(ok, `problem does not start with the file or a setting name: ${JSON.stringify(problem)}`);
          }
        }
      }),
    },
  ];
}

export function allPureProperties(): NamedProperty[] {
  return [...codecProperties(), ...mappingProperties(), ...configProperties()];
}

