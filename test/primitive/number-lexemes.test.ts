// Issue 15, "numbers keep their type": the JSON lexemes 5, 5.0, 5.5, 1e3 and
// -0.0 in pc, through every serialization pair (WebSocket side × upstream side),
// both ways: a request's content on its way to the CSE, a response's content
// on its way back. An integer stays an integer, a float stays a float with
// its value; between JSON and XML the lexeme itself is kept. Inputs are
// written by hand (text, and CBOR bytes built here), outputs read by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codecFor, contentCodecFor } from '../../src/primitive/codecs.js';
import type { RequestPrimitive, Serialization } from '../../src/primitive/types.js';

const LEXEMES = ['5', '5.0', '5.5', '1e3', '-0.0'] as const;
const SERIALIZATIONS: readonly Serialization[] = ['json', 'xml', 'cbor'];

// --- CBOR by hand (RFC 8949) ---------------------------------------------------
function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 256) return [(major << 5) | 24, n];
  return [(major << 5) | 25, n >> 8, n & 0xff];
}
function text(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...head(3, b.length), ...b];
}
function map(entries: Array<[string, number[]]>): number[] {
  return [...head(5, entries.length), ...entries.flatMap(([k, v]) => [...text(k), ...v])];
}
/** The lexeme as CBOR: an integer for `5`, a double for anything with a fraction or exponent. */
function cborNumber(lexeme: string): number[] {
  if (!/[.eE]/.test(lexeme)) return head(0, Number(lexeme));
  const b = Buffer.alloc(9);
  b[0] = 0xfb;
  b.writeDoubleBE(Number(lexeme), 1);
  return [...b];
}

// --- inputs --------------------------------------------------------------------
function requestMessage(s: Serialization, lexeme: string): Buffer | string {
  if (s === 'json') return `{"op":3,"to":"cse-in/x","fr":"Cae","rqi":"n1","rvi":"3","pc":{"m2m:cnt":{"mni":${lexeme}}}}`;
  if (s === 'xml') return `<m2m:rqp xmlns:m2m="http://www.onem2m.org/xml/protocols"><op>3</op><to>cse-in/x</to><fr>Cae</fr><rqi>n1</rqi><pc><m2m:cnt><mni>${lexeme}</mni></m2m:cnt></pc><rvi>3</rvi></m2m:rqp>`;
  return Buffer.from(map([['op', head(0, 3)], ['to', text('cse-in/x')], ['fr', text('Cae')], ['rqi', text('n1')], ['rvi', text('3')], ['pc', map([['m2m:cnt', map([['mni', cborNumber(lexeme)]])]])]]));
}

function contentBody(s: Serialization, lexeme: string): Buffer {
  if (s === 'json') return Buffer.from(`{"m2m:cnt":{"mni":${lexeme}}}`);
  if (s === 'xml') return Buffer.from(`<m2m:cnt xmlns:m2m="http://www.onem2m.org/xml/protocols"><mni>${lexeme}</mni></m2m:cnt>`);
  return Buffer.from(map([['m2m:cnt', map([['mni', cborNumber(lexeme)]])]]));
}

// --- outputs -------------------------------------------------------------------
interface Found {
  float: boolean;
  value: number;
  /** As written, for the text serializations. */
  lexeme?: string;
}

function readMni(s: Serialization, out: Buffer | string): Found {
  if (s === 'json' || s === 'xml') {
    const t = out.toString();
    const m = s === 'json' ? /"mni":(-?[0-9.eE+-]+)[,}]/.exec(t) : /<mni>([^<]*)<\/mni>/.exec(t);
    assert.ok(m, `no mni in ${t}`);
    return { float: /[.eE]/.test(m[1]), value: Number(m[1]), lexeme: m[1] };
  }
  const b = Buffer.from(out as Buffer);
  const at = b.indexOf(Buffer.from([0x63, 0x6d, 0x6e, 0x69])) + 4; // text "mni"
  assert.ok(at >= 4, 'no mni in the CBOR');
  const h = b[at];
  if (h === 0xf9) {
    const half = b.readUInt16BE(at + 1);
    const exp = (half >> 10) & 0x1f;
    const mant = half & 0x3ff;
    const v = (half & 0x8000 ? -1 : 1) * (exp === 0 ? mant * 2 ** -24 : (1 + mant / 1024) * 2 ** (exp - 15));
    return { float: true, value: v };
  }
  if (h === 0xfa) return { float: true, value: b.readFloatBE(at + 1) };
  if (h === 0xfb) return { float: true, value: b.readDoubleBE(at + 1) };
  const major = h >> 5;
  const info = h & 0x1f;
  const n = info < 24 ? info : info === 24 ? b[at + 1] : info === 25 ? b.readUInt16BE(at + 1) : info === 26 ? b.readUInt32BE(at + 1) : Number(b.readBigUInt64BE(at + 1));
  assert.ok(major === 0 || major === 1, `mni is neither a number nor a float (head 0x${h.toString(16)})`);
  return { float: false, value: major === 0 ? n : -1 - n };
}

function check(found: Found, lexeme: string, from: Serialization, to: Serialization): void {
  const isFloat = /[.eE]/.test(lexeme);
  assert.equal(found.float, isFloat, `${lexeme} ${from}→${to}: ${isFloat ? 'float' : 'integer'} expected`);
  assert.ok(Object.is(found.value, Number(lexeme)), `${lexeme} ${from}→${to}: value ${found.value}`);
  if (from !== 'cbor' && to !== 'cbor') assert.equal(found.lexeme, lexeme, `${from}→${to} keeps the lexeme`);
}

