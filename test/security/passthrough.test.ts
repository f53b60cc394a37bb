// Issue 12 / SECURITY.md "Passthrough follows identity": with an identity
// mode on, a plain HTTP request on the public door authenticates like a
// handshake and may use only an X-M2M-Origin its identity allows; otherwise
// 403 with X-M2M-RSC 4103 and the CSE never sees it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aeRegistration, startScene } from './support.js';
import type { Mode, Scene } from './support.js';

const create = { 'content-type': 'application/json;ty=3', 'x-m2m-ri': 'p1', 'x-m2m-rvi': '3' };

for (const mode of ['tls', 'identity-map', 'credentials'] as Mode[]) {
  describe(`identity ${mode}: passthrough authenticates`, { timeout: 30_000 }, () => {
    let s: Scene;
    before(async () => {
      s = await startScene(mode, { allowOriginator: ['CAdmin'] });
      // Calice is a registree (identity tls ties her ID to her certificate).
      const calice = await s.connect('calice');
      assert.equal((await calice.request(aeRegistration('Calice'))).rsc, 2001);
      await calice.close();
    });
    after(() => s.stop());

    test("another identity, or none, cannot send as Calice over HTTP; nothing reaches the CSE", async () => {
      const seen = s.cse.seen.length;
      for (const who of ['mallory', 'nobody'] as const) {
        const rsp = await s.http(who, 'POST', '/cse-in/Calice', { ...create, 'x-m2m-origin': 'Calice' });
        // Without a certificate under --tls-client-auth require the TLS handshake itself is refused (status 0).
        const refusedAtTls = who === 'nobody' && mode !== 'credentials';
        assert.equal(rsp.status, refusedAtTls ? 0 : 403, who);
        if (!refusedAtTls) assert.equal(rsp.rsc, '4103', who);
        const del = await s.http(who, 'DELETE', '/cse-in/Calice', { 'x-m2m-ri': 'p2', 'x-m2m-origin': '/id-in/Calice' });
        assert.equal(del.status, refusedAtTls ? 0 : 403, who);
      }
      const bare = await s.http('mallory', 'GET', '/cse-in', { 'x-m2m-ri': 'p3' });
      assert.equal(bare.status, 403, 'no X-M2M-Origin');
      assert.equal(s.cse.seen.length, seen);
    });

    test('Calice with her own identity, and --allow-originator entries, pass through', async () => {
      const seen = s.cse.seen.length;
      const own = await s.http('calice', 'POST', '/cse-in/Calice', { ...create, 'x-m2m-origin': 'Calice' });
      assert.equal(own.status, 201);
      const admin = await s.http(mode === 'credentials' ? 'nobody' : 'mallory', 'GET', '/cse-in', { 'x-m2m-ri': 'p4', 'x-m2m-origin': 'CAdmin' });
      assert.equal(admin.status, 200);
      assert.equal(s.cse.seen.length, seen + 2);
      assert.equal(s.cse.seen.at(-2)?.origin, 'Calice');
    });
  });
}

describe('identity none: passthrough is unchanged (the CSE judges)', { timeout: 30_000 }, () => {
  let s: Scene;
  before(async () => {
    s = await startScene('none');
  });
  after(() => s.stop());

  test('any originator is forwarded', async () => {
    const rsp = await s.http('nobody', 'POST', '/cse-in/Calice', { ...create, 'x-m2m-origin': 'Calice' });
    assert.equal(rsp.status, 201);
    assert.equal(s.cse.seen.at(-1)?.origin, 'Calice');
  });
});
