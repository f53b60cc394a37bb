// How the simulated device (ws-registree.ts) puts primitives on the wire and
// reads them back: plain JSON, cbor-x and fast-xml-parser calls of its own,
// written from ONEM2M-REFERENCE.md C1-C3, not the bridge's codecs in
// src/primitive/. A bug shared by the bridge's encoder and decoder then shows
// end to end instead of cancelling out.
import { Decoder, Encoder } from 'cbor-x';
import { XMLParser } from 'fast-xml-parser';

/** A JSON-shaped value: what a primitive and its content are made of. */
export type Value = string | number | boolean | null | Value[] | { [name: string]: Value };
export type Obj = { [name: string]: Value };

export type Format = 'json' | 'xml' | 'cbor';

export interface DeviceCodec {
  readonly format: Format;
  /** CBOR goes in binary frames, JSON and XML in text frames (TS-0020 6.2). */
  readonly binary: boolean;
  encode(primitive: Obj): Buffer | string;
  /** A request has `op`, a response `rsc`. */
  decode(data: Buffer): { kind: 'request' | 'response'; primitive: Obj };
}

function kindOf(p: Obj): 'request' | 'response' {
  if (typeof p.rsc === 'number') return 'response';
  if (typeof p.op === 'number') return 'request';
  throw new Error(`neither a request nor a response: ${JSON.stringify(p)}`);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** undefined members dropped, as JSON.stringify does (the device never sends undefined). */
function defined(v: unknown): Value {
  if (Array.isArray(v)) return v.map(defined);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, defined(x)]));
  return v as Value;
}

// --- C1 JSON: the primitive is the object itself, no m2m:rqp/m2m:rsp wrapper

const json: DeviceCodec = {
  format: 'json',
  binary: false,
  encode: (p) => JSON.stringify(p),
  decode(data) {
    const p = JSON.parse(data.toString('utf8')) as Obj;
    return { kind: kindOf(p), primitive: p };
  },
};

// --- C3 CBOR: the same map as JSON, string keys, no records or tags

const cborEncoder = new Encoder({ useRecords: false });
const cborDecoder = new Decoder({ useRecords: false, mapsAsObjects: true });

const cbor: DeviceCodec = {
  format: 'cbor',
  binary: true,
  encode: (p) => Buffer.from(cborEncoder.encode(defined(p))),
  decode(data) {
    const p = cborDecoder.decode(data) as Obj;
    return { kind: kindOf(p), primitive: p };
  },
};

// --- C2 XML: m2m:rqp / m2m:rsp root in the m2m namespace, short names as
// elements, rn as an attribute of a resource element, xs:list values joined
// by spaces, repeated elements for several complex values. Types come from a
// small table of the names the tests use (Appendix 1), not from the bridge.

const NS = 'http://www.onem2m.org/xml/protocols';
/** TS-0004 Table 6.4.1-1 / 6.4.2-1 order (C2 "Element order"). */
const REQUEST_ORDER = ['op', 'to', 'fr', 'rqi', 'ty', 'pc', 'rids', 'ot', 'rqet', 'rset', 'oet', 'rt', 'rp', 'rcn', 'ec', 'da', 'gid', 'fc', 'drt', 'tkns', 'tids', 'ltids', 'tqi', 'grtm', 'asi', 'aus', 'auri', 'sqi', 'rvi', 'vsi'];
const RESPONSE_ORDER = ['rsc', 'rqi', 'pc', 'to', 'fr', 'ot', 'rset', 'ec', 'cnst', 'cnot', 'ati', 'tqf', 'asri', 'rvi', 'vsi'];

/** Integer and enumeration attributes: JSON numbers. */
const NUMBERS = new Set(['op', 'ty', 'rsc', 'rcn', 'rtv', 'drt', 'fu', 'cst', 'st', 'cni', 'cbs', 'mni', 'mbs', 'mia', 'nct', 'lvl', 'lim', 'cs', 'typ', 'nsi', 'net', 'ofst', 'exc', 'mnm', 'cnm', 'mt', 'csy', 'sqi', 'lit', 'ec']);
/** Boolean attributes. */
const BOOLEANS = new Set(['rr', 'vrq', 'sud', 'mtv', 'nsp', 'arp']);
/** xs:list of strings: one element, values separated by spaces. */
const STRING_LISTS = new Set(['srv', 'poa', 'lbl', 'acpi', 'nu', 'csz', 'aa', 'at', 'atrl', 'm2m:atrl', 'uril', 'm2m:uril', 'acor', 'mid', 'macp', 'rels', 'nid']);
/** xs:list of numbers, by the element they are in (net is a list in enc, one number in nev). */
const NUMBER_LISTS: Record<string, ReadonlySet<string>> = { enc: new Set(['net']), fc: new Set(['ty']), 'm2m:cb': new Set(['srt']) };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function scalar(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return escape(v);
  throw new Error(`not a scalar: ${JSON.stringify(v)}`);
}

