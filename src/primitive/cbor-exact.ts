// CBOR that keeps integral floats (issue 15): cbor-x reads the float 5.0 as the
// number 5 and writes the number 5 as an integer. For the rare message with a
// whole-valued float (found by a cheap byte search) this small RFC 8949 reader
// puts a float marker there (float-lexeme.ts), and for content holding a marker
// this small writer writes a float. Same output shape as cbor-codec.ts's
// normalize(): byte strings as UTF-8 text, maps as objects, tags unwrapped.
import { PrimitiveDecodeError } from '../errors.js';
import { FLOAT_KEY, floatLexeme, isFloatLexeme, lexemeForFloat, valueOf } from './float-lexeme.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const FLOAT_KEY_CBOR = Buffer.from([0x66, ...Buffer.from(FLOAT_KEY, 'utf8')]);

function halfToNumber(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The float at `i` (after a 0xf9/0xfa/0xfb head), or undefined when the bytes end first. */
function floatAt(bytes: Uint8Array, head: number, i: number): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (head === 0xf9) return i + 2 <= bytes.length ? halfToNumber(view.getUint16(i)) : undefined;
  if (head === 0xfa) return i + 4 <= bytes.length ? view.getFloat32(i) : undefined;
  return i + 8 <= bytes.length ? view.getFloat64(i) : undefined;
}

/**
 * A float JavaScript holds as an exact integer, or -0: read as a marker so that
 * it stays a float. Beyond 2^53 a number is written as a float anyway.
 */
function wholeFloat(n: number): boolean {
  return Number.isSafeInteger(n) || Object.is(n, -0);
}

/**
 * Whether the bytes may hold a float with a whole value (or the marker's name):
 * a byte search for the float heads, each checked. A match inside a string only
 * costs the careful reader or writer; a miss is impossible. Used on input (read
 * it with decodeExact) and on cbor-x's output (write it with encodeExact: a
 * marker, or an integer beyond 32 bits that cbor-x wrote as a float).
 */
export function cborNeedsMarkers(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const head of [0xf9, 0xfa, 0xfb]) {
    for (let i = buf.indexOf(head); i >= 0; i = buf.indexOf(head, i + 1)) {
      const n = floatAt(buf, head, i + 1);
      if (n !== undefined && wholeFloat(n)) return true;
    }
  }
  return buf.indexOf(FLOAT_KEY_CBOR) >= 0;
}

class Reader {
  private i = 0;
  private readonly view: DataView;
  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  read(): unknown {
    const v = this.item();
    if (this.i !== this.b.length) this.fail('bytes after the CBOR item');
    return v;
  }

  private fail(why: string): never {
    throw new PrimitiveDecodeError(`malformed CBOR: ${why}`);
  }

  private need(n: number): void {
    if (this.i + n > this.b.length) this.fail('unexpected end of CBOR data');
  }

  private arg(info: number): number {
    if (info < 24) return info;
    const v = this.view;
    let n: number;
    if (info === 24) { this.need(1); n = this.b[this.i]; this.i += 1; }
    else if (info === 25) { this.need(2); n = v.getUint16(this.i); this.i += 2; }
    else if (info === 26) { this.need(4); n = v.getUint32(this.i); this.i += 4; }
    else if (info === 27) { this.need(8); n = v.getUint32(this.i) * 0x100000000 + v.getUint32(this.i + 4); this.i += 8; }
    else return this.fail('reserved additional information');
    return n;
  }

  private bytes(info: number): Uint8Array {
    const len = this.arg(info);
    this.need(len);
    const out = this.b.subarray(this.i, this.i + len);
    this.i += len;
    return out;
  }

  private text(major: number, info: number): string {
    if (info === 31) {
      let s = '';
      for (;;) {
        this.need(1);
        const h = this.b[this.i++];
        if (h === 0xff) return s;
        if (h >> 5 !== major) this.fail('indefinite-length string with a chunk of another type');
        s += this.decodeText(this.bytes(h & 0x1f));
      }
    }
    return this.decodeText(this.bytes(info));
  }

  private decodeText(b: Uint8Array): string {
    try {
      return utf8.decode(b);
    } catch {
      return this.fail('text is not UTF-8');
    }
  }

