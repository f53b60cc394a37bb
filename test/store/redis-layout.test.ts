// The redis store's layout (issue 19): a store written by an earlier bridge
// (sur index as a hash of space-separated seqs, no expiry index) is converted
// at open without losing, duplicating or reordering a request, also by two
// replicas opening at once; the sur index stays one small member per request
// however long a subscription's backlog gets; and the purge sweep removes
// exactly what expired with a few calls, not one per queued registree.
// One redis-server for the file; every case gets its own random key prefix.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { RequestPrimitive } from '../../src/primitive/types.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { EnqueueRequest, QueueLimits } from '../../src/store/store.js';
import { redisOrSkip } from '../support/redis-server.js';
import { waitUntil, waitUntilAsync } from '../support/wait.js';

const HOUR = 3_600_000;
const WIDE: QueueLimits = { maxMessages: 1_000_000, maxBytes: 1_000_000_000, globalMaxBytes: 1_000_000_000 };

const { redis: server, skip: unavailable } = await redisOrSkip();

function freshPrefix(): string {
  return `layout-${randomBytes(6).toString('hex')}:`;
}

function notify(rqi: string, sur: string | undefined): RequestPrimitive {
  return { op: 5, to: '/cse-in/CAE1', fr: '/cse-in', rqi, pc: { 'm2m:sgn': { sur: sur ?? '/none', nev: { net: 3 } } } };
}

function item(rqi: string, over: Partial<EnqueueRequest> = {}): EnqueueRequest {
  return { request: notify(rqi, over.sur), bytes: 10, expiresAt: Date.now() + HOUR, replaceSameSur: false, ...over };
}

async function opened(url: string, prefix: string): Promise<RedisStore> {
  const store = new RedisStore(url, { prefix });
  await store.open();
  return store;
}

/** Calls per command Redis counted since the last CONFIG RESETSTAT (commands inside scripts included). */
async function commandCalls(raw: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of (await raw.info('commandstats')).matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) out.set(m[1], Number(m[2]));
  return out;
}

interface OldRequest {
  id: string;
  rqi: string;
  sur?: string;
  bytes: number;
  expiresAt: number;
}

/**
 * Writes requests the way the earlier enqueue script did, with raw commands:
 * one seq counter, a stream q:<id> with entries `<seq>-0` (r, b, e, t[, s]),
 * the counters qm:<id>/qb:<id>/qm/qb, the set queues, and the hash
 * sur:<id> mapping each sur to its seqs separated by spaces.
 */
async function writeOldLayout(raw: Redis, prefix: string, requests: OldRequest[]): Promise<void> {
  const surLists = new Map<string, Map<string, string[]>>();
  for (let i = 0; i < requests.length; i += 500) {
    const batch = raw.multi();
    for (const r of requests.slice(i, i + 500)) {
      const seq = await raw.incr(`${prefix}seq`);
      const fields = ['r', JSON.stringify(notify(r.rqi, r.sur)), 'b', String(r.bytes), 'e', String(r.expiresAt), 't', '1700000000000'];
      if (r.sur !== undefined) {
        fields.push('s', r.sur);
        const lists = surLists.get(r.id) ?? new Map<string, string[]>();
        surLists.set(r.id, lists);
        lists.set(r.sur, [...(lists.get(r.sur) ?? []), String(seq)]);
      }
      batch.xadd(`${prefix}q:${r.id}`, `${seq}-0`, ...fields);
      batch.incrby(`${prefix}qm:${r.id}`, 1).incrby(`${prefix}qb:${r.id}`, r.bytes);
      batch.incrby(`${prefix}qm`, 1).incrby(`${prefix}qb`, r.bytes);
      batch.sadd(`${prefix}queues`, r.id);
    }
    await batch.exec();
  }
  for (const [id, lists] of surLists) {
    for (const [sur, seqs] of lists) await raw.hset(`${prefix}sur:${id}`, sur, seqs.join(' '));
  }
}

