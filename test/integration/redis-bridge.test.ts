// --store redis://: registrations and stored notifications live in Redis and
// survive the bridge process: the next process on the same Redis delivers them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { createBridge } from '../../src/bridge/bridge.js';
import type { BridgeAddresses } from '../../src/bridge/bridge.js';
import type { JsonObject } from '../../src/primitive/types.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { redisOrSkip } from '../support/redis-server.js';
import { registerAe } from '../support/register.js';
import { waitUntil } from '../support/wait.js';
import { WsRegistree } from '../support/ws-registree.js';

const { redis, skip } = await redisOrSkip();

describe('bridge on the redis store', { skip, timeout: 30_000 }, () => {
  let cse: FakeCse;
  before(async () => {
    cse = await startFakeCse();
  });
  after(async () => {
    await cse.close();
    await redis?.stop();
  });

  test('a notification stored by one bridge process is delivered by the next one on the same Redis', async () => {
    const prefix = `it-${process.pid}-${Date.now()}:`;
    const start = async (): Promise<{ stop(): Promise<void>; at: BridgeAddresses }> => {
      const bridge = createBridge(testConfig(cse.url, { store: redis!.url, redisPrefix: prefix }));
      const at = await bridge.start();
      return { stop: () => bridge.stop(), at };
    };
    const first = await start();
    const { ae, aei } = await registerAe(`ws://127.0.0.1:${first.at.public.port}/`, 'redisAE');
    const rsp = await ae.request({ op: 2, to: 'cse-in/redisAE', fr: aei });
    const poa = ((rsp.pc?.['m2m:ae'] as JsonObject).poa as string[])[0];
    const key = /\/r\/([^/]+)$/.exec(poa)?.[1] as string;
    await ae.close();
    const stored = await request(`http://127.0.0.1:${first.at.downlink.port}/r/${key}/${aei}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'redis-1', 'x-m2m-rvi': '3' },
      body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/s' } }),
    });
    assert.equal(stored.headers['x-m2m-rsc'], '1000');
    await stored.body.dump();
    await first.stop();

    const second = await start();
    try {
      const back = await WsRegistree.connect(`ws://127.0.0.1:${second.at.public.port}/`, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
      const got = await back.waitForReceived(1);
      assert.equal(got[0].rqi, 'redis-1');
      await waitUntil(() => back.received.length === 1, 1000, 'one delivery');
      await back.close();
    } finally {
      await second.stop();
    }
  });

  test('a registree that deletes its own <AE> while the store is down gets the CSE\'s 2002, not a store error', async () => {
    const { startRedis } = await import('../support/redis-server.js');
    const own = await startRedis();
    const bridge = createBridge(testConfig(cse.url, { store: own.url, redisPrefix: `dereg-${process.pid}:` }));
    const at = await bridge.start();
    try {
      const { ae, aei } = await registerAe(`ws://127.0.0.1:${at.public.port}/`, 'deregAE');
      await own.down();
      const rsp = await ae.request({ op: 4, to: 'cse-in/deregAE', fr: aei });
      assert.equal(rsp.rsc, 2002);
      assert.equal(bridge.registry.sessionForId(aei), undefined);
      await ae.close();
    } finally {
      await own.up();
      // Stop once the bridge is back on Redis: closing a connection still reconnecting races ioredis.
      await waitUntil(() => bridge.store.available() && bridge.cluster.available(), 10_000, 'bridge back on Redis');
      await bridge.stop();
      await own.stop();
    }
  });
});
