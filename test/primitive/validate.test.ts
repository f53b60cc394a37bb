import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PrimitiveDecodeError } from '../../src/errors.js';
import { readRqi, toPrimitive } from '../../src/primitive/validate.js';

const base = { op: 2, to: 'cse-in/myAE', fr: 'Cmyae', rqi: 'r1', rvi: '3' };

function fails(tree: unknown, member: string, rqi: string | undefined): void {
  assert.throws(
    () => toPrimitive(tree),
    (err: unknown) =>
      err instanceof PrimitiveDecodeError && err.rsc === 4000 && err.rqi === rqi && err.message.includes(`"${member}"`),
  );
}

describe('toPrimitive: requests', () => {
  test('op present → request; the valid input values are reused, not copied', () => {
    const pc = { 'm2m:cnt': { rn: 'c' } };
    const fc = { fu: 1, ty: [3] };
    const p = toPrimitive({ ...base, op: 1, ty: 3, pc, fc });
    assert.equal(p.kind, 'request');
    assert.equal(p.primitive.pc, pc);
    assert.equal((p.primitive as { fc?: unknown }).fc, fc);
  });

  test('rvi given as a number is accepted as its string', () => {
    const p = toPrimitive({ ...base, rvi: 3 });
    assert.equal(p.primitive.rvi, '3');
  });

  test('unknown members are dropped, null optional members count as absent', () => {
    const p = toPrimitive({ ...base, foo: 1, 'm2m:x': {}, rcn: null });
    assert.deepEqual(p.primitive, base);
  });

  test('parameters come out in TS-0004 order', () => {
    const p = toPrimitive({ rvi: '3', rqi: 'q', to: 't', op: 4, fr: 'C' });
    assert.deepEqual(Object.keys(p.primitive), ['op', 'to', 'fr', 'rqi', 'rvi']);
  });

  test('an empty fr is allowed (AE registration, ref A11)', () => {
    assert.equal(toPrimitive({ ...base, op: 1, ty: 2, fr: '', pc: { 'm2m:ae': {} } }).primitive.fr, '');
  });

  test('op must be an integer 1..5', () => {
    for (const op of [0, 6, 9, 1.5, '1', true]) fails({ ...base, op }, 'op', 'r1');
  });

  test('to and rqi must be non-empty strings', () => {
    fails({ ...base, to: '' }, 'to', 'r1');
    fails({ op: 2, rqi: 'r1' }, 'to', 'r1');
    fails({ ...base, rqi: '' }, 'rqi', undefined);
    fails({ ...base, rqi: 7 }, 'rqi', undefined);
  });

  test('typed members are checked and named in the error', () => {
    fails({ ...base, ty: '3' }, 'ty', 'r1');
    fails({ ...base, pc: [] }, 'pc', 'r1');
    fails({ ...base, pc: 'x' }, 'pc', 'r1');
    fails({ ...base, rids: 'a' }, 'rids', 'r1');
    fails({ ...base, tkns: ['a', 1] }, 'tkns', 'r1');
    fails({ ...base, da: 'yes' }, 'da', 'r1');
    fails({ ...base, da: 1 }, 'da', 'r1');
    fails({ ...base, fc: [] }, 'fc', 'r1');
    fails({ ...base, rcn: 'one' }, 'rcn', 'r1');
    fails({ ...base, rcn: true }, 'rcn', 'r1');
    fails({ ...base, sqi: {} }, 'sqi', 'r1');
    fails({ ...base, rvi: true }, 'rvi', 'r1');
    fails({ ...base, rqet: {} }, 'rqet', 'r1');
  });

  test('issue 15: a passed-on parameter in the wrong JSON type with one text form is carried as written', () => {
    for (const [name, value] of [['sqi', 'true'], ['da', 'FALSE'], ['tqi', '1'], ['asi', '0'], ['auri', 'true'], ['rcn', '3'], ['drt', '2'], ['ec', '4'], ['rcn', '3.0']] as const) {
      assert.deepEqual(toPrimitive({ ...base, [name]: value }).primitive, { ...base, [name]: value }, name);
    }
  });

  test('issue 15: what the bridge routes by stays strict (ty, op, rt.rtv), a whole float there counts as its integer', () => {
    fails({ ...base, op: '2' }, 'op', 'r1');
    fails({ ...base, op: 1.5 }, 'op', 'r1');
    fails({ ...base, ty: 2.5 }, 'ty', 'r1');
    fails({ ...base, rt: { rtv: '5' } }, 'rt.rtv', 'r1');
    const marker = { '\u0000float': '2.0' };
    assert.deepEqual(toPrimitive({ ...base, op: marker, ty: marker, rt: { rtv: { '\u0000float': '5.0' } } }).primitive, { ...base, op: 2, ty: 2, rt: { rtv: 5 } });
  });

  test('rt needs an integer rtv and string nu', () => {
    assert.deepEqual(toPrimitive({ ...base, rt: { rtv: 2, nu: ['C'] } }).primitive, { ...base, rt: { rtv: 2, nu: ['C'] } });
    fails({ ...base, rt: { nu: [] } }, 'rt.rtv', 'r1');
    fails({ ...base, rt: { rtv: 2, nu: 'C' } }, 'rt.nu', 'r1');
    fails({ ...base, rt: 3 }, 'rt', 'r1');
  });

  test('absRelTimestamps may be strings or numbers (ref E1)', () => {
    const p = toPrimitive({ ...base, rqet: 3600000, rset: '20300101T000000' });
    assert.deepEqual(p.primitive, { ...base, rqet: 3600000, rset: '20300101T000000' });
  });
});

describe('toPrimitive: responses', () => {
  test('rsc present → response; unknown members (ACME leftovers drt, rcn, ty) are ignored', () => {
    const p = toPrimitive({ rsc: 2000, rqi: 'r1', rvi: '3', drt: 1, rcn: 1, ty: 3, fc: {}, pc: { 'm2m:uri': 'x' } });
    assert.deepEqual(p, { kind: 'response', primitive: { rsc: 2000, rqi: 'r1', pc: { 'm2m:uri': 'x' }, rvi: '3' } });
  });

  test('rsc wins over a leftover op (ref A2 notes)', () => {
    assert.equal(toPrimitive({ rsc: 4004, op: 2, rqi: 'r1' }).kind, 'response');
  });

  test('rsc must be an integer, rqi a string', () => {
    fails({ rsc: '2000', rqi: 'r1' }, 'rsc', 'r1');
    fails({ rsc: 2000 }, 'rqi', undefined);
    fails({ rsc: 2000, rqi: 'r1', cnst: 'two' }, 'cnst', 'r1'); // '2' is carried (issue 15)
    fails({ rsc: 2000, rqi: 'r1', ati: {} }, 'ati', 'r1');
  });
});

describe('toPrimitive: not a primitive', () => {
  test('non-objects and objects without op/rsc are refused', () => {
    for (const tree of [null, 1, 'x', [], [{ op: 1 }]]) {
      assert.throws(() => toPrimitive(tree), PrimitiveDecodeError);
    }
    assert.throws(() => toPrimitive({ rqi: 'q' }), (e: unknown) => e instanceof PrimitiveDecodeError && e.rqi === 'q');
  });
});

describe('readRqi', () => {
  test('returns a readable string rqi only', () => {
    assert.equal(readRqi({ rqi: 'a' }), 'a');
    assert.equal(readRqi({ rqi: 1 }), undefined);
    assert.equal(readRqi({ rqi: '' }), undefined);
    assert.equal(readRqi([]), undefined);
    assert.equal(readRqi(null), undefined);
  });
});