function element(name: string, v: Value): string {
  if (v === null) return `<${name}/>`;
  if (Array.isArray(v)) {
    // complex values repeat the element; scalars form an xs:list
    if (v.some((x) => isObj(x))) return v.map((x) => element(name, x)).join('');
    return `<${name}>${v.map(scalar).join(' ')}</${name}>`;
  }
  if (isObj(v)) {
    const resource = name.startsWith('m2m:') && typeof v.rn === 'string';
    const attrs = resource ? ` rn="${escape(v.rn as string)}"` : '';
    const children = Object.entries(v).filter(([k, x]) => x !== undefined && !(resource && k === 'rn'));
    return `<${name}${attrs}>${children.map(([k, x]) => element(k, x)).join('')}</${name}>`;
  }
  return `<${name}>${scalar(v)}</${name}>`;
}

function encodeXml(p: Obj): string {
  const response = typeof p.rsc === 'number';
  const order = response ? RESPONSE_ORDER : REQUEST_ORDER;
  const names = Object.keys(p).filter((k) => p[k] !== undefined);
  names.sort((a, b) => (order.indexOf(a) + 1 || 999) - (order.indexOf(b) + 1 || 999));
  const root = response ? 'm2m:rsp' : 'm2m:rqp';
  const body = names.map((k) => (k === 'pc' ? `<pc>${Object.entries(p.pc as Obj).map(([n, x]) => element(n, x)).join('')}</pc>` : element(k, p[k]))).join('');
  return `<${root} xmlns:m2m="${NS}">${body}</${root}>`;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  textNodeName: '#text',
  ignoreDeclaration: true,
});

/** Turns the parser's tree into the JSON form, typing values by name (and the parent's name for lists). */
function typed(name: string, parent: string, raw: unknown): Value {
  if (Array.isArray(raw)) return raw.map((x) => typed(name, parent, x));
  if (isObj(raw)) {
    const out: Obj = {};
    let text: string | undefined;
    for (const [k, x] of Object.entries(raw)) {
      if (k.startsWith('@xmlns')) continue;
      if (k === '#text') text = String(x);
      else if (k.startsWith('@')) out[k.slice(1)] = k === '@typ' ? Number(x) : String(x);
      else out[k] = typed(k, name, x);
    }
    // a simple type with attributes (childResourceRef): value in member val
    if (text !== undefined && text.trim() !== '') out.val = text;
    return out;
  }
  const text = String(raw ?? '');
  if (NUMBER_LISTS[parent]?.has(name)) return text.trim() === '' ? [] : text.trim().split(/\s+/).map(Number);
  if (STRING_LISTS.has(name)) return text.trim() === '' ? [] : text.trim().split(/\s+/);
  if (text === '') return null;
  if (NUMBERS.has(name) && /^-?\d+$/.test(text)) return Number(text);
  if (BOOLEANS.has(name) && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function decodeXml(data: Buffer): { kind: 'request' | 'response'; primitive: Obj } {
  const doc = parser.parse(data.toString('utf8')) as Obj;
  const root = Object.keys(doc).find((k) => k === 'm2m:rqp' || k === 'm2m:rsp');
  if (root === undefined) throw new Error(`no m2m:rqp or m2m:rsp root: ${data.toString('utf8').slice(0, 200)}`);
  // the m2m prefix must be bound to the oneM2M protocols namespace (C2)
  const ns = (doc[root] as Obj | undefined)?.['@xmlns:m2m'];
  if (ns !== NS) throw new Error(`<${root}> binds m2m to ${JSON.stringify(ns)}, not ${NS}`);
  const primitive = typed(root, '', doc[root]) as Obj;
  return { kind: root === 'm2m:rsp' ? 'response' : 'request', primitive };
}

const xml: DeviceCodec = { format: 'xml', binary: false, encode: encodeXml, decode: decodeXml };

export function deviceCodec(format: Format): DeviceCodec {
  return { json, xml, cbor }[format];
}
