// TS-0020 Annex A over a real bridge and a real HTTP CSE, in every serialization.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../../src/primitive/types.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';
import { WsRegistree } from '../support/ws-registree.js';

for (const subprotocol of ['oneM2M.json', 'oneM2M.xml', 'oneM2M.cbor']) {
  describe(`Annex A flow over ${subprotocol}`, () => {
    let run: Running;
    before(async () => {
      run = await startBridge();
    });
    after(async () => {
      await run.stop();
    });

    test('AE registration and container creation reach the CSE over HTTP and are answered', async () => {
      const ae = await WsRegistree.connect(run.wsUrl, subprotocol);
      // Annex A step 4 (with the Rel-3 mandatory rvi, srv and rr the CSE requires).
      const reg = await ae.request({
        op: 1,
        to: 'cse-in',
        fr: 'C',
        rqi: 'A1000',
        ty: 2,
        pc: { 'm2m:ae': { rn: 'SmartHomeApplication', api: 'Na56', apn: 'app1234', srv: ['3'] } }, // no rr, as in Annex A: the bridge adds rr true (an explicit rr false would stand, issue 15)
      });
      assert.equal(reg.rsc, 2001);
      assert.equal(reg.rqi, 'A1000');
      const created = reg.pc?.['m2m:ae'] as JsonObject;
      const aei = created.aei as string;
      assert.match(aei, /^C/);
      assert.equal(created.rn, 'SmartHomeApplication');

      // What reached the CSE is a TS-0009 CREATE with the poa pointing at the downlink door.
      const http = run.cse.requests.find((r) => r.headers['x-m2m-ri'] === 'A1000');
      assert.ok(http);
      assert.equal(http.method, 'POST');
      assert.equal(http.path, '/cse-in');
      assert.equal(http.headers['content-type'], 'application/json;ty=2');
      assert.equal(http.headers['accept'], 'application/json');
      assert.equal(http.headers['x-m2m-origin'], 'C');
      assert.equal(http.headers['x-m2m-rvi'], '3');
      const sent = JSON.parse(http.body.toString()) as { 'm2m:ae': JsonObject };
      assert.equal(sent['m2m:ae'].rr, true);
      assert.deepEqual(sent['m2m:ae'].poa, [`${run.addresses.downlinkUrl}/r/${run.bridge.registry.sessionForId(aei)?.registration?.key}`]);

      // Annex A step 7: a container under the new AE.
      const cnt = await ae.request({
        op: 1,
        to: 'cse-in/SmartHomeApplication',
        fr: aei,
        rqi: 'A1001',
        ty: 3,
        pc: { 'm2m:cnt': { rn: 'SmartHomeContainer', mbs: 100000, mni: 500 } },
      });
      assert.equal(cnt.rsc, 2001);
      const c = cnt.pc?.['m2m:cnt'] as JsonObject;
      assert.equal(c.rn, 'SmartHomeContainer');
      assert.equal(c.mni, 500);
      assert.equal(c.cni, 0);

      // And read back in the same serialization.
      const got = await ae.request({ op: 2, to: 'cse-in/SmartHomeApplication/SmartHomeContainer', fr: aei });
      assert.equal(got.rsc, 2000);
      assert.equal((got.pc?.['m2m:cnt'] as JsonObject).mbs, 100000);

      // TS-0020 6.2.2.9: CBOR in binary frames, JSON and XML in text frames.
      assert.ok(ae.frames.length >= 3);
      assert.ok(ae.frames.every((f) => f.binary === (subprotocol === 'oneM2M.cbor')));
      await ae.close();
    });

    test('the CSE can notify the connected registree: verification, then a notification per new instance', async () => {
      const ae = await WsRegistree.connect(run.wsUrl, subprotocol);
      const reg = await ae.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'notified', api: 'Nn', rr: true, srv: ['3'], poa: ['ws://default'] } } });
      assert.equal(reg.rsc, 2001);
      const aei = (reg.pc?.['m2m:ae'] as JsonObject).aei as string;
      assert.equal((await ae.request({ op: 1, to: 'cse-in/notified', fr: aei, ty: 3, pc: { 'm2m:cnt': { rn: 'data' } } })).rsc, 2001);
      // nu names another receiver so the CSE must verify it (ACME skips nu == originator).
      const sub = await ae.request({ op: 1, to: 'cse-in/notified/data', fr: aei, ty: 23, pc: { 'm2m:sub': { rn: 'sub', nu: [`/id-in/${aei}`], enc: { net: [3] } } } });
      assert.ok(sub.rsc === 2001, JSON.stringify(sub));

      await run.cse.createContentInstance('cse-in/notified/data', 'v1');
      await run.cse.createContentInstance('cse-in/notified/data', 'v2');
      const events = () => ae.received.filter((n) => n.op === 5 && (n.pc?.['m2m:sgn'] as JsonObject | undefined)?.nev !== undefined);
      await waitUntil(() => events().length >= 2, 5000, 'two notifications');
      const withEvent = events();
      assert.equal(withEvent.length, 2);
      for (const n of withEvent) {
        assert.equal(n.fr, '/id-in');
        assert.equal(typeof n.rqi, 'string');
      }
      const cons = withEvent.map((n) => (((n.pc?.['m2m:sgn'] as JsonObject).nev as JsonObject).rep as JsonObject)['m2m:cin'] as JsonObject).map((c) => c.con);
      assert.deepEqual(cons, ['v1', 'v2']);
      // The CSE saw valid answers: same X-M2M-RI it sent, rsc 2000.
      await waitUntil(() => run.cse.notifications.filter((o) => o.rsc !== undefined).length >= 2, 5000, 'notification outcomes');
      const outcomes = run.cse.notifications.slice(-2);
      for (const o of outcomes) {
        assert.equal(o.rsc, 2000, JSON.stringify(o));
        assert.equal(o.accepted, true, JSON.stringify(o));
      }
      await ae.close();
    });
  });
}

describe('Annex A flow with --upstream-format cbor', () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ upstreamFormat: 'cbor' });
  });
  after(async () => {
    await run.stop();
  });

  test('a JSON registree is served by a CSE spoken to in CBOR', async () => {
    const ae = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    const reg = await ae.request({ op: 1, to: 'cse-in', fr: 'C', rqi: 'cb-1', ty: 2, pc: { 'm2m:ae': { rn: 'cborAE', api: 'Nc', rr: true, srv: ['3'] } } });
    assert.equal(reg.rsc, 2001);
    const aei = (reg.pc?.['m2m:ae'] as JsonObject).aei as string;
    const http = run.cse.requests.find((r) => r.headers['x-m2m-ri'] === 'cb-1');
    assert.equal(http?.headers['content-type'], 'application/cbor;ty=2');
    assert.equal(http?.headers['accept'], 'application/cbor');
    assert.equal(http?.body[0], 0xa1, 'a CBOR map with one member');
    const cnt = await ae.request({ op: 1, to: 'cse-in/cborAE', fr: aei, ty: 3, pc: { 'm2m:cnt': { rn: 'c', mni: 3 } } });
    assert.equal(cnt.rsc, 2001);
    assert.equal((cnt.pc?.['m2m:cnt'] as JsonObject).mni, 3);
    await ae.close();
  });
});