if (server === undefined) {
  test('RedisStore layout against a real redis-server', { skip: unavailable || undefined }, () => {});
} else {
  const redis = server;
  const raw = new Redis(redis.url);
  after(async () => {
    raw.disconnect();
    await redis.stop();
  });

  describe('RedisStore: a store written by the earlier layout', { timeout: 120_000 }, () => {
    test('two replicas opening it at once deliver every request once, in order; ec=latest, ack and purge work on the old requests', async () => {
      const prefix = freshPrefix();
      const now = Date.now();
      const old: OldRequest[] = [];
      // one long queue (more than one conversion call's worth), and 300 short ones (more ids than one call takes)
      for (let i = 0; i < 2500; i++) {
        const sur = i % 3 === 0 ? '/cse-in/sub-A' : i % 3 === 1 ? '/cse-in/sub-B' : undefined;
        old.push({ id: 'CLONG', rqi: `L${i}`, sur, bytes: 10, expiresAt: i % 100 === 7 ? now - 1 : now + HOUR });
      }
      for (let n = 0; n < 300; n++) {
        old.push({ id: `CS${n}`, rqi: `S${n}a`, sur: '/cse-in/sub-A', bytes: 5, expiresAt: now + HOUR });
        old.push({ id: `CS${n}`, rqi: `S${n}b`, bytes: 5, expiresAt: n % 2 === 0 ? now - 1 : now + HOUR });
      }
      await writeOldLayout(raw, prefix, old);
      assert.equal(await raw.type(`${prefix}sur:CLONG`), 'hash'); // what the converter finds

      const [a, b] = await Promise.all([opened(redis.url, prefix), opened(redis.url, prefix)]);
      try {
        // every stored request once, in the order stored, from either replica
        const all = await a.peek('CLONG', 0, 10_000);
        const live = old.filter((r) => r.id === 'CLONG' && r.expiresAt > now);
        assert.deepEqual(all.map((q) => q.request.rqi), live.map((r) => r.rqi));
        for (let i = 1; i < all.length; i++) assert.ok(all[i].seq > all[i - 1].seq);
        assert.deepEqual((await b.peek('CLONG', 0, 10_000)).map((q) => q.seq), all.map((q) => q.seq));
        assert.equal(await raw.exists(`${prefix}sur:CLONG`, `${prefix}sur:CS0`), 0, 'the old hashes are gone');
        assert.equal(await raw.get(`${prefix}layout`), '2');
        // one expiry member per stored request, not two (both replicas walked the same queues)
        assert.equal(await raw.zcard(`${prefix}qx`), old.length);

        // the expired old ones are purged (found through the index the conversion built), exactly those
        const expired = old.filter((r) => r.expiresAt <= now).length;
        assert.equal(await a.purgeExpired(Date.now()), expired);
        const kept = old.filter((r) => r.expiresAt > now);
        assert.deepEqual(a.totals(), { messages: kept.length, bytes: kept.reduce((sum, r) => sum + r.bytes, 0) });

        // ec=latest replaces exactly the old requests of that sur still stored
        const subB = all.filter((q) => q.sur === '/cse-in/sub-B').length;
        const r = await b.enqueue('CLONG', item('latest-B', { sur: '/cse-in/sub-B', replaceSameSur: true }), WIDE);
        assert.ok(r.stored);
        assert.equal(r.replaced, subB);
        const afterB = await a.peek('CLONG', 0, 10_000);
        assert.deepEqual(afterB.map((q) => q.request.rqi), [...all.filter((q) => q.sur !== '/cse-in/sub-B').map((q) => q.request.rqi), 'latest-B']);

        // ack of old requests: gone from the queue and from the index (a later ec=latest counts only the rest)
        const subA = afterB.filter((q) => q.sur === '/cse-in/sub-A');
        await a.ackMany('CLONG', subA.slice(0, 100).map((q) => q.seq));
        const r2 = await a.enqueue('CLONG', item('latest-A', { sur: '/cse-in/sub-A', replaceSameSur: true }), WIDE);
        assert.ok(r2.stored);
        assert.equal(r2.replaced, subA.length - 100);

        // a short queue: its live old request delivered, then acknowledged to empty
        const short = await b.peek('CS1', 0, 10);
        assert.deepEqual(short.map((q) => q.request.rqi), ['S1a', 'S1b']);
        await b.ackMany('CS1', short.map((q) => q.seq));
        assert.deepEqual(await a.peek('CS1', 0, 10), []);
        assert.equal(await raw.exists(`${prefix}q:CS1`, `${prefix}sx:CS1`, `${prefix}qm:CS1`), 0);
      } finally {
        await a.close();
        await b.close();
      }
      // a third open finds the layout in place and changes nothing
      const before = await raw.zcard(`${prefix}qx`);
      const c = await opened(redis.url, prefix);
      await c.close();
      assert.equal(await raw.zcard(`${prefix}qx`), before);
    });
  });

  describe('RedisStore: a long backlog of one subscription', { timeout: 120_000 }, () => {
    test('the sur index is one member per request (never a list rewritten whole), and ec=latest, ack and purge stay exact beside 3,000 of them', async () => {
      const prefix = freshPrefix();
      const store = await opened(redis.url, prefix);
      try {
        const A = '/cse-in/cnt-1/sub-A';
        const seqs: number[] = [];
        for (let i = 0; i < 3000; i += 100) {
          const batch = await Promise.all(
            Array.from({ length: 100 }, (_, j) => store.enqueue('CAE1', item(`a${i + j}`, { sur: A, expiresAt: (i + j) % 10 === 0 ? Date.now() + 200 : Date.now() + HOUR }), WIDE)),
          );
          for (const r of batch) if (r.stored) seqs.push(r.seq);
        }
        assert.equal(seqs.length, 3000);
        // the index: a sorted set of 3,000 members, each the sur plus one seq
        assert.equal(await raw.type(`${prefix}sx:CAE1`), 'zset');
        assert.equal(await raw.zcard(`${prefix}sx:CAE1`), 3000);
        const longest = Math.max(...(await raw.zrange(`${prefix}sx:CAE1`, '0', '-1')).map((m) => m.length));
        assert.ok(longest <= A.length + 30, `a member is ${longest} characters`);
        // the admin summary reads it in pages of the summed fields: all 3,000 counted once
        const summary = await store.queueSummary('CAE1');
        assert.equal(summary.messages, 3000);
        assert.equal(summary.bytes, 30_000);
        assert.deepEqual(summary.bySur.map((s) => [s.sur, s.messages, s.bytes]), [[A, 3000, 30_000]]);

        // ec=latest of another sur beside the backlog replaces exactly its own (twice)
        await store.enqueue('CAE1', item('b1', { sur: '/cse-in/sub-B' }), WIDE);
        await store.enqueue('CAE1', item('b2', { sur: '/cse-in/sub-B' }), WIDE);
        const rb = await store.enqueue('CAE1', item('b3', { sur: '/cse-in/sub-B', replaceSameSur: true }), WIDE);
        assert.ok(rb.stored && rb.replaced === 2);
        await raw.config('RESETSTAT');
        const rb2 = await store.enqueue('CAE1', item('b4', { sur: '/cse-in/sub-B', replaceSameSur: true }), WIDE);
        assert.ok(rb2.stored && rb2.replaced === 1);
        // it looked at the one stored request of its sur, not at the 3,000 of the other
        assert.ok((await commandCalls(raw)).get('xrange')! <= 2, 'entries read by one ec=latest enqueue');

        // acknowledging from the middle of the backlog, then the expired ones purged
        const middle = seqs.slice(1000, 1500);
        await store.ackMany('CAE1', middle);
        assert.equal(await raw.zcard(`${prefix}sx:CAE1`), 2500 + 1);
        const expiring = seqs.filter((_, i) => i % 10 === 0 && (i < 1000 || i >= 1500)).length;
        const purged = await store.purgeExpired(Date.now() + 1000);
        assert.equal(purged, expiring);
        assert.equal(await raw.zcard(`${prefix}sx:CAE1`), 2500 - expiring + 1);
        assert.equal(await raw.zcard(`${prefix}qx`), 2500 - expiring + 1);

        // ec=latest for the backlog's sur replaces exactly what is left of it
        const ra = await store.enqueue('CAE1', item('a-latest', { sur: A, replaceSameSur: true }), WIDE);
        assert.ok(ra.stored && ra.replaced === 2500 - expiring);
        assert.deepEqual((await store.peek('CAE1', 0, 10)).map((q) => q.request.rqi), ['b4', 'a-latest']);
        assert.deepEqual(store.queueStats('CAE1'), { messages: 2, bytes: 20 });
      } finally {
        await store.close();
      }
    });
  });

  describe('RedisStore: the stats refresh', { timeout: 120_000 }, () => {
    test("another replica reads 2,500 queued registrees' counters in bounded steps, at open and on every refresh, and sees later changes", async () => {
      const prefix = freshPrefix();
      const a = await opened(redis.url, prefix);
      let b: RedisStore | undefined;
      try {
        for (let n = 0; n < 2500; n += 250) {
          await Promise.all(Array.from({ length: 250 }, (_, j) => a.enqueue(`CR${n + j}`, item(`r${n + j}`, { bytes: 4 }), WIDE)));
        }
        b = await opened(redis.url, prefix);
        assert.equal(b.queuedIds().length, 2500);
        assert.deepEqual(b.totals(), { messages: 2500, bytes: 10_000 });
        assert.deepEqual(b.queueStats('CR7'), { messages: 1, bytes: 4 });
        await raw.config('RESETSTAT');
        // a few refresh rounds of both replicas (nothing else runs meanwhile)
        await waitUntilAsync(async () => ((await commandCalls(raw)).get('sscan') ?? 0) >= 8, 30_000, 'refresh rounds');
        const calls = await commandCalls(raw);
        const scripts = (calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0);
        // one SSCAN step per call: about 1,000 registrees (2 GETs each), never all 2,500 (5,002 GETs) in one
        assert.ok((calls.get('get') ?? 0) / scripts <= 2 * 1500, `${calls.get('get')} GETs in ${scripts} calls`);
        assert.equal(calls.get('sscan'), scripts);
        // what the other replica changes shows up here at a later round
        await a.enqueue('CR-new', item('late', { bytes: 6 }), WIDE);
        await a.dropQueue('CR7');
        const other = b;
        await waitUntil(() => other.queueStats('CR-new').messages === 1 && other.queueStats('CR7').messages === 0, 30_000, 'the refresh');
        assert.deepEqual(other.totals(), { messages: 2500, bytes: 10_002 });
      } finally {
        await a.close();
        await b?.close();
      }
    });
  });

  describe('RedisStore: the purge sweep', { timeout: 120_000 }, () => {
    test('over 1,200 queued registrees it removes exactly the 1,099 expired requests, in a few bounded calls instead of one per registree', async () => {
      const prefix = freshPrefix();
      const store = await opened(redis.url, prefix);
      try {
        const soon = Date.now() + 300;
        for (let n = 0; n < 1200; n += 200) {
          await Promise.all(
            Array.from({ length: 200 }, async (_, j) => {
              const id = `CP${n + j}`;
              await store.enqueue(id, item(`${id}-live`, { sur: '/cse-in/sub-A', bytes: 7 }), WIDE);
              // 1,100 of the registrees also hold one that expires
              if (n + j < 1100) await store.enqueue(id, item(`${id}-old`, { sur: '/cse-in/sub-A', bytes: 3, expiresAt: soon }), WIDE);
            }),
          );
        }
        assert.deepEqual(store.totals(), { messages: 2300, bytes: 1200 * 7 + 1100 * 3 });
        // a dropped queue leaves its expiry entries for the sweep: they are removed, not counted
        await store.dropQueue('CP0');
        await raw.config('RESETSTAT');
        const purged = await store.purgeExpired(soon);
        const calls = await commandCalls(raw);
        assert.equal(purged, 1099);
        assert.deepEqual(store.totals(), { messages: 1199, bytes: 1199 * 7 });
        // left: the 1,199 live ones and CP0's live one, which goes when it comes due
        assert.equal(await raw.zcard(`${prefix}qx`), 1200);
        assert.deepEqual(store.queueStats('CP7'), { messages: 1, bytes: 7 });
        assert.deepEqual((await store.peek('CP7', 0, 10)).map((q) => q.request.rqi), ['CP7-live']);
        assert.equal(calls.get('xdel'), 1099);
        // Scripts the sweep ran: every call but the stats refresh's (one SSCAN inside each) is the sweep's.
        const scripts = (calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0) - (calls.get('sscan') ?? 0);
        // bounded: 100 due requests per call, so 11 calls of 100 and one that finds nothing more
        // (one per queued registree would be 1,200; without the bound, 1)
        assert.equal(calls.get('zrangebyscore'), 12);
        assert.equal(scripts, 12);
        // nothing else is due: the next sweep is one call that removes nothing
        await raw.config('RESETSTAT');
        assert.equal(await store.purgeExpired(soon), 0);
        assert.equal((await commandCalls(raw)).get('zrangebyscore'), 1);
      } finally {
        await store.close();
      }
    });
  });
}
