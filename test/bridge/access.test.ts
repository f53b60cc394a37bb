import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowedByCertificate, certificateNames, credentialsMatch, originatorAllowed } from '../../src/bridge/access.js';
import { parseCredentials, parseIdentityMap } from '../../src/config/access-files.js';

test('an identity map reads CN=, DNS:, URI: keys and reports every bad entry with the file name', () => {
  const good = parseIdentityMap('"CN=device-a": [Cdevice-a]\n"URI:urn:x": ["/mn-cse", "Cgw-*"]\n', 'map.yaml');
  assert.deepEqual(good.problems, []);
  assert.deepEqual(good.map.get('URI:urn:x'), ['/mn-cse', 'Cgw-*']);
  const bad = parseIdentityMap('"device-a": [C1]\n"CN=x": []\n"CN=y": 3\n', 'map.yaml');
  assert.equal(bad.problems.length, 3);
  assert.ok(bad.problems.every((p) => p.startsWith('map.yaml: ')));
  assert.deepEqual(parseIdentityMap('[1, 2]', 'm.json').problems, ['m.json must hold a map']);
});

test('certificate names come from the subject CN and every SAN entry', () => {
  const names = certificateNames({ subject: { CN: 'device-a' } as never, subjectaltname: 'URI:urn:onem2m:ae:Cdevice-a, DNS:dev.example' });
  assert.deepEqual(names, ['CN=device-a', 'URI:urn:onem2m:ae:Cdevice-a', 'DNS:dev.example']);
  const map = new Map([['URI:urn:onem2m:ae:Cdevice-a', ['Cdevice-a']], ['CN=other', ['Cx']]]);
  assert.deepEqual(allowedByCertificate(map, names), ['Cdevice-a']);
  assert.deepEqual(allowedByCertificate(map, ['CN=nobody']), []);
});

const self = { cseId: '/id-in', spId: 'sp.example' };

test('allowed originators match as IDs (canonical form), by prefix with *, and never by their last segment', () => {
  assert.equal(originatorAllowed(['Cdevice-a'], 'Cdevice-a', self), true);
  assert.equal(originatorAllowed(['Cdevice-a'], '/id-in/Cdevice-a', self), true);
  assert.equal(originatorAllowed(['Cdevice-a'], '//sp.example/id-in/Cdevice-a', self), true);
  assert.equal(originatorAllowed(['Cdevice-a'], '/x/Cdevice-a', self), false);
  assert.equal(originatorAllowed(['Cdevice-a'], '//other.example/id-in/Cdevice-a', self), false);
  assert.equal(originatorAllowed(['Cdevice-a'], 'Cdevice-ab', self), false);
  assert.equal(originatorAllowed(['Cgw-*'], 'Cgw-17', self), true);
  assert.equal(originatorAllowed(['Cgw-*'], '/id-in/Cgw-17', self), true);
  assert.equal(originatorAllowed(['Cgw-*'], '/mal/Cgw-17', self), false);
  assert.equal(originatorAllowed(['Cgw-*'], 'Cother', self), false);
  assert.equal(originatorAllowed(['/mn-cse'], '/mn-cse', self), true);
  assert.equal(originatorAllowed(['/mn-cse'], 'mn-cse', self), true);
  assert.equal(originatorAllowed(['/mn-cse'], '/mn-cse/Cdevice', self), false);
  assert.equal(originatorAllowed([], 'C1', self), false);
});

test('handshake credentials: Basic and Bearer per originator, nothing else passes', () => {
  const { credentials, problems } = parseCredentials('Cbasic: {basic: "user:pw"}\nCbearer: {bearer: tok}\n', 'c.yaml');
  assert.deepEqual(problems, []);
  const basic = 'Basic ' + Buffer.from('user:pw').toString('base64');
  assert.equal(credentialsMatch(credentials, 'Cbasic', basic, self), true);
  assert.equal(credentialsMatch(credentials, 'Cbasic', 'Basic ' + Buffer.from('user:no').toString('base64'), self), false);
  assert.equal(credentialsMatch(credentials, 'Cbearer', 'Bearer tok', self), true);
  assert.equal(credentialsMatch(credentials, 'Cbearer', 'Bearer tok2', self), false);
  assert.equal(credentialsMatch(credentials, 'Cbearer', basic, self), false);
  assert.equal(credentialsMatch(credentials, 'Cnobody', 'Bearer tok', self), false);
  assert.equal(credentialsMatch(credentials, undefined, 'Bearer tok', self), false);
  assert.equal(credentialsMatch(credentials, 'Cbearer', undefined, self), false);
  // The credential of an ID is found in any of its forms, and only there.
  assert.equal(credentialsMatch(credentials, '/id-in/Cbearer', 'Bearer tok', self), true);
  assert.equal(credentialsMatch(credentials, '/x/Cbearer', 'Bearer tok', self), false);
  assert.equal(parseCredentials('Cx: {basic: nocolon}\nCy: {}\n', 'c.yaml').problems.length, 2);
});
