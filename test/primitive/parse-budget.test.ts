// Issue 13, the parse budget: every decoder refuses nesting deeper than 64
// levels and more than 20,000 values (XML: elements and attributes) before it
// builds the structure, with rsc 4000 and the rqi where it can be read.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PrimitiveDecodeError } from '../../src/errors.js';
import { codecFor } from '../../src/primitive/codecs.js';
import type { JsonValue } from '../../src/primitive/types.js';
import { referenceCbor } from './cbor-reference.js';

const NS = 'xmlns:m2m="http://www.onem2m.org/xml/protocols"';
const json = codecFor('json');
const xml = codecFor('xml');
const cbor = codecFor('cbor');

function refused(fn: () => unknown, rqi: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PrimitiveDecodeError, `expected PrimitiveDecodeError, got ${String(caught)}`);
  assert.equal(caught.rsc, 4000);
  assert.equal(caught.rqi, rqi);
  assert.match(caught.message, message);
}

/** A CREATE whose `con` is `inner`: the request, pc and m2m:cin are three levels around it. */
function create(rqi: string, con: JsonValue): Record<string, JsonValue> {
  return { op: 1, to: 'cse-in/ae/cnt', fr: 'Cae', rqi, rvi: '3', ty: 4, pc: { 'm2m:cin': { con } } };
}

