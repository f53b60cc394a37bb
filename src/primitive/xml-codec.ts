// XML primitives (ref C2, TS-0004 8.3): <m2m:rqp>/<m2m:rsp> roots, unprefixed
// short-name parameters, typed by the tables in xml-types.ts. Text frames only
// (TS-0020 Table 6.2.2.9-1).
import { PrimitiveDecodeError, bridgeError } from '../errors.js';
import type { PrimitiveCodec } from './codec.js';
import { REQUEST_PARAMETER_ORDER, RESPONSE_PARAMETER_ORDER } from './types.js';
import type {
  JsonObject,
  JsonValue,
  Primitive,
  PrimitiveContent,
  RequestPrimitive,
  ResponsePrimitive,
} from './types.js';
import { floatLexeme, isFloatLexeme, lexemeOf, needsMarker } from './float-lexeme.js';
import { toRequestPrimitive, toResponsePrimitive } from './validate.js';
import { XmlSyntaxError, readXml } from './xml-reader.js';
import type { XmlElement } from './xml-reader.js';
import {
  KNOWN_NAMESPACES,
  M2M_NAMESPACE,
  XML_ATTRIBUTE_MEMBERS,
  XML_CONTEXT_TYPES,
  XML_GLOBAL_TYPES,
  XML_NO_NULL_PARENTS,
  XML_SINGLE_CHILD_PARENTS,
} from './xml-types.js';
import type { XmlValueType } from './xml-types.js';

// ---------------------------------------------------------------------------
// Tables as Maps (no prototype keys such as "constructor" can match).

const GLOBAL_TYPES = new Map<string, XmlValueType>(Object.entries(XML_GLOBAL_TYPES));
const CONTEXT_TYPES = new Map<string, Map<string, XmlValueType>>(
  Object.entries(XML_CONTEXT_TYPES).map(([parent, table]) => [parent, new Map(Object.entries(table))]),
);
const SINGLE_CHILD = new Set(XML_SINGLE_CHILD_PARENTS);
const NO_NULL = new Set([...XML_NO_NULL_PARENTS, ...XML_SINGLE_CHILD_PARENTS]);
const ATTRIBUTE_MEMBERS = new Map(Object.entries(XML_ATTRIBUTE_MEMBERS));
const NAMESPACES = new Map(Object.entries(KNOWN_NAMESPACES));
const ROOT_NS = ` xmlns:m2m="${M2M_NAMESPACE}"`;

/** Context (parent element) first, then the global default (xml-types.ts). */
function typeOf(parent: string, name: string): XmlValueType | undefined {
  return CONTEXT_TYPES.get(parent)?.get(name) ?? GLOBAL_TYPES.get(name);
}

/**
 * Unknown prefixed elements are global elements: one object where the parent
 * holds a single one (pc, rep, rce), else inlined child resources (ref C1 maxOccurs > 1).
 */
function elementType(parent: string, name: string): XmlValueType | undefined {
  const t = typeOf(parent, name);
  if (t !== undefined || name.indexOf(':') < 0) return t;
  return SINGLE_CHILD.has(parent) ? 'complex' : 'listOfComplex';
}

// ---------------------------------------------------------------------------
// Decoding

/** DTDs carry entity declarations: refused outright (no XXE, no billion laughs). */
const DTD = /<!DOCTYPE|<!ENTITY/i;
const RQI_ELEMENT = /<rqi>\s*([^<]*?)\s*<\/rqi>/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const WHITESPACE = /\s+/;

function recoverRqi(text: string): string | undefined {
  return RQI_ELEMENT.exec(text)?.[1] || undefined;
}

function parseXml(data: Buffer | string): { text: string; root: XmlElement } {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (DTD.test(text)) {
    throw new PrimitiveDecodeError('XML with a DOCTYPE or ENTITY declaration is refused', recoverRqi(text));
  }
  try {
    // Checks well-formedness and the parse budget (issue 13) while it reads.
    return { text, root: readXml(text) };
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    throw new PrimitiveDecodeError(`malformed XML: ${err.message}`, recoverRqi(text));
  }
}

const FRACTION_OR_EXPONENT = /[.eE]/;

function toNumber(text: string): JsonValue {
  const t = text.trim();
  if (!DECIMAL.test(t)) return text; // not a number: keep the text (lossless)
  // Issue 15: XML carries lexemes; `5.0` stays a float (float-lexeme.ts).
  return FRACTION_OR_EXPONENT.test(t) && needsMarker(t) ? floatLexeme(t) : Number(t);
}

/** Typed value of a text node (ref C2: decimal text, true/false, space-separated lists). */
function leaf(type: XmlValueType | undefined, text: string): JsonValue {
  switch (type) {
    case 'number':
      return toNumber(text);
    case 'boolean': {
      const t = text.trim();
      return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : text;
    }
    case 'list<string>': {
      const t = text.trim();
      return t === '' ? [] : t.split(WHITESPACE);
    }
    case 'list<number>': {
      const t = text.trim();
      return t === '' ? [] : t.split(WHITESPACE).map(toNumber);
    }
    default:
      return text; // string, any, unknown names
  }
}

