// What the ownership refresh costs Redis (issue 19): the commands a round runs
// do not grow with the idle registrees a replica holds. Counted with INFO
// commandstats on a redis-server of this file's own (commands run inside a
// script count one by one), never timed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisCluster } from '../../src/cluster/redis-cluster.js';
import { silentLogger } from '../../src/log.js';
import { redisOrSkip } from '../support/redis-server.js';

const { redis, skip } = await redisOrSkip();

/** Commands Redis ran so far, INFO itself left out. */
async function commandsRun(raw: Redis): Promise<number> {
  let n = 0;
  for (const m of (await raw.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) if (m[1] !== 'info') n += Number(m[2]);
  return n;
}

describe('ownership refresh cost', { skip }, () => {
  let raw: Redis;
  before(() => {
    raw = new Redis(redis!.url);
  });
  after(async () => {
    raw?.disconnect();
    await redis?.stop();
  });

  /** Commands three refresh rounds run on a replica holding `n` idle registrees. */
  async function roundsCost(n: number): Promise<number> {
    // A long TTL: only the rounds this test runs refresh anything.
    const cluster = new RedisCluster({ url: redis!.url, prefix: `cost-${n}:`, replicaId: 'A', ownerTtlMs: 600_000, logger: silentLogger() });
    await cluster.start({ deliver: async (_id, req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' }), release: () => undefined, kick: () => undefined });
    try {
      for (let i = 0; i < n; i++) await cluster.claim(`Cidle${i}`);
      // The first round after the claims (script loading included) is not counted.
      await cluster.refreshOwnership();
      const before = await commandsRun(raw);
      for (let r = 0; r < 3; r++) await cluster.refreshOwnership();
      return (await commandsRun(raw)) - before;
    } finally {
      await cluster.stop();
    }
  }

  test('three refresh rounds cost 200 idle registrees no more commands than 2 (same order, not 100 times more)', async () => {
    const few = await roundsCost(2);
    const many = await roundsCost(200);
    assert.ok(few > 0, 'a round runs at least its lease command');
    // Every idle registree refreshed each round: at least 2 × 200 × 3 commands.
    assert.ok(many <= 2 * few, `200 registrees: ${many} commands, 2 registrees: ${few}`);
  });
});
