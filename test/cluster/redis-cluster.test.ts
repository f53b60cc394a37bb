// RedisCluster on a real redis-server: ownership records, compare-and-delete,
// routing over the replicas' channels (DESIGN 6).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { decodeMessage, encodeMessage } from '../../src/cluster/cluster-message.js';
import type { ClusterHandlers } from '../../src/cluster/cluster.js';
import { RedisCluster } from '../../src/cluster/redis-cluster.js';
import { silentLogger } from '../../src/log.js';
import type { RouteOutcome } from '../../src/metrics/metrics.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';
import { startRedisGate } from '../support/redis-gate.js';
import { redisOrSkip } from '../support/redis-server.js';
import { waitUntil, waitUntilAsync } from '../support/wait.js';

const { redis, skip } = await redisOrSkip();

interface Replica {
  cluster: RedisCluster;
  released: Array<[string, string]>;
  kicked: string[];
  delivered: Array<[string, RequestPrimitive]>;
  routes: RouteOutcome[];
}

let prefixes = 0;

describe('RedisCluster', { skip }, () => {
  let raw: Redis;
  const running: RedisCluster[] = [];
  before(() => {
    raw = new Redis(redis!.url);
  });
  after(async () => {
    for (const c of running) await c.stop();
    raw?.disconnect();
    await redis?.stop();
  });

  async function replica(
    name: string,
    prefix: string,
    answer?: (req: RequestPrimitive) => Promise<ResponsePrimitive>,
    options: { url?: string; ownerTtlMs?: number } = {},
  ): Promise<Replica> {
    const r: Replica = { cluster: undefined as unknown as RedisCluster, released: [], kicked: [], delivered: [], routes: [] };
    r.cluster = new RedisCluster({ url: options.url ?? redis!.url, prefix, replicaId: name, ownerTtlMs: options.ownerTtlMs ?? 1500, logger: silentLogger(), onRoute: (o) => r.routes.push(o) });
    const handlers: ClusterHandlers = {
      deliver: async (id, req) => {
        r.delivered.push([id, req]);
        return answer !== undefined ? answer(req) : { rsc: 2000, rqi: req.rqi, rvi: '3', pc: { by: name } };
      },
      release: (id, why) => r.released.push([id, why]),
      kick: (id) => r.kicked.push(id),
    };
    await r.cluster.start(handlers);
    running.push(r.cluster);
    return r;
  }

  const fresh = () => `rc-${process.pid}-${++prefixes}:`;

  test('a newer claim on another replica tells the older owner to close its connection', async () => {
    const p = fresh();
    const a = await replica('A', p);
    const b = await replica('B', p);
    await a.cluster.claim('Cdev');
    await b.cluster.claim('Cdev');
    await waitUntil(() => a.released.length === 1, 3000, 'A released');
    assert.deepEqual(a.released, [['Cdev', 'replaced']]);
    assert.deepEqual(b.released, []);
    assert.equal(await raw.get(`${p}owner:Cdev`), 'B');
  });

  test('closing the older connection later does not delete the newer owner record (compare-and-delete)', async () => {
    const p = fresh();
    const a = await replica('A', p);
    const b = await replica('B', p);
    await a.cluster.claim('Cslow');
    await b.cluster.claim('Cslow');
    await a.cluster.release('Cslow');
    assert.equal(await raw.get(`${p}owner:Cslow`), 'B');
    await b.cluster.release('Cslow');
    assert.equal(await raw.get(`${p}owner:Cslow`), null);
  });

  test('the replica\'s lease carries the TTL and is refreshed while the replica runs; its records name it', async () => {
    const p = fresh();
    const a = await replica('A', p);
    await a.cluster.claim('Cstay');
    assert.equal(await raw.get(`${p}owner:Cstay`), 'A');
    const ttl = await raw.pttl(`${p}lease:A`);
    assert.ok(ttl > 0 && ttl <= 1500, `pttl ${ttl}`);
    // The replica refreshes it: its remaining time goes up again (no sleep past the TTL needed to see that).
    // Compared with the lowest remaining time seen so far: right after a refresh PTTL may read the full TTL,
    // which a refresh to the same TTL never exceeds. Without refreshes it only falls, then the key expires (-2).
    let lowest = ttl;
    await waitUntilAsync(
      async () => {
        const now = await raw.pttl(`${p}lease:A`);
        if (now > lowest) return true;
        lowest = Math.min(lowest, now);
        return false;
      },
      10_000,
      'a refresh of the lease',
    );
    assert.equal(await raw.get(`${p}owner:Cstay`), 'A');
  });

  test('a replica whose lease has lapsed holds nothing: it is not routed to nor counted, and another replica takes its registrees over (issue 19)', async () => {
    const p = fresh();
    const gate = await startRedisGate(redis!.port);
    try {
      const a = await replica('A', p, undefined, { url: gate.url });
      const b = await replica('B', p);
      await a.cluster.claim('Chung');
      const req: RequestPrimitive = { op: 5, to: 'Chung', fr: '/id-in', rqi: 'hung-1', rvi: '3' };
      assert.equal((await b.cluster.route('Chung', req, 1000)).routed, true);
      assert.deepEqual([...(await b.cluster.owners(['Chung']))], [['Chung', 'A']]);
      // A's count reaches B with A's next lease round.
      await waitUntilAsync(async () => (await b.cluster.boundCount()) === 1, 10_000, "B to count A's registree");
      // A hangs: still subscribed (a PUBLISH reaches it), but nothing it sends runs in Redis, its lease included.
      gate.hold('commands');
      // While its lease runs a request waits for A's answer (4008); once it has lapsed, A is not asked.
      await waitUntilAsync(async () => !(await b.cluster.route('Chung', req, 50)).routed, 15_000, 'routing to stop at the lapsed lease');
      assert.equal(b.routes.at(-1), 'no_owner');
      assert.equal(b.routes.filter((o) => o === 'answered').length, 1);
      assert.deepEqual([...(await b.cluster.owners(['Chung']))], []);
      assert.equal(await b.cluster.boundCount(), 0);
      // The registree comes back on B.
      await b.cluster.claim('Chung');
      assert.deepEqual([...(await b.cluster.owners(['Chung']))], [['Chung', 'B']]);
      // A wakes up: its refresh finds its lease lapsed, checks every record and lets go of Chung.
      gate.open('commands');
      await a.cluster.refreshOwnership();
      assert.deepEqual(a.released, [['Chung', 'replaced']]);
      assert.equal(await raw.get(`${p}owner:Chung`), 'B');
    } finally {
      await gate.close();
    }
  });

  test('a replica started under the name of one that ended without a goodbye removes the records that one left, and keeps its own', async () => {
    const p = fresh();
    // Left by an earlier run of A (a container restarted in its pod): no goodbye removed them.
    await raw.set(`${p}owner:Cleft`, 'A', 'PX', 600_000);
    await raw.set(`${p}owner:Celsewhere`, 'B', 'PX', 600_000);
    const a = await replica('A', p);
    await a.cluster.claim('Cnew');
    await waitUntilAsync(async () => (await raw.get(`${p}owner:Cleft`)) === null, 10_000, 'the record the earlier run left removed');
    assert.equal(await raw.get(`${p}owner:Cnew`), 'A');
    assert.equal(await raw.get(`${p}owner:Celsewhere`), 'B');
    assert.equal(await a.cluster.boundCount(), 1);
  });

  test('a refresh that finds another replica in the record closes the connection here', async () => {
    const p = fresh();
    const a = await replica('A', p);
    await a.cluster.claim('Ctaken');
    await raw.set(`${p}owner:Ctaken`, 'elsewhere', 'PX', 10_000);
    await waitUntil(() => a.released.length === 1, 3000, 'release after the refresh');
    assert.deepEqual(a.released, [['Ctaken', 'replaced']]);
  });

  test('a refresh puts back a record Redis lost (restart without data)', async () => {
    const p = fresh();
    const a = await replica('A', p);
    await a.cluster.claim('Cback');
    await raw.del(`${p}owner:Cback`);
    await waitUntilAsync(async () => (await raw.get(`${p}owner:Cback`)) === 'A', 10_000, 'the record restored');
    assert.deepEqual(a.released, []);
  });

  test('a claim and a quick release on another replica are not undone by this replica\'s refresh: the connection here closes (issue 14 4b)', async () => {
    const p = fresh();
    const gate = await startRedisGate(redis!.port);
    try {
      // A long TTL: only the rounds this test runs refresh anything.
      const a = await replica('A', p, undefined, { url: gate.url, ownerTtlMs: 60_000 });
      const b = await replica('B', p, undefined, { ownerTtlMs: 60_000 });
      await a.cluster.claim('Crace');
      // B's "release" message to A waits at the gate: A's refresh comes first.
      gate.hold();
      await b.cluster.claim('Crace');
      await waitUntil(() => gate.heldBytes > 0, 3000, 'the release message for A');
      await b.cluster.release('Crace');
      await a.cluster.refreshOwnership();
      assert.deepEqual(a.released, [['Crace', 'replaced']]);
      assert.equal(await raw.get(`${p}owner:Crace`), null);
      gate.open();
    } finally {
      await gate.close();
    }
  });

  test('a release message that arrives after this replica claimed the registree again does not close the newer connection', async () => {
    const p = fresh();
    const gate = await startRedisGate(redis!.port);
    try {
      const a = await replica('A', p, undefined, { url: gate.url, ownerTtlMs: 60_000 });
      const b = await replica('B', p, undefined, { ownerTtlMs: 60_000 });
      await a.cluster.claim('Cback');
      gate.hold();
      await b.cluster.claim('Cback');
      await waitUntil(() => gate.heldBytes > 0, 3000, 'the release message for A');
      // The registree comes back to A before A hears of B's claim.
      await a.cluster.claim('Cback');
      await waitUntil(() => b.released.length === 1, 3000, 'B told to release');
      // A kick from B travels behind the old release message on A's channel.
      b.cluster.stored('Cback');
      gate.open();
      await waitUntil(() => a.kicked.length === 1, 3000, 'the kick behind the release message');
      // A's check of the record (on its command connection) is answered before this round.
      await a.cluster.refreshOwnership();
      assert.deepEqual(a.released, []);
      assert.equal(await raw.get(`${p}owner:Cback`), 'A');
    } finally {
      await gate.close();
    }
  });

  test('a refresh puts back what Redis lost entirely, counter included (restart without data)', async () => {
    const p = fresh();
    const gate = await startRedisGate(redis!.port);
    try {
      const a = await replica('A', p, undefined, { url: gate.url, ownerTtlMs: 60_000 });
      await a.cluster.claim('Cwiped');
      const keys = await raw.keys(`${p}*`);
      assert.ok(keys.length > 0);
      await raw.del(...keys);
      await a.cluster.refreshOwnership();
      assert.equal(await raw.get(`${p}owner:Cwiped`), 'A');
      assert.deepEqual(a.released, []);
      // What was put back fences as the claim did: B's claim and quick release close A's connection.
      const b = await replica('B', p, undefined, { ownerTtlMs: 60_000 });
      gate.hold();
      await b.cluster.claim('Cwiped');
      await waitUntil(() => gate.heldBytes > 0, 3000, 'the release message for A');
      await b.cluster.release('Cwiped');
      await a.cluster.refreshOwnership();
      assert.deepEqual(a.released, [['Cwiped', 'replaced']]);
      gate.open();
    } finally {
      await gate.close();
    }
  });

  test('a claim made while Redis was away is recorded by the refresh once it is back, and fences from then on', async () => {
    const p = fresh();
    const gate = await startRedisGate(redis!.port);
    try {
      const a = await replica('A', p, undefined, { url: gate.url, ownerTtlMs: 60_000 });
      gate.cut();
      await waitUntil(() => !a.cluster.available(), 3000, 'A cut off Redis');
      await a.cluster.claim('Clate');
      assert.equal(await raw.get(`${p}owner:Clate`), null);
      gate.mend();
      await waitUntil(() => a.cluster.available(), 10_000, 'A back on Redis');
      await a.cluster.refreshOwnership();
      assert.equal(await raw.get(`${p}owner:Clate`), 'A');
      // The refresh's claim has its epoch: B's claim and release are not undone either.
      const b = await replica('B', p, undefined, { ownerTtlMs: 60_000 });
      gate.hold();
      await b.cluster.claim('Clate');
      await waitUntil(() => gate.heldBytes > 0, 3000, 'the release message for A');
      await b.cluster.release('Clate');
      await a.cluster.refreshOwnership();
      assert.deepEqual(a.released, [['Clate', 'replaced']]);
      assert.equal(await raw.get(`${p}owner:Clate`), null);
      gate.open();
    } finally {
      await gate.close();
    }
  });

  test('a request for a registree owned by another replica is delivered there and its answer comes back', async () => {
    const p = fresh();
    const a = await replica('A', p);
    const b = await replica('B', p);
    await a.cluster.claim('Cfar');
    const req: RequestPrimitive = { op: 5, to: 'Cfar', fr: '/id-in', rqi: 'route-1', rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/sub', nev: { net: 3, rep: { 'm2m:cin': { con: 'ü €', cs: 2.5, st: 0 } } } } } };
    const result = await b.cluster.route('Cfar', req, 1000);
    assert.equal(result.routed, true);
    assert.deepEqual(result.routed && result.rsp, { rsc: 2000, rqi: 'route-1', rvi: '3', pc: { by: 'A' } });
    // The request crossed unchanged.
    assert.deepEqual(a.delivered, [['Cfar', req]]);
    assert.deepEqual(b.routes, ['answered']);
  });

  test('a registree owned by nobody, or by this replica, is not routed', async () => {
    const p = fresh();
    const a = await replica('A', p);
    await a.cluster.claim('Cmine');
    const req: RequestPrimitive = { op: 5, to: 'x', fr: '/id-in', rqi: 'r', rvi: '3' };
    assert.deepEqual(await a.cluster.route('Cnobody', req, 1000), { routed: false });
    assert.deepEqual(await a.cluster.route('Cmine', req, 1000), { routed: false });
  });

  test('a record naming a replica that is gone (nobody on its channel) is not waited for', async () => {
    const p = fresh();
    const b = await replica('B', p);
    await raw.set(`${p}owner:Corphan`, 'killed-replica', 'PX', 10_000);
    const result = await b.cluster.route('Corphan', { op: 5, to: 'x', fr: '/id-in', rqi: 'r', rvi: '3' }, 5000);
    assert.deepEqual(result, { routed: false });
    assert.deepEqual(b.routes, ['no_owner']);
  });

  test('an owner that does not answer in time gives 4008 after the downlink timeout plus a margin', async () => {
    const p = fresh();
    const a = await replica('A', p, () => new Promise(() => undefined));
    const b = await replica('B', p);
    await a.cluster.claim('Cmute');
    const result = await b.cluster.route('Cmute', { op: 5, to: 'x', fr: '/id-in', rqi: 'slow-1', rvi: '3' }, 100);
    assert.equal(result.routed, true);
    assert.equal(result.routed && result.rsp.rsc, 4008);
    assert.equal(result.routed && result.rsp.rqi, 'slow-1');
    assert.deepEqual(b.routes, ['timeout']);
  });

  test('a request stored for a registree bound elsewhere kicks its owner', async () => {
    const p = fresh();
    const a = await replica('A', p);
    const b = await replica('B', p);
    await a.cluster.claim('Cqueued');
    b.cluster.stored('Cqueued');
    await waitUntil(() => a.kicked.length === 1, 3000, 'kick');
    assert.deepEqual(a.kicked, ['Cqueued']);
  });

  test('an operator delete on any replica closes the connection on the owner', async () => {
    const p = fresh();
    const a = await replica('A', p);
    const b = await replica('B', p);
    await a.cluster.claim('Cgone');
    await b.cluster.evict('Cgone');
    await waitUntil(() => a.released.length === 1, 3000, 'evicted');
    assert.deepEqual(a.released, [['Cgone', 'deregistered']]);
  });

  test('stopping a replica removes the records of the registrees it still held', async () => {
    const p = fresh();
    const a = await replica('A', p);
    await a.cluster.claim('Cbye');
    await a.cluster.stop();
    assert.equal(await raw.get(`${p}owner:Cbye`), null);
  });
});

describe('cluster messages', () => {
  test('what is not a message this version understands is ignored, never thrown', () => {
    for (const bytes of [Buffer.from('not cbor at all \xff'), encodeMessage({ t: 'kick', id: 'x' }).subarray(0, 3), Buffer.from([0xa1, 0x61, 0x74, 0x63, 0x62, 0x61, 0x64])]) {
      assert.equal(decodeMessage(bytes), undefined);
    }
    assert.equal(decodeMessage(Buffer.from(JSON.stringify({ t: 'req' }))), undefined);
  });

  test('a routed request survives the round trip unchanged', () => {
    const m = { t: 'req' as const, c: 7, from: 'B', id: 'Cx', w: 1000, r: { op: 1, to: 'a', fr: 'b', rqi: 'c', rvi: '3', pc: { x: [1, 'two', { three: null }] } } };
    assert.deepEqual(decodeMessage(encodeMessage(m)), m);
  });
});