/**
 * An empty element: NULL in resource content (ref C2 "NULL"), but an empty
 * string / list / object where NULL makes no sense (primitive parameters, rt, fc, pc).
 */
function empty(type: XmlValueType | undefined, parent: string): JsonValue {
  if (!NO_NULL.has(parent)) return null;
  switch (type) {
    case 'list<string>':
    case 'list<number>':
      return [];
    case 'complex':
    case 'listOfComplex':
      return {};
    default:
      return '';
  }
}

function readElement(el: XmlElement, type: XmlValueType | undefined, parent: string): JsonValue {
  const name = el.name;
  let text = '';
  let hasElements = false;
  for (const child of el.children) {
    if (typeof child === 'string') text += child;
    else hasElements = true;
  }
  let obj: JsonObject | undefined;
  const attrs = el.attrs;
  if (attrs !== undefined) {
    for (let i = 0; i < attrs.length; i += 2) {
      const attr = attrs[i];
      if (attr.startsWith('xmlns')) continue;
      const value = attrs[i + 1];
      if (attr.startsWith('xsi:')) {
        if (attr === 'xsi:nil' && (value === 'true' || value === '1')) return null;
        continue;
      }
      (obj ??= {})[attr] = leaf(typeOf(name, attr), value); // e.g. rn, ch nm/typ (ref C2)
    }
  }
  if (hasElements) {
    obj ??= {};
    let repeated: Set<string> | undefined;
    for (const child of el.children) {
      if (typeof child === 'string') continue; // whitespace between elements
      let key = child.name;
      if (key === 'atrl' && name === 'pc') key = 'm2m:atrl'; // TS-0009 writes <pc><atrl> (ref C2)
      const childType = elementType(name, key);
      const value = readElement(child, childType, name);
      if (childType === 'listOfComplex') {
        const list = Object.hasOwn(obj, key) ? obj[key] : undefined;
        if (Array.isArray(list)) list.push(value);
        else obj[key] = [value];
      } else if (Object.hasOwn(obj, key)) {
        // repeated element the table does not know as a list: keep every occurrence
        if (repeated?.has(key)) (obj[key] as JsonValue[]).push(value);
        else {
          obj[key] = [obj[key], value];
          (repeated ??= new Set()).add(key);
        }
      } else {
        obj[key] = value;
      }
    }
    return obj;
  }
  if (obj) {
    // simple type with attributes: value in member "val" (ref C1, childResourceRef)
    if (text !== '') obj.val = leaf(typeOf(name, 'val'), text);
    return obj;
  }
  return text === '' ? empty(type, parent) : leaf(type, text);
}

// ---------------------------------------------------------------------------
// Encoding

const TEXT_SPECIAL = /[&<>\r]/;
const TEXT_SPECIAL_ALL = /[&<>\r]/g;
const ATTR_SPECIAL = /[&<>"\r\n\t]/;
const ATTR_SPECIAL_ALL = /[&<>"\r\n\t]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;',
};
const escapeChar = (c: string): string => ESCAPES[c];
/** XML Name, optionally prefixed (XML 1.0 §2.3, Namespaces §3); ASCII plus non-ASCII letters. */
const XML_NAME = /^[A-Za-z_\u00C0-\uFFEF][\w.\-\u00B7-\uFFEF]*(?::[A-Za-z_\u00C0-\uFFEF][\w.\-\u00B7-\uFFEF]*)?$/;

function escText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_ALL, escapeChar) : s;
}

function escAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL_ALL, escapeChar) : s;
}

function isAtomic(v: unknown): v is string | number | boolean {
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean';
}

function atomText(v: unknown): string {
  return isAtomic(v) ? String(v) : isFloatLexeme(v) ? lexemeOf(v) : JSON.stringify(v);
}

function checkName(name: string): void {
  if (!XML_NAME.test(name)) {
    throw bridgeError('BRIDGE_ERR_XML_ENCODE', `member "${name}" cannot be an XML element name`);
  }
}

/** Declares a known non-m2m prefix (e.g. hd) where it first appears (ref C2 namespaces). */
function nsDecl(name: string, parent: string): string {
  const colon = name.indexOf(':');
  if (colon <= 0) return '';
  const prefix = name.slice(0, colon);
  if (prefix === 'm2m' || parent.startsWith(prefix + ':')) return '';
  const uri = NAMESPACES.get(prefix);
  return uri === undefined ? '' : ` xmlns:${prefix}="${uri}"`;
}

/** jsonLike values (`con`) are written as elements only when XML can hold them. */
function representable(value: unknown, inArray: boolean): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    if (inArray) return false;
    for (const v of value) if (!representable(v, true)) return false;
    return true;
  }
  for (const key in value as object) {
    if (!XML_NAME.test(key) || !representable((value as Record<string, unknown>)[key], false)) return false;
  }
  return true;
}

