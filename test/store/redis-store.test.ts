// The store contract (DESIGN 5) against --store redis://…, plus what only a
// shared Redis has (DESIGN 6): replicas sharing caps and registrations, fast
// failure when Redis is down, and the AOF keeping queues across a restart.
// One redis-server for the file; every case gets its own random key prefix.
// Skips when redis-server is not installed (CI installs it).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { BridgeError } from '../../src/errors.js';
import type { RequestPrimitive } from '../../src/primitive/types.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { EnqueueRequest, QueueLimits, Registration, Store } from '../../src/store/store.js';
import { storeContract } from '../contract/store.case.js';
import { redisOrSkip, startRedis } from '../support/redis-server.js';
import type { RedisServer } from '../support/redis-server.js';
import { eventually, waitUntil } from '../support/wait.js';

const HOUR = 3_600_000;
const WIDE: QueueLimits = { maxMessages: 1_000_000, maxBytes: 1_000_000_000, globalMaxBytes: 1_000_000_000 };

const { redis: server, skip: unavailable } = await redisOrSkip();

function freshPrefix(): string {
  return `test-${randomBytes(6).toString('hex')}:`;
}

function request(rqi: string): RequestPrimitive {
  return { op: 5, to: '/cse-in/CAE1', fr: '/cse-in', rqi, pc: { 'm2m:sgn': { sur: '/cse-in/sub-1', nev: { net: 3 } } } };
}

function item(rqi: string, over: Partial<EnqueueRequest> = {}): EnqueueRequest {
  return { request: request(rqi), bytes: 10, expiresAt: Date.now() + HOUR, replaceSameSur: false, ...over };
}

async function opened(url: string, prefix: string): Promise<RedisStore> {
  const store = new RedisStore(url, { prefix });
  await store.open();
  return store;
}

