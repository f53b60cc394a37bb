// Issue 16: stopping a replica while its Redis connections are coming back
// must not leave a rejected promise nobody handles. Seen once as a file-level
// failure of downlink-readiness.test.ts under load ("Connection is closed."):
// the subscriber connection reconnects, SUBSCRIBEs again, and the bridge
// quits before Redis's answer arrives; the SUBSCRIBE is then rejected. Here
// the gate holds that answer back, so the stop always lands in that window.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';
import { request } from 'undici';
import { createBridge } from '../../src/bridge/bridge.js';
import type { ClusterHandlers } from '../../src/cluster/cluster.js';
import { RedisCluster } from '../../src/cluster/redis-cluster.js';
import { silentLogger } from '../../src/log.js';
import { startFakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { startRedisGate } from '../support/redis-gate.js';
import type { RedisGate } from '../support/redis-gate.js';
import { redisOrSkip } from '../support/redis-server.js';
import { waitUntil, waitUntilAsync } from '../support/wait.js';

const { redis, skip } = await redisOrSkip();

/** Rejections no handler took, collected while the process keeps running. */
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

/** One turn of the event loop: Node reports unhandled rejections after the microtasks of a tick. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const describeReason = (r: unknown) => (r instanceof Error ? `${r.message} (${(r as { command?: { name?: string } }).command?.name ?? 'no command'})` : String(r));

/** Redis goes away behind the gate and comes back with the answers to subscribers held: a re-SUBSCRIBE is then in flight. */
async function resubscribeInFlight(gate: RedisGate, down: () => Promise<boolean>): Promise<void> {
  gate.cut();
  await waitUntilAsync(down, 10_000, 'the connections to Redis lost');
  gate.hold('messages');
  gate.mend();
  await waitUntil(() => gate.heldBytes > 0, 10_000, 'the answer to the re-SUBSCRIBE held at the gate');
}

describe('stopping while the subscriber connection resubscribes', { skip }, () => {
  beforeEach(() => {
    unhandled.length = 0;
  });
  after(async () => {
    await redis?.stop();
  });

  test('RedisCluster.stop() leaves no unhandled rejection behind', async () => {
    const gate = await startRedisGate(redis!.port);
    const cluster = new RedisCluster({ url: gate.url, prefix: `stoprej-${process.pid}-1:`, replicaId: 'A', ownerTtlMs: 60_000, logger: silentLogger() });
    const handlers: ClusterHandlers = { deliver: async (_id, req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' }), release: () => undefined, kick: () => undefined };
    try {
      await cluster.start(handlers);
      await resubscribeInFlight(gate, async () => !cluster.available());
      await cluster.stop();
      await nextTurn();
      assert.deepEqual(unhandled.map(describeReason), []);
    } finally {
      await gate.close();
    }
  });

  test('a bridge in cluster mode stops without an unhandled rejection', async () => {
    const gate = await startRedisGate(redis!.port);
    const cse = await startFakeCse();
    const bridge = createBridge(testConfig(cse.url, { store: gate.url, redisPrefix: `stoprej-${process.pid}-2:`, replicaId: 'A' }));
    try {
      const at = await bridge.start();
      const readyz = async () => {
        const res = await request(`http://127.0.0.1:${at.admin.port}/readyz`);
        await res.body.dump();
        return res.statusCode;
      };
      await resubscribeInFlight(gate, async () => (await readyz()) === 503);
      await bridge.stop();
      await nextTurn();
      assert.deepEqual(unhandled.map(describeReason), []);
    } finally {
      await cse.close();
      await gate.close();
    }
  });
});
