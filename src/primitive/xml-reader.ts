// XML text → a tree of elements, for the XML codec (ref C2). A small
// non-validating reader of XML 1.0 documents without a DTD: elements,
// attributes, text, CDATA sections, comments and processing instructions.
// It checks well-formedness as it goes (matching tags, quoted attributes, no
// repeated attribute, one root) and keeps to the parse budget (parse-budget.ts)
// before it builds more. Text runs are found with indexOf and cut out whole,
// so a long text costs what copying it costs (issue 13: fast-xml-parser added
// text one character at a time, half a second for 4 MB).
import { MAX_DEPTH, MAX_NODES, tooDeep, tooMany } from './parse-budget.js';

export interface XmlElement {
  name: string;
  /** Name, value, name, value, … in document order; values with references decoded. */
  attrs: string[] | undefined;
  /** Text (references decoded; CDATA as written) and child elements, in document order. */
  children: Array<XmlElement | string>;
}

export class XmlSyntaxError extends Error {}

/** XML Name, prefixes included (XML 1.0 §2.3, Namespaces §3); ASCII plus non-ASCII letters. */
const NAME = /[A-Za-z_:\u00C0-\uFFEF][\w.\-:\u00B7-\uFFEF]*/y;
const REFERENCE = /&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));/g;
/** An `&` that starts no reference (XML 1.0 §4.1): not well-formed. */
const BARE_AMPERSAND = /&(?!(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z_:][\w.\-:]*);)/;
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function replaceRef(match: string, dec: string | undefined, hex: string | undefined, name: string | undefined): string {
  if (name !== undefined) return PREDEFINED[name];
  const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex as string, 16);
  return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : match;
}

