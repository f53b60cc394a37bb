// Content-Type of TS-0009 bodies (reference B5, gotcha 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentTypeFor, parseContentType } from '../../src/http/content-type.js';

const FORMAT: ReadonlyArray<readonly [string, number | undefined, string]> = [
  ['application/json', 2, 'application/json;ty=2'],
  ['application/json', 3, 'application/json;ty=3'],
  ['application/cbor', 4, 'application/cbor;ty=4'],
  ['application/json', 0, 'application/json;ty=0'],
  ['application/json', 10002, 'application/json;ty=10002'],
  ['application/json', undefined, 'application/json'],
  ['application/cbor', undefined, 'application/cbor'],
];
for (const [mediaType, ty, expected] of FORMAT) {
  test(`contentTypeFor(${mediaType}, ${String(ty)}) → '${expected}' (no charset, nothing but ty)`, () => {
    assert.equal(contentTypeFor(mediaType, ty), expected);
  });
}

const SERIALIZATIONS = ['json', 'cbor', 'xml'] as const;
const KINDS = ['res', 'ntfy', 'preq', 'prsp'] as const;
for (const s of SERIALIZATIONS) {
  test(`parseContentType recognises application/${s}`, () => {
    assert.deepEqual({ ...parseContentType(`application/${s}`) }, { serialization: s, mediaType: `application/${s}` });
  });
  for (const kind of KINDS) {
    const mt = `application/vnd.onem2m-${kind}+${s}`;
    test(`parseContentType recognises ${mt}`, () => {
      const r = parseContentType(mt);
      assert.equal(r.serialization, s);
      assert.equal(r.mediaType, mt);
      assert.equal(r.error, undefined);
      assert.equal(r.ty, undefined);
    });
  }
}

const PARSE: ReadonlyArray<readonly [string | undefined, { serialization: string | undefined; ty?: number; error?: boolean }]> = [
  ['application/json;ty=2', { serialization: 'json', ty: 2 }],
  ['application/json; ty=2', { serialization: 'json', ty: 2 }],
  ['application/json ; ty = 2', { serialization: 'json', ty: 2 }],
  ['application/json;  ty=23  ', { serialization: 'json', ty: 23 }],
  ['APPLICATION/JSON;TY=3', { serialization: 'json', ty: 3 }],
  ['Application/Vnd.OneM2M-Res+Json;ty=4', { serialization: 'json', ty: 4 }],
  ['application/cbor;ty=16', { serialization: 'cbor', ty: 16 }],
  ['application/xml;ty=1', { serialization: 'xml', ty: 1 }],
  ['application/vnd.onem2m-res+xml; ty=28', { serialization: 'xml', ty: 28 }],
  ['application/json;ty="5"', { serialization: 'json', ty: 5 }],
  ['application/json;charset=utf-8', { serialization: 'json' }],
  ['application/json; charset=utf-8; ty=2', { serialization: 'json', ty: 2 }],
  ['application/vnd.onem2m-ntfy+json', { serialization: 'json' }],
  ['application/json;ty=', { serialization: 'json', error: true }],
  ['application/json;ty=abc', { serialization: 'json', error: true }],
  ['application/json;ty=-1', { serialization: 'json', error: true }],
  ['application/json;ty=2.5', { serialization: 'json', error: true }],
  ['application/json;ty', { serialization: 'json', error: true }],
  ['text/plain', { serialization: undefined, error: true }],
  ['text/html; charset=utf-8', { serialization: undefined, error: true }],
  ['application/vnd.onem2m-res+yaml', { serialization: undefined, error: true }],
  ['', { serialization: undefined, error: true }],
  [undefined, { serialization: undefined, error: true }],
];
for (const [header, expected] of PARSE) {
  test(`parseContentType(${JSON.stringify(header)}) → ${expected.serialization ?? 'unknown'}${expected.ty !== undefined ? ` ty=${expected.ty}` : ''}${expected.error ? ' with error' : ''}`, () => {
    const r = parseContentType(header);
    assert.equal(r.serialization, expected.serialization);
    assert.equal(r.ty, expected.ty);
    assert.equal(r.error !== undefined, expected.error === true, r.error);
  });
}

test('parseContentType results are frozen and repeated headers give the same object', () => {
  const a = parseContentType('application/json;ty=2');
  assert.ok(Object.isFrozen(a));
  assert.equal(parseContentType('application/json;ty=2'), a);
});

test('parseContentType keeps working after its cache is full', () => {
  for (let ty = 0; ty < 500; ty++) assert.equal(parseContentType(`application/json;ty=${ty}`).ty, ty);
});
