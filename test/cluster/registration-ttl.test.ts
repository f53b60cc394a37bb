// --registration-ttl in cluster mode: a registree bound on another replica is
// bound, whatever page of the sweep it is on (issue 19: the sweep reads the
// registrations a page at a time and asks the cluster per page).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { boundAnywhere } from '../../src/bridge/cluster-wiring.js';
import { RegistrationExpiry } from '../../src/bridge/registration-expiry.js';
import { Registry } from '../../src/bridge/registry.js';
import type { ClusterHandlers } from '../../src/cluster/cluster.js';
import { RedisCluster } from '../../src/cluster/redis-cluster.js';
import { silentLogger } from '../../src/log.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { redisOrSkip } from '../support/redis-server.js';

const { redis, skip } = await redisOrSkip();
const handlers: ClusterHandlers = { deliver: async (_id, req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' }), release: () => undefined, kick: () => undefined };
const idOf = (i: number) => `C${String(i).padStart(5, '0')}`;
const FLEET = 600;
const TTL = 1000;

describe('registration TTL across replicas', { skip, timeout: 60_000 }, () => {
  const closing: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closing.reverse()) await close();
    await redis?.stop();
  });

  test(`of ${FLEET} registrations, those bound on the other replica are kept; one released there is forgotten a TTL later`, async () => {
    const prefix = 'ttl:';
    const store = new RedisStore(redis!.url, { prefix, durability: 'applied' });
    await store.open();
    closing.push(() => store.close());
    const cluster = (name: string) => new RedisCluster({ url: redis!.url, prefix, replicaId: name, ownerTtlMs: 60_000, logger: silentLogger() });
    const a = cluster('A');
    const b = cluster('B');
    for (const c of [a, b]) {
      await c.start(handlers);
      closing.push(() => c.stop());
    }
    await Promise.all(Array.from({ length: FLEET }, (_, i) => store.putRegistration({ id: idOf(i), key: `k${i}`, kind: 'ae', createdAt: 0 })));
    // Bound on A, in the first, a middle and the last page of B's sweep.
    const onA = [idOf(0), idOf(300), idOf(FLEET - 1)];
    for (const id of onA) await a.claim(id);
    // B's sweep: nothing is bound on B itself.
    const expiry = new RegistrationExpiry({ ttlMs: TTL, store, bound: boundAnywhere(b, new Registry()), logger: silentLogger() });
    assert.equal(await expiry.sweep(0), 0);
    assert.equal(await expiry.sweep(TTL), FLEET - onA.length);
    assert.equal(await store.countRegistrations(), onA.length);
    await a.release(idOf(300));
    assert.equal(await expiry.sweep(2 * TTL), 0); // away since this sweep: it was bound at the last one
    assert.equal(await expiry.sweep(3 * TTL), 1);
    assert.equal(await store.getRegistration(idOf(300)), undefined);
    for (const id of [idOf(0), idOf(FLEET - 1)]) assert.ok((await store.getRegistration(id)) !== undefined, id);
  });
});