/** XML 1.0 §4.1/§4.6: character references and the five predefined entities. */
export function decodeRefs(s: string): string {
  return s.indexOf('&') < 0 ? s : s.replace(REFERENCE, replaceRef);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

class Reader {
  private readonly text: string;
  private pos = 0;
  private nodes = 0;

  constructor(text: string) {
    this.text = text;
  }

  fail(message: string, at = this.pos): never {
    let line = 1;
    for (let i = this.text.indexOf('\n'); i !== -1 && i < at; i = this.text.indexOf('\n', i + 1)) line++;
    throw new XmlSyntaxError(`${message} (line ${line})`);
  }

  read(): XmlElement {
    const text = this.text;
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
    let root: XmlElement | undefined;
    const stack: XmlElement[] = [];
    for (;;) {
      const lt = text.indexOf('<', this.pos);
      const end = lt === -1 ? text.length : lt;
      if (end > this.pos) {
        const run = text.slice(this.pos, end);
        if (stack.length > 0) stack[stack.length - 1].children.push(this.refs(run));
        else if (!isBlank(run)) this.fail(root === undefined ? 'no root element' : 'text outside the root element');
      }
      if (lt === -1) break;
      this.pos = lt;
      const next = text.charCodeAt(lt + 1);
      if (next === 0x2f /* / */) {
        const open = stack.pop();
        if (open === undefined) this.fail('closing tag without an opening tag');
        const name = this.name(lt + 2);
        if (name !== open.name) this.fail(`closing tag </${name}> does not match <${open.name}>`);
        this.skipSpace();
        if (text.charCodeAt(this.pos) !== 0x3e /* > */) this.fail(`unterminated closing tag </${name}>`);
        this.pos++;
        continue;
      }
      if (next === 0x3f /* ? */) {
        // XML 1.0 §2.8: the XML declaration only at the very start.
        if (lt > (text.charCodeAt(0) === 0xfeff ? 1 : 0) && /^<\?xml[\s?]/i.test(text.slice(lt, lt + 6))) this.fail('XML declaration not at the start of the document');
        this.skipPast('?>', 'processing instruction');
        continue;
      }
      if (next === 0x21 /* ! */) {
        if (text.startsWith('<!--', lt)) this.skipPast('-->', 'comment');
        else if (text.startsWith('<![CDATA[', lt)) {
          if (stack.length === 0) this.fail('CDATA outside the root element');
          const close = text.indexOf(']]>', lt + 9);
          if (close === -1) this.fail('unterminated CDATA section');
          stack[stack.length - 1].children.push(text.slice(lt + 9, close));
          this.pos = close + 3;
        } else this.fail('declarations (<!DOCTYPE, <!ENTITY) are refused');
        continue;
      }
      // A start tag.
      if (root !== undefined && stack.length === 0) this.fail('more than one root element');
      if (stack.length >= MAX_DEPTH) this.fail(tooDeep('XML'));
      const el = this.startTag(lt + 1);
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      else root = el;
      if (text.charCodeAt(this.pos) === 0x2f /* / */) this.pos += 2;
      else {
        this.pos++;
        stack.push(el);
      }
    }
    if (stack.length > 0) this.fail(`unclosed element <${stack[stack.length - 1].name}>`, text.length);
    if (root === undefined) this.fail('no root element');
    return root;
  }

  /** `<name attr="v" …>` or `…/>` from just after `<`; leaves pos at `>` or `/`. */
  private startTag(at: number): XmlElement {
    const text = this.text;
    const name = this.name(at);
    if (++this.nodes > MAX_NODES) this.fail(tooMany('XML', 'elements and attributes'));
    let attrs: string[] | undefined;
    let seen: Set<string> | undefined;
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      const c = text.charCodeAt(this.pos);
      if (c === 0x3e /* > */) break;
      if (c === 0x2f /* / */) {
        if (text.charCodeAt(this.pos + 1) !== 0x3e) this.fail(`malformed tag <${name}>`);
        break;
      }
      if (Number.isNaN(c)) this.fail(`unterminated tag <${name}>`);
      if (this.pos === before) this.fail(`attributes of <${name}> must be separated by white space`);
      const attr = this.name(this.pos);
      if (++this.nodes > MAX_NODES) this.fail(tooMany('XML', 'elements and attributes'));
      this.skipSpace();
      if (text.charCodeAt(this.pos) !== 0x3d /* = */) this.fail(`attribute ${attr} of <${name}> has no value`);
      this.pos++;
      this.skipSpace();
      const quote = text.charCodeAt(this.pos);
      if (quote !== 0x22 && quote !== 0x27) this.fail(`the value of attribute ${attr} must be quoted`);
      const close = text.indexOf(quote === 0x22 ? '"' : "'", this.pos + 1);
      if (close === -1) this.fail(`unterminated value of attribute ${attr}`);
      const value = text.slice(this.pos + 1, close);
      if (value.indexOf('<') !== -1) this.fail(`"<" in the value of attribute ${attr}`);
      attrs ??= [];
      // XML 1.0 §3.1: an attribute appears once per element.
      if (seen !== undefined) {
        if (seen.has(attr)) this.fail(`attribute ${attr} repeated in <${name}>`);
        seen.add(attr);
      } else {
        for (let k = 0; k < attrs.length; k += 2) if (attrs[k] === attr) this.fail(`attribute ${attr} repeated in <${name}>`);
        if (attrs.length >= 16) seen = new Set(attrs.filter((_, k) => k % 2 === 0)).add(attr);
      }
      attrs.push(attr, this.refs(value));
      this.pos = close + 1;
    }
    return { name, attrs, children: [] };
  }

  /** An XML Name at `at`; pos after it. */
  private name(at: number): string {
    NAME.lastIndex = at;
    if (!NAME.test(this.text)) this.fail('expected an element or attribute name', at);
    const name = this.text.slice(at, NAME.lastIndex);
    // Decoded trees are plain objects keyed by these names.
    if (name === '__proto__') this.fail('the name __proto__ is refused', at);
    this.pos = NAME.lastIndex;
    return name;
  }

  /** Text or an attribute value with its references decoded. */
  private refs(s: string): string {
    if (s.indexOf('&') < 0) return s;
    if (BARE_AMPERSAND.test(s)) this.fail('"&" that starts no reference (write &amp;)');
    return decodeRefs(s);
  }

  private skipSpace(): void {
    while (isSpace(this.text.charCodeAt(this.pos))) this.pos++;
  }

  private skipPast(terminator: string, what: string): void {
    const end = this.text.indexOf(terminator, this.pos + 2);
    if (end === -1) this.fail(`unterminated ${what}`);
    this.pos = end + terminator.length;
  }
}

/** Parses one XML document; throws XmlSyntaxError saying what is wrong and on which line. */
export function readXml(text: string): XmlElement {
  return new Reader(text).read();
}
