// TS-0001 7.2 / ref A11: every ID form of one entity has one canonical form;
// IDs of other CSEs and other SPs never fold into ours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalId, idMatches, isAeIdForm, isCseIdForm, parentCseId } from '../../src/bridge/canonical-id.js';

const self = { cseId: '/id-in', spId: 'sp.example.com' };

const sameEntity: Array<[string, string[], string]> = [
  ['CSE-assigned AE-ID of the upstream CSE', ['Cabc', '/id-in/Cabc', '//sp.example.com/id-in/Cabc', '//SP.Example.COM/id-in/Cabc'], 'Cabc'],
  ['SP-assigned AE-ID', ['Sabc', '/Sabc', '//sp.example.com/Sabc'], '/Sabc'],
  ['a CSE-ID in the same SP', ['/id-mn', 'id-mn', '//sp.example.com/id-mn'], '/id-mn'],
  ['the upstream CSE itself', ['/id-in', 'id-in', '//sp.example.com/id-in'], '/id-in'],
  ['an AE-ID under another CSE of the same SP', ['/id-mn/Cabc', '//sp.example.com/id-mn/Cabc'], '/id-mn/Cabc'],
  ['an AE-ID in another SP', ['//other.example/id-in/Cabc', '//OTHER.example/id-in/Cabc'], '//other.example/id-in/Cabc'],
  ['a CSE-ID in another SP', ['//other.example/id-in'], '//other.example/id-in'],
];

for (const [what, forms, canonical] of sameEntity) {
  test(`canonical form: ${what} → ${canonical}`, () => {
    for (const form of forms) assert.equal(canonicalId(form, self), canonical, form);
  });
}

const differentEntities: Array<[string, string, string]> = [
  ['same last segment under another CSE', 'Calice', '/x/Calice'],
  ['same last segment under the upstream vs another CSE', '/id-in/Calice', '/id-mn/Calice'],
  ['same SP-relative ID in another SP', '/id-in/Calice', '//other.example/id-in/Calice'],
  ['a remoteCSE path ending in an AE-ID', 'Calice', '/Calice/x/Calice'],
  ['a CSE-ID vs an AE under it', '/id-mn', '/id-mn/Cabc'],
  ['another SP with our SP-ID as a prefix', '//sp.example.com/id-in/Cabc', '//sp.example.com.evil/id-in/Cabc'],
  ['case matters outside the FQDN', 'Cabc', 'CABC'],
];

for (const [what, a, b] of differentEntities) {
  test(`different entities stay different: ${what}`, () => {
    assert.notEqual(canonicalId(a, self), canonicalId(b, self));
  });
}

test('without the CSE-ID and SP-ID the longer forms are not folded (fail closed)', () => {
  assert.equal(canonicalId('/id-in/Cabc', {}), '/id-in/Cabc');
  assert.notEqual(canonicalId('/id-in/Cabc', {}), canonicalId('Cabc', {}));
  assert.equal(canonicalId('//sp.example.com/id-in/Cabc', { cseId: '/id-in' }), '//sp.example.com/id-in/Cabc');
  assert.equal(canonicalId('Cabc', {}), 'Cabc');
  assert.equal(canonicalId('', self), '');
});

test('the parent CSE-ID of an ID under another CSE; none for the upstream own IDs', () => {
  assert.equal(parentCseId(canonicalId('/id-mn/Cabc', self)), '/id-mn');
  assert.equal(parentCseId(canonicalId('//other.example/id-mn/Cabc', self)), '//other.example/id-mn');
  assert.equal(parentCseId(canonicalId('/id-in/Cabc', self)), undefined);
  assert.equal(parentCseId(canonicalId('Sabc', self)), undefined);
  assert.equal(parentCseId(canonicalId('/id-mn', self)), undefined);
});

test('ID shapes: CSE-IDs and AE-IDs', () => {
  for (const id of ['/id-mn', '//other.example/id-mn']) assert.equal(isCseIdForm(id), true, id);
  for (const id of ['Cabc', '/id-mn/Cabc', '//o.example/id-mn/Cabc', '']) assert.equal(isCseIdForm(id), false, id);
  for (const id of ['Cabc', '/Sabc', '/id-mn/Cabc', '//o.example/id-mn/Cabc']) assert.equal(isAeIdForm(id), true, id);
  for (const id of ['/id-mn', 'cse-in/x', '/id-mn/cnt1']) assert.equal(isAeIdForm(id), false, id);
});

test('allow-list entries: exact IDs in any form, and trailing-* prefixes in canonical form', () => {
  assert.equal(idMatches('CAdmin', '/id-in/CAdmin', self), true);
  assert.equal(idMatches('/id-in/CAdmin', 'CAdmin', self), true);
  assert.equal(idMatches('CAdmin', '/x/CAdmin', self), false);
  assert.equal(idMatches('Ctest*', 'Ctest42', self), true);
  assert.equal(idMatches('Ctest*', '/id-in/Ctest42', self), true);
  assert.equal(idMatches('Ctest*', '/x/Ctest42', self), false);
  assert.equal(idMatches('/id-mn/*', '/id-mn/Cdev', self), true);
  assert.equal(idMatches('/id-mn/*', '/id-mn2/Cdev', self), false);
  assert.equal(idMatches('*', 'anything', self), true);
});
