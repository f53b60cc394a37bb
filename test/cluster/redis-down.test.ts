// Issue 7.5: Redis goes away under two replicas and comes back. Registrees
// connected to a replica keep working; what needs Redis gets 5103; /readyz
// and store_up say so; routing resumes when Redis returns.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { request } from 'undici';
import type { BridgeAddresses } from '../../src/bridge/bridge.js';
import type { FakeCse } from '../support/fake-cse.js';
import { redisOrSkip } from '../support/redis-server.js';
import { waitUntilAsync } from '../support/wait.js';
import { startTwoReplicas } from '../support/two-replicas.js';
import type { TwoReplicas } from '../support/two-replicas.js';
import { WsRegistree } from '../support/ws-registree.js';

const { redis, skip } = await redisOrSkip();

function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  return waitUntilAsync(check, timeoutMs, what);
}

describe('cluster while Redis is down', { skip }, () => {
  const prefix = `down-${process.pid}:`;
  let scene: TwoReplicas;
  let cse: FakeCse;
  let at: TwoReplicas['at'];
  let ae: WsRegistree;
  let aei: string;
  let notify: TwoReplicas['notify'];

  before(async () => {
    scene = await startTwoReplicas(redis!.url, prefix, 'steady', { ownerTtlMs: 1500 });
    ({ cse, at, ae, aei, notify } = scene);
  });
  after(async () => {
    await scene?.stop();
    await redis?.stop();
  });

  const ready = async (door: BridgeAddresses) => {
    const res = await request(`http://127.0.0.1:${door.admin.port}/readyz`);
    return { status: res.statusCode, body: (await res.body.json()) as { checks: { store: boolean } } };
  };
  const storeUp = async (door: BridgeAddresses) => {
    const res = await request(`http://127.0.0.1:${door.admin.port}/metrics`);
    const line = (await res.body.text()).split('\n').find((l) => l.startsWith('onem2m_bridge_store_up '));
    return Number(line?.split(' ')[1]);
  };

  test('with Redis up, a notification through the other replica is routed to the registree', async () => {
    const r = await notify(at.b, 'up-1');
    assert.equal(r.rsc, 2000, r.body);
    assert.equal(ae.received.at(-1)?.rqi, 'up-1');
  });

  test('with Redis down, bound registrees keep working, other requests get 5103, and readiness and store_up turn false', async () => {
    await redis!.down();
    await until('readyz false', async () => (await ready(at.b)).status === 503);
    assert.equal((await ready(at.b)).body.checks.store, false);
    assert.equal((await ready(at.a)).status, 503);
    assert.equal(await storeUp(at.b), 0);

    // Uplink of a bound registree: straight to the CSE, Redis is not involved.
    const up = await ae.request({ op: 2, to: 'cse-in/steady', fr: aei });
    assert.equal(up.rsc, 2000);
    // Downlink on the replica holding the socket: delivered live.
    const here = await notify(at.a, 'down-here');
    assert.equal(here.rsc, 2000, here.body);
    assert.equal(ae.received.at(-1)?.rqi, 'down-here');
    // Downlink on the other replica: neither routable nor storable.
    const there = await notify(at.b, 'down-there');
    assert.equal(there.rsc, 5103, there.body);
    assert.equal(there.status, 404);
    assert.match(there.body, /unreachable/);
    assert.notEqual(ae.received.at(-1)?.rqi, 'down-there');
    // A new registration needs the store: a clear 5103 as well, no crash.
    const late = await WsRegistree.connect(`ws://127.0.0.1:${at.b.public.port}/`, 'oneM2M.json');
    try {
      const reg = await late.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'late', api: 'Ntest', rr: true, srv: ['3'] } } });
      assert.equal(reg.rsc, 5103, JSON.stringify(reg));
      // Refused before the CSE created an <AE> the bridge could not have remembered.
      assert.equal(cse.resources.get('cse-in/late'), undefined);
    } finally {
      await late.close();
    }
  });

  test('when Redis returns, readiness comes back and requests are routed again', async () => {
    await redis!.up();
    await until('readyz true on both', async () => (await ready(at.a)).status === 200 && (await ready(at.b)).status === 200);
    assert.equal(await storeUp(at.b), 1);
    // A's refresh records its ownership again (the record may have expired meanwhile).
    const raw = new Redis(redis!.url);
    try {
      await until('ownership recorded again', async () => (await raw.get(`${prefix}owner:${aei}`)) === 'A');
      // A record counts while its replica's lease runs (issue 19): it may have lapsed while Redis was away.
      await until('A\'s lease running again', async () => (await raw.exists(`${prefix}lease:A`)) === 1);
    } finally {
      raw.disconnect();
    }
    const r = await notify(at.b, 'back-1');
    assert.equal(r.rsc, 2000, r.body);
    assert.equal(ae.received.at(-1)?.rqi, 'back-1');
  });
});