  private item(): unknown {
    this.need(1);
    const head = this.b[this.i++];
    const major = head >> 5;
    const info = head & 0x1f;
    switch (major) {
      case 0: {
        const n = this.arg(info);
        return Number.isSafeInteger(n) ? n : String(n);
      }
      case 1: {
        const n = -1 - this.arg(info);
        return Number.isSafeInteger(n) ? n : String(n);
      }
      case 2:
      case 3:
        return this.text(major, info); // byte strings as UTF-8 text (ref C3 "Discrepancy")
      case 4: {
        const out: unknown[] = [];
        if (info === 31) {
          while (this.peekNotBreak()) out.push(this.item());
          return out;
        }
        const n = this.arg(info);
        for (let k = 0; k < n; k++) out.push(this.item());
        return out;
      }
      case 5: {
        const out: Record<string, unknown> = {};
        const member = (): void => {
          const k = this.item();
          let key = typeof k === 'string' ? k : String(k);
          if (key === FLOAT_KEY) this.fail('map key \\u0000float is reserved');
          if (key === '__proto__') key = '__proto_'; // as cbor-codec.ts: no prototype pollution
          out[key] = this.item();
        };
        if (info === 31) {
          while (this.peekNotBreak()) member();
          return out;
        }
        const n = this.arg(info);
        for (let k = 0; k < n; k++) member();
        return out;
      }
      case 6:
        this.arg(info);
        return this.item(); // tags: the tagged value
      default: {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22 || info === 23) return null;
        if (info >= 25 && info <= 27) {
          const size = info === 25 ? 2 : info === 26 ? 4 : 8;
          this.need(size);
          const n = floatAt(this.b, head, this.i) as number;
          this.i += size;
          return wholeFloat(n) && Number.isFinite(n) ? floatLexeme(lexemeForFloat(n)) : n;
        }
        if (info < 24) return null; // unassigned simple values
        if (info === 24) return this.arg(info), null;
        return this.fail(info === 31 ? 'unexpected break' : 'reserved additional information');
      }
    }
  }

  private peekNotBreak(): boolean {
    this.need(1);
    if (this.b[this.i] === 0xff) {
      this.i++;
      return false;
    }
    return true;
  }
}

/** CBOR bytes (within the parse budget) → data with float markers; throws PrimitiveDecodeError. */
export function decodeExact(bytes: Uint8Array): unknown {
  return new Reader(bytes).read();
}

// --- writing ---------------------------------------------------------------

class Writer {
  private chunks: Buffer[] = [];

  head(major: number, n: number): void {
    const m = major << 5;
    if (n < 24) this.chunks.push(Buffer.from([m | n]));
    else if (n < 0x100) this.chunks.push(Buffer.from([m | 24, n]));
    else if (n < 0x10000) this.chunks.push(Buffer.from([m | 25, n >> 8, n & 0xff]));
    else if (n < 0x100000000) {
      const b = Buffer.alloc(5);
      b[0] = m | 26;
      b.writeUInt32BE(n, 1);
      this.chunks.push(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = m | 27;
      b.writeBigUInt64BE(BigInt(n), 1);
      this.chunks.push(b);
    }
  }

  float(n: number): void {
    const b = Buffer.alloc(9);
    b[0] = 0xfb;
    b.writeDoubleBE(n, 1);
    this.chunks.push(b);
  }

  value(v: unknown): void {
    if (v === null || v === undefined) return void this.chunks.push(Buffer.from([0xf6]));
    switch (typeof v) {
      case 'boolean':
        return void this.chunks.push(Buffer.from([v ? 0xf5 : 0xf4]));
      case 'number':
        // Integers stay integers up to 2^53 (cbor-x writes those beyond 32 bits as floats).
        if (Number.isSafeInteger(v)) return v >= 0 ? this.head(0, v) : this.head(1, -1 - v);
        return this.float(v);
      case 'string': {
        const b = Buffer.from(v, 'utf8');
        this.head(3, b.length);
        return void this.chunks.push(b);
      }
      case 'object': {
        if (Array.isArray(v)) {
          this.head(4, v.length);
          for (const item of v) this.value(item);
          return;
        }
        if (isFloatLexeme(v)) return this.float(valueOf(v));
        const obj = v as Record<string, unknown>;
        let n = 0;
        for (const key in obj) if (obj[key] !== undefined) n++;
        this.head(5, n);
        for (const key in obj) {
          if (obj[key] === undefined) continue;
          this.value(key);
          this.value(obj[key]);
        }
        return;
      }
      default:
        return void this.chunks.push(Buffer.from([0xf6]));
    }
  }

  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Data → CBOR with every float marker written as a float (RFC 8949 3.3, double precision). */
export function encodeExact(v: unknown): Buffer {
  const w = new Writer();
  w.value(v);
  return w.done();
}
