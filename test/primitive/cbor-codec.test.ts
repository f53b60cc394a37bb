import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cborCodec } from '../../src/primitive/cbor-codec.js';
import type { RequestPrimitive } from '../../src/primitive/types.js';
import { referenceCbor } from './cbor-reference.js';

const text = (s: string): Buffer => referenceCbor(s);
const bytes_ = (s: string): Buffer => referenceCbor(s, true);

const request = {
  op: 5,
  to: 'Cmyae',
  fr: '/id-in',
  rqi: '4711',
  pc: { 'm2m:sgn': { nev: { net: 3, rep: { 'm2m:cin': { rn: 'cin_1', ty: 4, con: 'ä21', lbl: ['a', 'b'] } } }, sur: '/id-in/sub1' } },
  rvi: '3',
};

describe('CBOR with byte strings (TS-0004 8.5.2 examples, ref C3 "Discrepancy")', () => {
  test('byte-string keys and values, nested, decode as UTF-8 text', () => {
    const bytes = referenceCbor(request, true);
    assert.equal(bytes[0], 0xa6); // map of 6
    assert.equal(bytes[1], 0x42); // first key is a byte string "op"
    assert.deepEqual(cborCodec.decode(bytes), { kind: 'request', primitive: request });
  });

  test('text keys with byte-string values decode as UTF-8 text (objects fast path)', () => {
    // {"op":2,"to":h'cse1',"rqi":h'r12',"pc":{"m2m:atrl":[h'lbl']}}
    const bytes = Buffer.concat([
      Buffer.from([0xa4]), text('op'), Buffer.from([0x02]), text('to'), bytes_('cse1'), text('rqi'), bytes_('r12'),
      text('pc'), Buffer.from([0xa1]), text('m2m:atrl'), Buffer.from([0x81]), bytes_('lbl'),
    ]);
    assert.deepEqual(cborCodec.decode(bytes), {
      kind: 'request',
      primitive: { op: 2, to: 'cse1', rqi: 'r12', pc: { 'm2m:atrl': ['lbl'] } },
    });
  });

  test('byte strings that are not UTF-8 are a decode error', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xa3]), text('op'), Buffer.from([0x02]), text('to'), Buffer.from([0x42, 0xff, 0xfe]), text('rqi'), text('q'),
    ]);
    assert.throws(() => cborCodec.decode(bytes), { name: 'PrimitiveDecodeError', rsc: 4000 });
  });

  test('the CBOR spec example shape {h"op":1,...} with integers and booleans', () => {
    const p = { op: 1, to: 'cse-in', fr: 'C', rqi: 'r', ty: 2, pc: { 'm2m:ae': { rr: true, api: 'N', srv: ['3'] } }, rvi: '3' };
    assert.deepEqual(cborCodec.decode(referenceCbor(p, true)).primitive, p);
  });
});

describe('CBOR encoding', () => {
  test('uses text-string keys and plain major types only', () => {
    const out = cborCodec.encodeRequest(request as RequestPrimitive);
    assert.ok(Buffer.isBuffer(out));
    assert.equal(out.toString('hex'), referenceCbor(request).toString('hex'));
  });

  test('floats, negative integers and null survive', () => {
    const rsp = { rsc: 2000, rqi: 'q', pc: { 'm2m:cin': { con: 21.5, st: 0, x: -7, lbl: null } } };
    const out = cborCodec.encodeResponse(rsp);
    assert.deepEqual(cborCodec.decode(out), { kind: 'response', primitive: rsp });
  });

  test('undefined members are skipped, like JSON (the caller object is not changed)', () => {
    const req = { op: 2, to: 't', rqi: 'q', fr: undefined, pc: { 'm2m:cnt': { a: undefined, b: 1 } } } as unknown as RequestPrimitive;
    const out = cborCodec.encodeRequest(req);
    assert.equal(out.toString('hex'), referenceCbor({ op: 2, to: 't', rqi: 'q', pc: { 'm2m:cnt': { b: 1 } } }).toString('hex'));
    assert.ok('fr' in req);
  });

  test('content codec: media type, binary, one map', () => {
    assert.equal(cborCodec.mediaType, 'application/cbor');
    assert.equal(cborCodec.binary, true);
    const pc = { 'm2m:cnt': { rn: 'c1', mni: 10 } };
    assert.deepEqual(cborCodec.decodeContent(cborCodec.encodeContent(pc) as Buffer), pc);
    assert.deepEqual(cborCodec.decodeContent(referenceCbor(pc, true)), pc);
    assert.throws(() => cborCodec.decodeContent(referenceCbor(['x'])), { name: 'PrimitiveDecodeError' });
  });

  test('a __proto__ key in a byte-string map cannot reach the prototype', () => {
    const bytes = referenceCbor({ op: 2, to: 't', rqi: 'q', pc: { __proto__x: 1 } }, true);
    const patched = Buffer.from(bytes.toString('hex').replace(Buffer.from('__proto__x').toString('hex'), Buffer.from('__proto__\0').toString('hex')), 'hex');
    const p = cborCodec.decode(patched).primitive as RequestPrimitive;
    assert.equal(Object.getPrototypeOf(p.pc), Object.prototype);
  });
});
