import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { codecFor, contentCodecFor } from '../../src/primitive/codecs.js';
import { jsonCodec } from '../../src/primitive/json-codec.js';
import type { RequestPrimitive } from '../../src/primitive/types.js';

describe('JSON codec (ref C1)', () => {
  test('decodes text and Buffer alike, tolerates a UTF-8 BOM', () => {
    const text = '{"op":2,"to":"cse-in","rqi":"r","rvi":"3"}';
    const expected = { kind: 'request', primitive: { op: 2, to: 'cse-in', rqi: 'r', rvi: '3' } };
    assert.deepEqual(jsonCodec.decode(text), expected);
    assert.deepEqual(jsonCodec.decode(Buffer.from(text)), expected);
    assert.deepEqual(jsonCodec.decode('\uFEFF' + text), expected);
  });

  test('encodes flat, without m2m:rqp wrapper, skipping undefined', () => {
    const req = { op: 2, to: 'cse-in', rqi: 'r', fr: undefined, rvi: '3' } as unknown as RequestPrimitive;
    assert.equal(jsonCodec.encodeRequest(req), '{"op":2,"to":"cse-in","rqi":"r","rvi":"3"}');
    assert.equal(jsonCodec.encodeResponse({ rsc: 2000, rqi: 'r' }), '{"rsc":2000,"rqi":"r"}');
  });

  test('content codec: pc only, application/json, text frames', () => {
    const pc = { 'm2m:cnt': { rn: 'c1', lbl: null } };
    assert.equal(jsonCodec.encodeContent(pc), '{"m2m:cnt":{"rn":"c1","lbl":null}}');
    assert.deepEqual(jsonCodec.decodeContent(Buffer.from('{"m2m:cnt":{"rn":"c1","lbl":null}}')), pc);
    assert.equal(jsonCodec.mediaType, 'application/json');
    assert.equal(jsonCodec.binary, false);
  });
});

describe('codecFor / contentCodecFor', () => {
  test('return one singleton per serialization with matching media type and framing', () => {
    const expected = { json: ['application/json', false], xml: ['application/xml', false], cbor: ['application/cbor', true] } as const;
    for (const s of ['json', 'xml', 'cbor'] as const) {
      const c = codecFor(s);
      assert.equal(c, codecFor(s));
      assert.equal(contentCodecFor(s), c);
      assert.equal(c.serialization, s);
      assert.equal(c.mediaType, expected[s][0]);
      assert.equal(c.binary, expected[s][1]);
    }
  });
});
