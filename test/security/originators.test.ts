// Issue 12 / SECURITY.md "IDs are compared as IDs": a bound registree sends
// only as itself (any form of its own ID), a remoteCSE only for IDs under its
// own CSE-ID that are not registrees here, and no remoteCSE may claim a csi
// that is not its originator or is the upstream's own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBridge } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { waitUntil } from '../support/wait.js';
import { aeRegistration, cseRegistration, startScene } from './support.js';
import type { Mode, Scene } from './support.js';

for (const mode of ['none', 'tls', 'identity-map'] as Mode[]) {
  describe(`identity ${mode}: originators are compared as IDs`, { timeout: 30_000 }, () => {
    let s: Scene;
    before(async () => {
      s = await startScene(mode);
    });
    after(() => s.stop());

    test('a bound AE sends as any form of its own ID and never as an ID that only ends like it', async () => {
      const calice = await s.connect('calice');
      assert.equal((await calice.request(aeRegistration('Calice'))).rsc, 2001);
      // The CSE-ID was learned from the CSEBase: /id-in/Calice is Calice.
      assert.equal((await calice.request({ op: 2, to: 'cse-in', fr: '/id-in/Calice' })).rsc, 2000);
      const seen = s.cse.seen.length;
      for (const fr of ['/x/Calice', '/id-mn/Calice', '//other.example/id-in/Calice', 'CALICE', '/Calice']) {
        assert.equal((await calice.request({ op: 2, to: 'cse-in', fr })).rsc, 4103, fr);
      }
      assert.equal(s.cse.seen.length, seen, 'refused requests never reach the CSE');
      await calice.close();
    });

    test('a remoteCSE relays for IDs under its CSE-ID only, and claims no csi but its own', async () => {
      const mallory = await s.connect('mallory');
      const seen = s.cse.seen.length;
      // Its originator and csi differ, or it claims the upstream's own CSE-ID: refused before the CSE.
      assert.equal((await mallory.request(cseRegistration('/mn-cse', '/mal-cse'))).rsc, 4103);
      assert.equal((await mallory.request(cseRegistration('/id-in', '/id-in'))).rsc, 4103);
      assert.equal((await mallory.request(cseRegistration('Cmallory', 'Cmallory'))).rsc, 4103);
      assert.equal(s.cse.seen.length, seen);
      assert.equal((await mallory.request(cseRegistration('/mn-cse', '/mn-cse'))).rsc, 2001);
      assert.equal((await mallory.request({ op: 2, to: 'cse-in', fr: '/mn-cse/Cdevice' })).rsc, 2000);
      for (const fr of ['/id-in/Cdevice', 'Cdevice', '/mn-cse2/Cdevice', '/x/mn-cse/Cdevice']) {
        assert.equal((await mallory.request({ op: 2, to: 'cse-in', fr })).rsc, 4103, fr);
      }
      await mallory.close();
    });
  });
}

describe('an AE registers only with an ID of the upstream CSE or SP, so no registree lives under a relaying CSE', { timeout: 30_000 }, () => {
  let s: Scene;
  before(async () => {
    s = await startScene('none');
  });
  after(() => s.stop());

  test('/mn-cse/Cdev, /Calice, //other.example/id-in/Calice are refused before the CSE; C… and S… pass', async () => {
    const device = await s.connect('calice');
    const seen = s.cse.seen.length;
    for (const fr of ['/mn-cse/Cdev', '/Calice', '//other.example/id-in/Calice', 'myDevice']) {
      assert.equal((await device.request(aeRegistration(fr))).rsc, 4103, fr);
    }
    assert.equal(s.cse.seen.length, seen);
    assert.equal((await device.request(aeRegistration('Sdevice'))).rsc, 2001);
    assert.ok(s.bridge.registry.sessionForId('/Sdevice') !== undefined);
    await device.close();
  });
});

describe('the CSE-ID is learned from a CSE that refuses unknown originators', { timeout: 30_000 }, () => {
  test('after the first registration, /id-in/<aei> is that registree; /x/<aei> is not', async () => {
    const run = await startBridge();
    try {
      const { ae, aei } = await registerAe(run.wsUrl, 'learner');
      // The ACME-like fake CSE refused the probe at start (4103); the registree's own RETRIEVE taught it.
      await waitUntil(() => run.bridge.upstreamCse.cseId === '/id-in', 5000, 'CSE-ID learned');
      assert.equal((await ae.request({ op: 2, to: 'cse-in', fr: `/id-in/${aei}` })).rsc, 2000);
      assert.equal((await ae.request({ op: 2, to: 'cse-in', fr: `/x/${aei}` })).rsc, 4103);
      await ae.close();
    } finally {
      await run.stop();
    }
  });
});
