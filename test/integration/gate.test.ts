// DESIGN 3 / TS-0020 6.4: who may send what on which connection.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../../src/primitive/types.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';
import { registerAe } from '../support/register.js';
import { WsRegistree } from '../support/ws-registree.js';

describe('registration gate', () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ allowOriginator: ['CAdmin'] });
  });
  after(async () => {
    await run.stop();
  });

  test('an unbound connection may not send anything but a registration: 4103, nothing forwarded', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    const before = run.cse.requests.length;
    const rsp = await c.request({ op: 2, to: 'cse-in', fr: 'Cnobody', rqi: 'gate-1' });
    assert.equal(rsp.rsc, 4103);
    assert.equal(rsp.rqi, 'gate-1');
    assert.match(String(rsp.pc?.['m2m:dbg']), /TS-0020 6\.4/);
    assert.match(String(rsp.ot), /^\d{8}T\d{6},\d{6}$/, 'bridge-made answers carry ot like CSE answers');
    assert.equal(run.cse.requests.length, before);
    await c.close();
  });

  test('an originator named by --allow-originator passes without registering', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    const rsp = await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin' });
    assert.equal(rsp.rsc, 2000);
    assert.equal((rsp.pc?.['m2m:cb'] as JsonObject).csi, '/id-in');
    await c.close();
  });

  test('a bound AE sending as another originator gets 4103 and nothing is forwarded', async () => {
    const { ae } = await registerAe(run.wsUrl, 'spoofer');
    const before = run.cse.requests.length;
    const rsp = await ae.request({ op: 2, to: 'cse-in', fr: 'CAdmin' });
    assert.equal(rsp.rsc, 4103);
    assert.equal(run.cse.requests.length, before);
    await ae.close();
  });

  test('a bound AE may omit fr; the bridge sends as the bound registree', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'nofrom');
    const rsp = await ae.request({ op: 2, to: 'cse-in/nofrom' });
    assert.equal(rsp.rsc, 2000);
    assert.equal(run.cse.requests.at(-1)?.headers['x-m2m-origin'], aei);
    await ae.close();
  });

  test('a known registree rebinds a new connection by the fr of its first request', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'rebinder');
    await ae.close();
    const again = await WsRegistree.connect(run.wsUrl, 'oneM2M.cbor');
    const rsp = await again.request({ op: 2, to: 'cse-in/rebinder', fr: aei });
    assert.equal(rsp.rsc, 2000);
    assert.equal(run.bridge.registry.sessionForId(aei)?.subprotocol, 'oneM2M.cbor');
    await again.close();
  });

  test('a known registree rebinds by the X-M2M-Origin handshake header', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'handshaker');
    await ae.close();
    const again = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    const rsp = await again.request({ op: 2, to: 'cse-in/handshaker' });
    assert.equal(rsp.rsc, 2000);
    assert.ok(run.bridge.registry.sessionForId(aei) !== undefined);
    await again.close();
  });

  test('one connection per registree: a newer binding closes the older connection', async () => {
    const { ae: first, aei } = await registerAe(run.wsUrl, 'twice');
    const second = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    assert.equal((await second.request({ op: 2, to: 'cse-in/twice', fr: aei })).rsc, 2000);
    const closed = await first.closed;
    assert.equal(closed.code, 4000);
    assert.match(closed.reason, /TS-0020 5\.2/);
    await second.close();
  });

  test('deleting its own AE ends the registration; the connection is unbound again', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'leaver');
    const del = await ae.request({ op: 4, to: 'cse-in/leaver', fr: aei });
    assert.equal(del.rsc, 2002);
    assert.equal(await run.bridge.store.getRegistration(aei), undefined);
    const after = await ae.request({ op: 2, to: 'cse-in', fr: aei });
    assert.equal(after.rsc, 4103);
    await ae.close();
  });

  test('an UPDATE of its own poa is rewritten to the downlink URL with rr = true', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'mover');
    const key = run.bridge.registry.sessionForId(aei)?.registration?.key;
    const upd = await ae.request({ op: 3, to: 'cse-in/mover', fr: aei, pc: { 'm2m:ae': { poa: ['ws://somewhere'] } } });
    assert.equal(upd.rsc, 2004);
    const stored = run.cse.resources.get('cse-in/mover');
    assert.deepEqual(stored?.attributes.poa, [`${run.addresses.downlinkUrl}/r/${key}`]);
    assert.equal(stored?.attributes.rr, true);
    await ae.close();
  });

  test('poa-mode auto keeps an http poa the registree gives', async () => {
    const { ae } = await registerAe(run.wsUrl, 'reachable', { poa: ['http://device.example:9000/n'] });
    assert.deepEqual(run.cse.resources.get('cse-in/reachable')?.attributes.poa, ['http://device.example:9000/n']);
    await ae.close();
  });
});

describe('poa-mode always', () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ poaMode: 'always' });
  });
  after(async () => {
    await run.stop();
  });

  test('the downlink URL replaces every poa entry', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'always', { poa: ['http://device.example:9000/n'] });
    const key = run.bridge.registry.sessionForId(aei)?.registration?.key;
    assert.deepEqual(run.cse.resources.get('cse-in/always')?.attributes.poa, [`${run.addresses.downlinkUrl}/r/${key}`]);
    await ae.close();
    await waitUntil(() => run.bridge.registry.sessionForId(aei) === undefined, 2000, 'unbind on close');
  });
});