if (server === undefined) {
  test('RedisStore against a real redis-server', { skip: unavailable || undefined }, () => {});
} else {
  const redis = server;
  after(() => redis.stop());

  storeContract('redis', async () => {
    const prefix = freshPrefix();
    let current: Store = await opened(redis.url, prefix);
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = await opened(redis.url, prefix);
        return current;
      },
      cleanup: () => current.close(),
    };
  });

  describe('RedisStore: replicas sharing one Redis', { timeout: 60_000 }, () => {
    test('two replicas enqueuing concurrently with a message cap of 50 store exactly 50 in total', async () => {
      const prefix = freshPrefix();
      const a = await opened(redis.url, prefix);
      const b = await opened(redis.url, prefix);
      try {
        const limits: QueueLimits = { ...WIDE, maxMessages: 50 };
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).enqueue('CAE1', item(`c${i}`), limits)),
        );
        assert.equal(results.filter((r) => r.stored).length, 50);
        assert.ok(results.every((r) => r.stored || r.reason === 'max_messages'));
        const stored = await a.peek('CAE1', 0, 1000);
        assert.equal(stored.length, 50);
        for (let i = 1; i < stored.length; i++) assert.ok(stored[i].seq > stored[i - 1].seq, 'seq strictly increasing');
        assert.deepEqual((await b.peek('CAE1', 0, 1000)).map((q) => q.seq), stored.map((q) => q.seq));
        // each replica's stats catch up with the other's writes at the next refresh
        for (const s of [a, b]) {
          await waitUntil(() => s.queueStats('CAE1').messages === 50 && s.totals().bytes === 500, 5000, 'stats refresh');
        }
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('the global byte cap holds across replicas enqueuing for different registrees', async () => {
      const prefix = freshPrefix();
      const a = await opened(redis.url, prefix);
      const b = await opened(redis.url, prefix);
      try {
        const limits: QueueLimits = { ...WIDE, globalMaxBytes: 300 };
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).enqueue(`CAE${i % 5}`, item(`g${i}`), limits)),
        );
        assert.equal(results.filter((r) => r.stored).length, 30);
        assert.ok(results.every((r) => r.stored || r.reason === 'global_max_bytes'));
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('a registration written by one replica is read by the other, by id, by key and in the list', async () => {
      const prefix = freshPrefix();
      const a = await opened(redis.url, prefix);
      const b = await opened(redis.url, prefix);
      try {
        const reg: Registration = { id: 'CAE1', key: 'k-1', kind: 'ae', ri: 'ri-1', rn: 'rn-1', identity: 'sha256:ab', createdAt: 1_700_000_000_000 };
        await a.putRegistration(reg);
        assert.deepEqual(await b.getRegistration('CAE1'), reg);
        assert.deepEqual(await b.getRegistrationByKey('k-1'), reg);
        assert.deepEqual(await b.listRegistrations(), [reg]);
        await b.putRegistration({ ...reg, key: 'k-2' });
        assert.equal(await a.getRegistrationByKey('k-1'), undefined);
        await b.deleteRegistration('CAE1');
        assert.equal(await a.getRegistration('CAE1'), undefined);
        assert.equal(await a.getRegistrationByKey('k-2'), undefined);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('registrations stored before the ID index existed are paged once a replica opens (the index is rebuilt from reg:*)', async () => {
      const prefix = freshPrefix();
      const a = await opened(redis.url, prefix);
      const raw = new Redis(redis.url);
      try {
        for (const id of ['CAE3', 'CAE1', 'CAE2']) await a.putRegistration({ id, key: `k-${id}`, kind: 'ae', createdAt: 1_700_000_000_000 });
        await a.close();
        // as an older bridge left it: registrations without the `regs` index
        assert.equal(await raw.del(`${prefix}regs`), 1);
        const b = await opened(redis.url, prefix);
        try {
          assert.deepEqual((await b.listRegistrationsPage({ limit: 10 })).registrations.map((r) => r.id), ['CAE1', 'CAE2', 'CAE3']);
          // and a delete takes the ID out of the index
          await b.deleteRegistration('CAE2');
          assert.deepEqual(await raw.zrange(`${prefix}regs`, '0', '-1'), ['CAE1', 'CAE3']);
        } finally {
          await b.close();
        }
      } finally {
        raw.disconnect();
      }
    });

    test('a request stored by one replica is drained and acked by the other (ec=latest replaces across replicas)', async () => {
      const prefix = freshPrefix();
      const a = await opened(redis.url, prefix);
      const b = await opened(redis.url, prefix);
      try {
        await a.enqueue('CAE1', item('r1', { sur: 's' }), WIDE);
        const r = await b.enqueue('CAE1', item('r2', { sur: 's', replaceSameSur: true }), WIDE);
        assert.deepEqual(r.stored && r.replaced, 1);
        const [q] = await b.peek('CAE1', 0, 10);
        assert.equal(q.request.rqi, 'r2');
        await a.ack('CAE1', q.seq);
        assert.deepEqual(await b.peek('CAE1', 0, 10), []);
        assert.deepEqual(a.queueStats('CAE1'), { messages: 0, bytes: 0 });
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe('RedisStore: connection and durability', { timeout: 60_000 }, () => {
    test('the description masks the password', () => {
      assert.equal(new RedisStore('redis://:s3cret@10.0.0.1:6380/2').description, 'redis://:***@10.0.0.1:6380/2');
      assert.equal(new RedisStore('rediss://user:s3cret@redis.example:6380').description, 'rediss://user:***@redis.example:6380');
      assert.equal(new RedisStore('redis://127.0.0.1:6379').description, 'redis://127.0.0.1:6379');
    });

    // How fast it gives up is a figure (bench/churn.ts, docs/benchmarks.md); here: it gives up at all
    // (a store retrying forever would hang start()), with the store's error code.
    test('a Redis that is down at open() gives BRIDGE_ERR_STORE instead of retrying forever', async () => {
      const down = await startRedis();
      const url = down.url;
      await down.stop(); // the port is now closed
      const store = new RedisStore(url, { prefix: freshPrefix() });
      await assert.rejects(store.open(), (err: unknown) => err instanceof BridgeError && err.code === 'BRIDGE_ERR_STORE');
      await assert.rejects(store.peek('CAE1', 0, 1), (err: unknown) => err instanceof BridgeError && err.code === 'BRIDGE_ERR_STORE');
      await store.close();
    });

    test('after a restart of redis-server the stored queue is still there (AOF), and an open store reconnects', async () => {
      const prefix = freshPrefix();
      const store = await opened(redis.url, prefix);
      try {
        await store.putRegistration({ id: 'CAE1', key: 'k-1', kind: 'ae', createdAt: 1 });
        for (let i = 0; i < 5; i++) await store.enqueue('CAE1', item(`r${i}`, { sur: 's', bytes: i + 1 }), WIDE);
        const before = await store.peek('CAE1', 0, 100);
        await redis.restart();
        const other = await opened(redis.url, prefix);
        try {
          assert.deepEqual(await other.peek('CAE1', 0, 100), before);
          assert.deepEqual(other.queueStats('CAE1'), { messages: 5, bytes: 15 });
          assert.equal((await other.getRegistrationByKey('k-1'))?.id, 'CAE1');
          const r = await other.enqueue('CAE1', item('r5', { sur: 's', replaceSameSur: true }), WIDE);
          assert.ok(r.stored && r.replaced === 5 && r.seq > before[before.length - 1].seq);
        } finally {
          await other.close();
        }
        // the store opened before the restart reconnects by itself
        const seen = await eventually(async () => (await store.peek('CAE1', 0, 100)).map((q) => q.request.rqi), 10_000, 'the old store to reconnect');
        assert.deepEqual(seen, ['r5']);
      } finally {
        await store.close();
      }
    });
  });
}
