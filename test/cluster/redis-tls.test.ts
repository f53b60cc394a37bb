// --store rediss://: TLS to Redis, the server's certificate checked against
// --redis-ca (a private CA), for the store and the cluster connections alike.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBridge } from '../../src/bridge/bridge.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { redisOrSkip } from '../support/redis-server.js';
import { registerAe } from '../support/register.js';

const TLS = resolve('test/fixtures/tls');
const { redis, skip } = await redisOrSkip({ tls: { cert: join(TLS, 'server.pem'), key: join(TLS, 'server-key.pem') } });

describe('cluster on rediss://', { skip }, () => {
  let cse: FakeCse;
  before(async () => {
    cse = await startFakeCse();
  });
  after(async () => {
    await cse?.close();
    await redis?.stop();
  });

  test('with --redis-ca the bridge connects over TLS and keeps registrations in Redis', async () => {
    assert.match(redis!.url, /^rediss:\/\//);
    const bridge = createBridge(testConfig(cse.url, { store: redis!.url, redisPrefix: 'tls:', redisCa: join(TLS, 'ca.pem'), replicaId: 'T' }));
    const at = await bridge.start();
    try {
      const { ae, aei } = await registerAe(`ws://127.0.0.1:${at.public.port}/`, 'overTls');
      await ae.close();
      assert.equal((await bridge.store.getRegistration(aei))?.id, aei);
    } finally {
      await bridge.stop();
    }
  });

  test('without the CA the start fails on the untrusted certificate', async () => {
    const bridge = createBridge(testConfig(cse.url, { store: redis!.url, redisPrefix: 'tls:' }));
    await assert.rejects(bridge.start(), /certificate|self.signed|unable to verify/i);
  });
});
