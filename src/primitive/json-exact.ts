// JSON that keeps integral floats (issue 15): the careful parser and printer
// for the rare text where JSON.parse/JSON.stringify would turn `5.0` into `5`
// (float-lexeme.ts decides when). Input has passed the parse budget and the
// recursion depth is bounded by it (parse-budget.ts).
import { FLOAT_KEY, FLOAT_KEY_JSON, floatLexeme, isFloatLexeme, lexemeOf, needsMarker } from './float-lexeme.js';

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): unknown {
    const v = this.value();
    this.space();
    if (this.i !== this.s.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  private fail(why: string): never {
    throw new SyntaxError(`${why} at position ${this.i}`);
  }

  private space(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else return;
    }
  }

  private value(): unknown {
    this.space();
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === 0x22) return this.string();
    if (s.startsWith('true', this.i)) return (this.i += 4), true;
    if (s.startsWith('false', this.i)) return (this.i += 5), false;
    if (s.startsWith('null', this.i)) return (this.i += 4), null;
    return this.number();
  }

  private number(): number | ReturnType<typeof floatLexeme> {
    const re = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (m === null) this.fail('unexpected character');
    this.i = re.lastIndex;
    const lexeme = m[0];
    if ((m[1] !== undefined || m[2] !== undefined) && needsMarker(lexeme)) return floatLexeme(lexeme);
    return Number(lexeme);
  }

  private string(): string {
    const s = this.s;
    const end = this.stringEnd();
    const raw = s.slice(this.i, end + 1);
    this.i = end + 1;
    // JSON.parse of one string literal: escapes and control characters checked natively.
    return JSON.parse(raw) as string;
  }

  private stringEnd(): number {
    let q = this.i;
    for (;;) {
      q = this.s.indexOf('"', q + 1);
      if (q === -1) this.fail('unterminated string');
      let b = q - 1;
      while (this.s.charCodeAt(b) === 0x5c) b--;
      if ((q - b) % 2 === 1) return q;
    }
  }

  private array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.space();
    if (this.s.charCodeAt(this.i) === 0x5d) return this.i++, out;
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) this.fail('expected , or ]');
    }
  }

  private object(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.space();
    if (this.s.charCodeAt(this.i) === 0x7d) return this.i++, out;
    for (;;) {
      this.space();
      if (this.s.charCodeAt(this.i) !== 0x22) this.fail('expected a member name');
      const key = this.string();
      if (key === FLOAT_KEY) this.fail('member name \\u0000float is reserved');
      this.space();
      if (this.s.charCodeAt(this.i++) !== 0x3a) this.fail('expected :');
      const v = this.value();
      // As JSON.parse: an own member, also for "__proto__"; the last one of a repeated name wins.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.space();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) this.fail('expected , or }');
    }
  }
}

/** JSON text → data with float markers; throws SyntaxError on text that is not JSON. */
export function parseExact(text: string): unknown {
  return new Parser(text).parse();
}

function write(v: unknown): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(v)) {
        let s = '[';
        for (let k = 0; k < v.length; k++) s += (k ? ',' : '') + (write(v[k]) ?? 'null');
        return s + ']';
      }
      if (isFloatLexeme(v)) return lexemeOf(v);
      let s = '{';
      let first = true;
      const obj = v as Record<string, unknown>;
      for (const key in obj) {
        const w = write(obj[key]);
        if (w === undefined) continue;
        s += (first ? '' : ',') + JSON.stringify(key) + ':' + w;
        first = false;
      }
      return s + '}';
    }
    default:
      return undefined; // undefined, functions: left out as JSON.stringify does
  }
}

/**
 * Data → JSON text with every float marker written as its lexeme. JSON.stringify
 * first (native, the common case); the careful printer only when a marker is in it.
 */
export function stringifyExact(v: unknown): string {
  const fast = JSON.stringify(v);
  if (fast.indexOf(FLOAT_KEY_JSON) < 0) return fast;
  return write(v) ?? 'null';
}