for (const ws of SERIALIZATIONS) {
  for (const upstream of SERIALIZATIONS) {
    test(`request content ${ws} (WebSocket) → ${upstream} (CSE body): ${LEXEMES.join(', ')} keep their type`, () => {
      for (const lexeme of LEXEMES) {
        const decoded = codecFor(ws).decode(requestMessage(ws, lexeme));
        assert.equal(decoded.kind, 'request');
        const req = decoded.primitive as RequestPrimitive;
        check(readMni(upstream, contentCodecFor(upstream).encodeContent(req.pc!)), lexeme, ws, upstream);
      }
    });

    test(`response content ${upstream} (CSE body) → ${ws} (WebSocket): ${LEXEMES.join(', ')} keep their type`, () => {
      for (const lexeme of LEXEMES) {
        const pc = contentCodecFor(upstream).decodeContent(contentBody(upstream, lexeme));
        const out = codecFor(ws).encodeResponse({ rsc: 2000, rqi: 'n1', rvi: '3', pc });
        check(readMni(ws, out), lexeme, upstream, ws);
      }
    });
  }
}

test('a float where the bridge routes counts as its number: op 2.0, ty 2.0, rt.rtv 5.0 (JSON, CBOR, XML)', () => {
  const json = codecFor('json').decode('{"op":1.0,"to":"cse-in","rqi":"f1","ty":2.0,"rt":{"rtv":5.0},"pc":{"m2m:ae":{"rr":true}}}');
  assert.deepEqual(json.primitive, { op: 1, to: 'cse-in', rqi: 'f1', ty: 2, rt: { rtv: 5 }, pc: { 'm2m:ae': { rr: true } } });
  const cbor = codecFor('cbor').decode(Buffer.from(map([['op', cborNumber('1.0')], ['to', text('cse-in')], ['rqi', text('f1')], ['ty', cborNumber('2.0')]])));
  assert.deepEqual(cbor.primitive, { op: 1, to: 'cse-in', rqi: 'f1', ty: 2 });
  const xml = codecFor('xml').decode('<m2m:rqp xmlns:m2m="http://www.onem2m.org/xml/protocols"><op>1.0</op><to>cse-in</to><rqi>f1</rqi><ty>2.0</ty></m2m:rqp>');
  assert.deepEqual(xml.primitive, { op: 1, to: 'cse-in', rqi: 'f1', ty: 2 });
});

test('the marker name is refused in input (JSON, CBOR): it cannot be forged into a float', () => {
  assert.throws(() => codecFor('json').decode('{"op":2,"to":"x","rqi":"m1","pc":{"m2m:cnt":{"mni":{"\\u0000float":"5.0"}}}}'), (err: Error & { rsc?: number; rqi?: string }) => err.rsc === 4000 && err.rqi === 'm1');
  const forged = Buffer.from(map([['op', head(0, 2)], ['to', text('x')], ['rqi', text('m1')], ['pc', map([['m2m:cnt', map([['mni', map([['\u0000float', text('5.0')]])]])]])]]));
  assert.throws(() => codecFor('cbor').decode(forged), (err: Error & { rsc?: number; rqi?: string }) => err.rsc === 4000 && err.rqi === 'm1');
});

test('JSON with an integral float survives the parse budget, escapes, __proto__ and repeated names like JSON.parse', () => {
  const text = '{"op":2,"to":"x","rqi":"e1","pc":{"m2m:cnt":{"lbl":["a\\"b\\\\","\\u00e9"],"__proto__":{"x":1},"mni":5.0,"mni":7.0}}}';
  const p = codecFor('json').decode(text).primitive as RequestPrimitive;
  const cnt = p.pc!['m2m:cnt'] as Record<string, unknown>;
  assert.deepEqual(cnt.lbl, ['a"b\\', 'é']);
  assert.equal(Object.getPrototypeOf(cnt), Object.prototype);
  assert.ok(Object.hasOwn(cnt, '__proto__'));
  assert.equal(codecFor('json').encodeContent(p.pc!), '{"m2m:cnt":{"lbl":["a\\"b\\\\","é"],"__proto__":{"x":1},"mni":7.0}}');
});

test('an integer beyond 32 bits stays a CBOR integer (cbor-x alone writes it as a float)', () => {
  for (const n of [2 ** 32, 1733329200000, -(2 ** 40), Number.MAX_SAFE_INTEGER]) {
    const out = contentCodecFor('cbor').encodeContent({ 'm2m:cnt': { mni: n } });
    const found = readMni('cbor', out);
    assert.equal(found.float, false, String(n));
    assert.equal(found.value, n);
  }
});

test('withoutMarkers gives plain numbers to code that compares them (the client SDK), the same object when there is no float', async () => {
  const { withoutMarkers } = await import('../../src/primitive/float-lexeme.js');
  const p = codecFor('json').decode('{"rsc":2000,"rqi":"w1","pc":{"m2m:cnt":{"mni":5.0,"lbl":["a"],"x":[1e3,2]}}}').primitive;
  assert.deepEqual(withoutMarkers(p), { rsc: 2000, rqi: 'w1', pc: { 'm2m:cnt': { mni: 5, lbl: ['a'], x: [1000, 2] } } });
  const plain = codecFor('json').decode('{"rsc":2000,"rqi":"w2","pc":{"m2m:cnt":{"mni":5}}}').primitive;
  assert.equal(withoutMarkers(plain), plain);
});