function writeValue(name: string, value: unknown, parent: string, extra: string): string {
  if (value === undefined) return '';
  if (value === null) return `<${name}${extra}/>`; // NULL = empty element (ref C2)
  if (isFloatLexeme(value)) return `<${name}${extra}>${lexemeOf(value)}</${name}>`; // issue 15
  const type = typeOf(parent, name);
  if (type === 'any' && typeof value === 'object' && !representable(value, false)) {
    return `<${name}${extra}>${escText(JSON.stringify(value))}</${name}>`;
  }
  if (Array.isArray(value)) {
    if (type === 'list<string>' || type === 'list<number>') {
      // xs:list: one element, values separated by single spaces (ref C2)
      let s = '';
      for (let i = 0; i < value.length; i++) s += (i ? ' ' : '') + atomText(value[i]);
      return `<${name}${extra}>${escText(s)}</${name}>`;
    }
    if (value.length === 0) return `<${name}${extra}/>`;
    // maxOccurs > 1: the element repeated (ref C2)
    let s = '';
    for (const item of value) {
      s += Array.isArray(item)
        ? `<${name}${extra}>${escText(JSON.stringify(item))}</${name}>`
        : writeValue(name, item, parent, extra);
    }
    return s;
  }
  if (typeof value === 'object') return writeObject(name, value as Record<string, unknown>, parent, extra);
  return `<${name}${extra}>${escText(String(value))}</${name}>`;
}

function writeObject(name: string, obj: Record<string, unknown>, parent: string, extra: string): string {
  const attrMembers = ATTRIBUTE_MEMBERS.get(name);
  let attrs = extra + nsDecl(name, parent);
  let text = '';
  let body = '';
  for (const key in obj) {
    const v = obj[key];
    if (v === undefined) continue;
    if (attrMembers !== undefined && (isAtomic(v) || isFloatLexeme(v))) {
      // childResourceRef: nm/typ as attributes, val as text (ref C2)
      if (key === 'val') {
        text = escText(atomText(v));
        continue;
      }
      if (attrMembers.includes(key)) {
        attrs += ` ${key}="${escAttr(atomText(v))}"`;
        continue;
      }
    }
    if (key === 'rn' && typeof v === 'string') {
      attrs += ` rn="${escAttr(v)}"`; // resourceName is an XML attribute (ref C2)
      continue;
    }
    checkName(key);
    body += writeValue(key, v, name, '');
  }
  return text === '' && body === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${text}${body}</${name}>`;
}

function writePrimitive(
  root: 'm2m:rqp' | 'm2m:rsp',
  order: readonly string[],
  primitive: Readonly<Record<string, unknown>>,
): string {
  let s = `<${root}${ROOT_NS}>`;
  for (const name of order) s += writeValue(name, primitive[name], root, ''); // TS-0004 8.3.1 order
  return `${s}</${root}>`;
}

function decode(data: Buffer | string): Primitive {
  const { text, root } = parseXml(data);
  const local = root.name.slice(root.name.indexOf(':') + 1);
  if (local !== 'rqp' && local !== 'rsp') {
    throw new PrimitiveDecodeError(`XML root must be <m2m:rqp> or <m2m:rsp>, got <${root.name}>`, recoverRqi(text));
  }
  const rootName = local === 'rqp' ? 'm2m:rqp' : 'm2m:rsp';
  const tree = readElement({ ...root, name: rootName }, 'complex', '');
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) {
    throw new PrimitiveDecodeError(`empty <${root.name}>`);
  }
  // the root names the kind (ref C2: wrappers mandatory in XML)
  return local === 'rqp'
    ? { kind: 'request', primitive: toRequestPrimitive(tree) }
    : { kind: 'response', primitive: toResponsePrimitive(tree) };
}

export const xmlCodec: PrimitiveCodec = {
  serialization: 'xml',
  mediaType: 'application/xml',
  binary: false,
  decode,
  encodeRequest(req: RequestPrimitive): string {
    return writePrimitive('m2m:rqp', REQUEST_PARAMETER_ORDER, req as unknown as Record<string, unknown>);
  },
  encodeResponse(rsp: ResponsePrimitive): string {
    return writePrimitive('m2m:rsp', RESPONSE_PARAMETER_ORDER, rsp as unknown as Record<string, unknown>);
  },
  /** The single element of pc on its own, with its namespace (TS-0009 6.5, ref A10). */
  encodeContent(pc: PrimitiveContent): string {
    let out = '';
    let count = 0;
    for (const key in pc) {
      const v = pc[key];
      if (v === undefined) continue;
      if (++count > 1) {
        throw bridgeError('BRIDGE_ERR_XML_ENCODE', 'XML content holds exactly one element');
      }
      checkName(key);
      out = writeValue(key, v, 'pc', ROOT_NS);
    }
    return out;
  },
  decodeContent(body: Buffer): PrimitiveContent {
    const { root } = parseXml(body);
    const key = root.name === 'atrl' ? 'm2m:atrl' : root.name;
    const value = readElement(root, elementType('pc', key), 'pc');
    return { [key]: value };
  },
};
