import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressesOwnResource, registrationKind, registreeFromResponse, rewritePoa, withRewrittenPoa } from '../../src/bridge/registration.js';
import type { Registration } from '../../src/store/store.js';

const DL = 'http://127.0.0.1:8181/r/k1';
const ae: Registration = { id: 'Cmyae', key: 'k1', kind: 'ae', ri: 'Cmyae', rn: 'myAE', createdAt: 0 };
const cse: Registration = { id: '/mn-cse', key: 'k2', kind: 'cse', ri: 'mn-cse', rn: 'mn-cse', createdAt: 0 };

test('only CREATE of <AE> (ty 2) and <remoteCSE> (ty 16) count as registration (TS-0020 6.4)', () => {
  assert.equal(registrationKind({ op: 1, to: 'cse-in', rqi: '1', ty: 2 }), 'ae');
  assert.equal(registrationKind({ op: 1, to: 'cse-in', rqi: '1', ty: 16 }), 'cse');
  assert.equal(registrationKind({ op: 1, to: 'cse-in', rqi: '1', ty: 3 }), undefined);
  assert.equal(registrationKind({ op: 2, to: 'cse-in', rqi: '1', ty: 2 }), undefined);
});

test('poa-mode auto keeps http(s) entries and turns ws(s), empty and absent poa into the downlink URL', () => {
  assert.deepEqual(rewritePoa(undefined, DL, 'auto'), { poa: [DL], viaBridge: true });
  assert.deepEqual(rewritePoa([], DL, 'auto'), { poa: [DL], viaBridge: true });
  assert.deepEqual(rewritePoa(['ws://default'], DL, 'auto'), { poa: [DL], viaBridge: true });
  assert.deepEqual(rewritePoa(['http://ae.example:9000/n'], DL, 'auto'), { poa: ['http://ae.example:9000/n'], viaBridge: false });
  assert.deepEqual(rewritePoa(['https://a', 'wss://b'], DL, 'auto'), { poa: ['https://a', DL], viaBridge: true });
});

test('poa-mode always makes the downlink URL the only poa', () => {
  assert.deepEqual(rewritePoa(['http://ae.example:9000/n'], DL, 'always'), { poa: [DL], viaBridge: true });
});

test('the rewritten registration carries rr = true when the bridge is in the poa, and leaves the original untouched', () => {
  for (const rr of [undefined, true]) {
    const req = { op: 1, to: 'cse-in', rqi: '1', ty: 2, pc: { 'm2m:ae': { rn: 'a', api: 'Nx', ...(rr === undefined ? {} : { rr }), poa: ['ws://default'] } } };
    const out = withRewrittenPoa(req, 'ae', DL, 'auto', false);
    assert.deepEqual(out.pc, { 'm2m:ae': { rn: 'a', api: 'Nx', rr: true, poa: [DL] } }, `rr ${String(rr)}`);
    assert.deepEqual(req.pc['m2m:ae'].poa, ['ws://default']);
  }
});

test('issue 15: an explicit rr false stands with its own poa in poa-mode auto (registration and UPDATE); always overrides it', () => {
  for (const poa of [['ws://default'], [], undefined]) {
    const req = { op: 1, to: 'cse-in', rqi: '1', ty: 2, pc: { 'm2m:ae': { rn: 'a', api: 'Nx', rr: false, ...(poa === undefined ? {} : { poa }) } } };
    assert.equal(withRewrittenPoa(req, 'ae', DL, 'auto', false), req, `poa ${JSON.stringify(poa)}`);
    assert.deepEqual(withRewrittenPoa(req, 'ae', DL, 'always', false).pc, { 'm2m:ae': { rn: 'a', api: 'Nx', rr: true, poa: [DL] } });
  }
  const update = { op: 3, to: 'cse-in/a', rqi: '1', pc: { 'm2m:ae': { rr: false, poa: ['ws://x'] } } };
  assert.equal(withRewrittenPoa(update, 'ae', DL, 'auto', true), update);
  const csr = { op: 1, to: 'cse-in', rqi: '1', ty: 16, fr: '/mn', pc: { 'm2m:csr': { csi: '/mn', rr: false, poa: ['ws://mn'] } } };
  assert.equal(withRewrittenPoa(csr, 'cse', DL, 'auto', false), csr);
});

test('an UPDATE without poa is not rewritten; one with poa is', () => {
  const noPoa = { op: 3, to: 'cse-in/a', rqi: '1', pc: { 'm2m:ae': { lbl: ['x'] } } };
  assert.equal(withRewrittenPoa(noPoa, 'ae', DL, 'auto', true), noPoa);
  const withPoa = { op: 3, to: 'cse-in/a', rqi: '1', pc: { 'm2m:ae': { poa: ['ws://x'] } } };
  assert.deepEqual(withRewrittenPoa(withPoa, 'ae', DL, 'auto', true).pc, { 'm2m:ae': { poa: [DL], rr: true } });
});

test('the registree ID comes from aei, rce (ACME unprefixed), the complete originator, or csi', () => {
  const req = { op: 1, to: 'cse-in', rqi: '1', ty: 2, fr: 'C', pc: { 'm2m:ae': { rn: 'a' } } };
  assert.equal(registreeFromResponse(req, 'ae', { rsc: 2001, rqi: '1', pc: { 'm2m:ae': { aei: 'C123', ri: 'C123', rn: 'a' } } })?.id, 'C123');
  assert.equal(registreeFromResponse(req, 'ae', { rsc: 2001, rqi: '1', pc: { 'm2m:rce': { ae: { aei: 'C456' }, uri: 'cse-in/a' } } })?.id, 'C456');
  assert.equal(registreeFromResponse(req, 'ae', { rsc: 2001, rqi: '1' }), undefined);
  assert.equal(registreeFromResponse({ ...req, fr: 'Cknown' }, 'ae', { rsc: 2001, rqi: '1' })?.id, 'Cknown');
  const csr = { op: 1, to: 'cse-in', rqi: '1', ty: 16, fr: '/mn-cse', pc: { 'm2m:csr': { csi: '/mn-cse', cb: 'mn' } } };
  assert.equal(registreeFromResponse(csr, 'cse', { rsc: 2001, rqi: '1', pc: { 'm2m:csr': { csi: '/mn-cse' } } })?.id, '/mn-cse');
});

test("the registree's own resource is recognised in every addressing form, and nothing below it", () => {
  for (const to of ['Cmyae', 'cse-in/myAE', '-/myAE', '/id-in/Cmyae', '/id-in/cse-in/myAE', '//sp.example/id-in/cse-in/myAE']) {
    assert.equal(addressesOwnResource(to, ae), true, to);
  }
  for (const to of ['cse-in/myAE/cnt', 'cse-in', 'Cother', 'cse-in/other', '/id-in/cse-in/myAE/cnt']) {
    assert.equal(addressesOwnResource(to, ae), false, to);
  }
});
