// The registrees gauge's "bound anywhere" in cluster mode (issue 19): each
// replica publishes how many registrees it holds in its lease, and a reader
// sums the live replicas' counts, instead of SCANning every owner:<id> record
// once a minute per replica. A replica whose lease lapses stops counting.
// Command counts from INFO commandstats, never timed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { ClusterHandlers } from '../../src/cluster/cluster.js';
import { RedisCluster } from '../../src/cluster/redis-cluster.js';
import { silentLogger } from '../../src/log.js';
import { startRedisGate } from '../support/redis-gate.js';
import { redisOrSkip } from '../support/redis-server.js';
import { waitUntilAsync } from '../support/wait.js';

const { redis, skip } = await redisOrSkip();

const handlers: ClusterHandlers = { deliver: async (_id, req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' }), release: () => undefined, kick: () => undefined };

/** Calls of each command Redis ran so far (commands inside a script count one by one). */
async function commandStats(raw: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of (await raw.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) out.set(m[1], Number(m[2]));
  return out;
}

describe('bound count across replicas', { skip, timeout: 60_000 }, () => {
  let raw: Redis;
  let prefixes = 0;
  const running: RedisCluster[] = [];
  before(() => {
    raw = new Redis(redis!.url);
  });
  after(async () => {
    for (const c of running) await c.stop();
    raw?.disconnect();
    await redis?.stop();
  });

  async function replica(name: string, prefix: string, options: { url?: string; ownerTtlMs?: number } = {}): Promise<RedisCluster> {
    const c = new RedisCluster({ url: options.url ?? redis!.url, prefix, replicaId: name, ownerTtlMs: options.ownerTtlMs ?? 1500, logger: silentLogger() });
    await c.start(handlers);
    running.push(c);
    return c;
  }

  const counted = (c: RedisCluster, n: number, what: string) => waitUntilAsync(async () => (await c.boundCount()) === n, 15_000, what);

  test('each replica counts its own registrees and the others\'; a replica whose lease lapses stops counting, one that stops goes at once', async () => {
    const p = `bc${prefixes++}:`;
    const gate = await startRedisGate(redis!.port);
    try {
      const a = await replica('A', p, { url: gate.url });
      const b = await replica('B', p);
      const c = await replica('C', p);
      for (const id of ['Ca1', 'Ca2', 'Ca3']) await a.claim(id);
      for (const id of ['Cb1', 'Cb2']) await b.claim(id);
      await c.claim('Cc1');
      // Published with each lease round (a third of --owner-ttl).
      await counted(a, 6, 'A to count 3 + 2 + 1');
      await counted(b, 6, 'B to count 3 + 2 + 1');
      await b.release('Cb2');
      await counted(a, 5, 'A to see B release one');
      // A hangs: nothing it sends reaches Redis, its lease lapses, its registrees count no more.
      gate.hold('commands');
      await counted(b, 2, 'B to stop counting A after its lease lapsed');
      // C says goodbye: its count goes with its lease at once.
      await c.stop();
      assert.equal(await b.boundCount(), 1);
      // A comes back: its next round publishes its count again.
      gate.open('commands');
      await counted(b, 4, 'B to count A again after its lease runs again');
    } finally {
      await gate.close();
    }
  });

  test('a gauge refresh costs the same commands for 10 and 1000 bound registrees, and no SCAN', async () => {
    /** Commands one boundCount() on B runs while A holds `n` registrees. */
    async function readCost(n: number): Promise<{ total: number; scans: number; seen: number }> {
      const p = `bccost${prefixes++}:`;
      // A long TTL: no lease round runs while commands are counted.
      const a = await replica('A', p, { ownerTtlMs: 600_000 });
      const b = await replica('B', p, { ownerTtlMs: 600_000 });
      await Promise.all(Array.from({ length: n }, (_, i) => a.claim(`Cbound${i}`)));
      await a.refreshOwnership();
      await b.boundCount(); // script loaded before counting
      const before = await commandStats(raw);
      const seen = (await b.boundCount())!;
      const afterStats = await commandStats(raw);
      let total = 0;
      for (const [cmd, calls] of afterStats) if (cmd !== 'info') total += calls - (before.get(cmd) ?? 0);
      await a.stop();
      await b.stop();
      return { total, scans: (afterStats.get('scan') ?? 0) - (before.get('scan') ?? 0), seen };
    }
    const few = await readCost(10);
    const many = await readCost(1000);
    assert.equal(few.seen, 10);
    assert.equal(many.seen, 1000);
    assert.equal(many.scans, 0, 'no SCAN');
    assert.equal(many.total, few.total, `1000 registrees: ${many.total} commands, 10: ${few.total}`);
  });
});
