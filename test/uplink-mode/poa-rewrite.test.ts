// poa across the uplink: the CSE's HTTP addresses stay behind the bridge
// (replaced by a ws:// entry meaning "over this connection"), the registrar's
// WebSocket address becomes the uplink door.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentForRegistrar, contentForUpstream } from '../../src/uplink-mode/poa-rewrite.js';

const DOOR = 'http://127.0.0.1:8182';

test('toward the registrar, http(s) poa entries of <CSEBase> and <remoteCSE> become --uplink-poa once, where the first stood', () => {
  assert.deepEqual(contentForRegistrar({ 'm2m:csr': { csi: '/id-mn', poa: ['http://10.0.0.5:8080', 'mqtt://b:1883', 'HTTPS://x'] } }, 'ws://default'), { 'm2m:csr': { csi: '/id-mn', poa: ['ws://default', 'mqtt://b:1883'] } });
  assert.deepEqual(contentForRegistrar({ 'm2m:cb': { csi: '/id-mn', poa: ['http://10.0.0.5:8080'] } }, 'ws://default'), { 'm2m:cb': { csi: '/id-mn', poa: ['ws://default'] } });
  assert.deepEqual(contentForRegistrar({ 'm2m:csr': { poa: ['ws://default', 'http://a'] } }, 'ws://default'), { 'm2m:csr': { poa: ['ws://default'] } }, 'not twice');
});

test('with an empty --uplink-poa, http(s) poa entries toward the registrar are left out', () => {
  assert.deepEqual(contentForRegistrar({ 'm2m:csr': { csi: '/id-mn', poa: ['http://10.0.0.5:8080', 'mqtt://b:1883', 'HTTPS://x'] } }), { 'm2m:csr': { csi: '/id-mn', poa: ['mqtt://b:1883'] } });
  assert.deepEqual(contentForRegistrar({ 'm2m:cb': { csi: '/id-mn', poa: ['http://10.0.0.5:8080'] } }), { 'm2m:cb': { csi: '/id-mn' } }, 'an emptied list is left out whole');
});

test('toward the upstream CSE, the ws(s):// poa entries become the uplink door once, where the first stood', () => {
  assert.deepEqual(contentForUpstream({ 'm2m:cb': { poa: ['ws://in:8180', 'http://in:8080', 'wss://in:443'] } }, DOOR), { 'm2m:cb': { poa: [DOOR, 'http://in:8080'] } });
  assert.deepEqual(contentForUpstream({ 'm2m:csr': { poa: ['http://in:8080'] } }, DOOR), { 'm2m:csr': { poa: ['http://in:8080'] } });
});

test('other content, and content without a poa list, passes unchanged and is not modified in place', () => {
  const ae = { 'm2m:ae': { poa: ['http://device:1', 'ws://x'] } };
  assert.equal(contentForRegistrar(ae), ae);
  assert.equal(contentForUpstream(ae, DOOR), ae);
  const cb = { 'm2m:cb': { csi: '/id-in', poa: 'ws://not-a-list' } };
  assert.equal(contentForUpstream(cb, DOOR), cb);
  const original = { 'm2m:csr': { poa: ['ws://in'] } };
  contentForUpstream(original, DOOR);
  assert.deepEqual(original, { 'm2m:csr': { poa: ['ws://in'] } });
});