/** `levels` arrays inside each other. */
function nested(levels: number): JsonValue {
  let v: JsonValue = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

/** `<con>` inside `<m2m:cin>` inside `<pc>` inside `<m2m:rqp>`, then `levels` more elements. */
function xmlNested(rqi: string, levels: number): string {
  return `<m2m:rqp ${NS}><op>1</op><to>cse-in/ae/cnt</to><fr>Cae</fr><rqi>${rqi}</rqi><rvi>3</rvi><ty>4</ty><pc><m2m:cin><con>${'<a>'.repeat(levels)}1${'</a>'.repeat(levels)}</con></m2m:cin></pc></m2m:rqp>`;
}

function xmlWide(rqi: string, elements: number): string {
  return `<m2m:rqp ${NS}><op>1</op><to>cse-in/ae/cnt</to><fr>Cae</fr><rqi>${rqi}</rqi><rvi>3</rvi><ty>4</ty><pc><m2m:cin>${'<lbl>a</lbl>'.repeat(elements)}</m2m:cin></pc></m2m:rqp>`;
}

describe('parse budget: nesting', () => {
  test('JSON: 64 levels decode, 65 are refused with the rqi', () => {
    assert.equal(json.decode(JSON.stringify(create('j64', nested(61)))).kind, 'request');
    refused(() => json.decode(JSON.stringify(create('j65', nested(62)))), 'j65', /deeper than 64/);
    // Brackets inside strings are text, not nesting.
    assert.equal(json.decode(JSON.stringify(create('jstr', '['.repeat(1000) + '"\\' + '{'.repeat(1000)))).kind, 'request');
  });

  test('JSON: a megabyte of brackets is refused before anything is built', () => {
    refused(() => json.decode(`{"rqi":"deep","op":1,"pc":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`), 'deep', /deeper than 64/);
  });

  test('CBOR: 64 levels decode, 65 are refused with the rqi', () => {
    assert.equal(cbor.decode(referenceCbor(create('c64', nested(61)))).kind, 'request');
    refused(() => cbor.decode(referenceCbor(create('c65', nested(62)))), 'c65', /deeper than 64/);
  });

  test('CBOR: tags and indefinite-length arrays count as levels', () => {
    // rqi first, then 70 levels of indefinite arrays (0x9f … 0xff) around 0.
    const head = referenceCbor({ rqi: 'ci', op: 1 });
    const body = Buffer.concat([Buffer.alloc(70, 0x9f), Buffer.from([0x00]), Buffer.alloc(70, 0xff)]);
    const map = Buffer.concat([Buffer.from([0xa3]), head.subarray(1), referenceCbor('pc'), body]);
    refused(() => cbor.decode(map), 'ci', /deeper than 64/);
    const tags = Buffer.concat([Buffer.from([0xa3]), head.subarray(1), referenceCbor('pc'), Buffer.alloc(70, 0xc6), Buffer.from([0x00])]);
    refused(() => cbor.decode(tags), 'ci', /deeper than 64/);
  });

  test('XML: 64 levels decode, 65 are refused with the rqi', () => {
    assert.equal(xml.decode(xmlNested('x64', 60)).kind, 'request');
    refused(() => xml.decode(xmlNested('x65', 61)), 'x65', /deeper than 64/);
  });
});

describe('parse budget: size', () => {
  test('JSON: 19,000 values decode, 21,000 are refused with the rqi', () => {
    assert.equal(json.decode(JSON.stringify(create('j19k', Array.from({ length: 19_000 }, (_, i) => i)))).kind, 'request');
    refused(() => json.decode(JSON.stringify(create('j21k', Array.from({ length: 21_000 }, (_, i) => i)))), 'j21k', /more than 20000 values/);
    // Members count as values too.
    const members = Object.fromEntries(Array.from({ length: 21_000 }, (_, i) => [`k${i}`, i]));
    refused(() => json.decode(JSON.stringify(create('jobj', members))), 'jobj', /more than 20000/);
  });

  test('CBOR: 19,000 values decode, 21,000 are refused with the rqi', () => {
    assert.equal(cbor.decode(referenceCbor(create('c19k', Array.from({ length: 19_000 }, (_, i) => i)))).kind, 'request');
    refused(() => cbor.decode(referenceCbor(create('c21k', Array.from({ length: 21_000 }, (_, i) => i)))), 'c21k', /more than 20000 values/);
    // A map entry counts once, as a JSON member does: 19,000 entries decode.
    assert.equal(cbor.decode(referenceCbor(create('cmap', Object.fromEntries(Array.from({ length: 19_000 }, (_, i) => [`k${i}`, i]))))).kind, 'request');
    // The same with indefinite lengths (0xbf … 0xff): counted as they come.
    const indefiniteMap = (entries: number) =>
      Buffer.concat([Buffer.from([0xa3]), referenceCbor({ rqi: 'cind', op: 1 }).subarray(1), referenceCbor('pc'), Buffer.from([0xbf]), ...Array.from({ length: entries }, (_, i) => Buffer.concat([referenceCbor(`k${i}`), referenceCbor(i)])), Buffer.from([0xff])]);
    assert.doesNotThrow(() => cbor.decodeContent(indefiniteMap(19_000)));
    refused(() => cbor.decode(indefiniteMap(21_000)), 'cind', /more than 20000 values/);
  });

  test('XML: 19,000 elements decode, 21,000 elements or attributes are refused with the rqi', () => {
    assert.equal(xml.decode(xmlWide('x19k', 19_000)).kind, 'request');
    refused(() => xml.decode(xmlWide('x21k', 21_000)), 'x21k', /more than 20000 elements and attributes/);
    const attrs = Array.from({ length: 21_000 }, (_, i) => `a${i}="1"`).join(' ');
    refused(() => xml.decode(`<m2m:rqp ${NS} ${attrs}><op>2</op><to>cse-in</to><fr>C</fr><rqi>xattr</rqi><rvi>3</rvi></m2m:rqp>`), 'xattr', /more than 20000/);
  });

  test('HTTP bodies (content) are held to the same budget', () => {
    assert.throws(() => json.decodeContent(Buffer.from(JSON.stringify({ 'm2m:cin': { con: nested(70) } }))), PrimitiveDecodeError);
    assert.throws(() => xml.decodeContent(Buffer.from(`<m2m:cin ${NS}>${'<lbl>a</lbl>'.repeat(21_000)}</m2m:cin>`)), PrimitiveDecodeError);
    assert.throws(() => cbor.decodeContent(referenceCbor({ 'm2m:cin': { con: nested(70) } })), PrimitiveDecodeError);
  });
});
