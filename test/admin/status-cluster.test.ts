// Issue 20: the status page's API in cluster mode (DESIGN 6). Either replica
// lists every replica's registrees from Redis, names the replica holding each
// connection, filters by online state across replicas, and its status says
// which replica it is.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createBridge } from '../../src/bridge/bridge.js';
import type { Bridge, BridgeAddresses } from '../../src/bridge/bridge.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { redisOrSkip } from '../support/redis-server.js';
import { registerAe } from '../support/register.js';
import { waitUntil } from '../support/wait.js';
import type { WsRegistree } from '../support/ws-registree.js';

const { redis, skip } = await redisOrSkip();

interface Row {
  id: string;
  online: boolean;
  replica?: string;
  subprotocol?: string;
}

describe('admin API on two replicas sharing one Redis', { skip }, () => {
  const prefix = `status-${process.pid}:`;
  let cse: FakeCse;
  let a: Bridge;
  let b: Bridge;
  let at: { a: BridgeAddresses; b: BridgeAddresses };
  const aes: WsRegistree[] = [];
  let onA: string;
  let onB: string;
  let gone: string;

  before(async () => {
    cse = await startFakeCse();
    a = createBridge(testConfig(cse.url, { store: redis!.url, redisPrefix: prefix, replicaId: 'A', ownerTtlMs: 1500 }));
    b = createBridge(testConfig(cse.url, { store: redis!.url, redisPrefix: prefix, replicaId: 'B', ownerTtlMs: 1500 }));
    at = { a: await a.start(), b: await b.start() };
    const first = await registerAe(`ws://127.0.0.1:${at.a.public.port}/`, 'on-a');
    const second = await registerAe(`ws://127.0.0.1:${at.b.public.port}/`, 'on-b');
    const third = await registerAe(`ws://127.0.0.1:${at.b.public.port}/`, 'gone');
    aes.push(first.ae, second.ae);
    ({ aei: onA } = first);
    ({ aei: onB } = second);
    ({ aei: gone } = third);
    await third.ae.close();
    await waitUntil(() => b.registry.sessionForId(gone) === undefined, 2000, 'unbound');
  });
  after(async () => {
    for (const ae of aes) await ae.close();
    await a?.stop();
    await b?.stop();
    await cse?.close();
    await redis?.stop();
  });

  test('each replica pages through all three registrees and names the replica holding each connection', async () => {
    for (const [name, door] of [['A', at.a], ['B', at.b]] as const) {
      const admin = `http://127.0.0.1:${door.admin.port}`;
      const first = await request(admin).get('/api/registrees?limit=2').expect(200);
      const link = /^<([^>]+)>; rel="next"$/.exec(String(first.headers.link));
      assert.ok(link, `${name}: a next link after 2 of 3`);
      const second = await request(admin).get(link[1]).expect(200);
      assert.equal(second.headers.link, undefined);
      const rows = [...(first.body as Row[]), ...(second.body as Row[])];
      const byId = new Map(rows.map((r) => [r.id, r]));
      assert.equal(byId.size, 3, name);
      assert.deepEqual([byId.get(onA)?.online, byId.get(onA)?.replica], [true, 'A'], name);
      assert.deepEqual([byId.get(onB)?.online, byId.get(onB)?.replica], [true, 'B'], name);
      assert.deepEqual([byId.get(gone)?.online, byId.get(gone)?.replica], [false, undefined], name);
      // the subprotocol is known where the connection is
      assert.equal(byId.get(name === 'A' ? onA : onB)?.subprotocol, 'oneM2M.json');
      assert.equal(byId.get(name === 'A' ? onB : onA)?.subprotocol, undefined);
    }
  });

  test('online=true and online=false hold across replicas; /api/status names this replica', async () => {
    const admin = `http://127.0.0.1:${at.a.admin.port}`;
    const on = (await request(admin).get('/api/registrees?online=true').expect(200)).body as Row[];
    assert.deepEqual(on.map((r) => r.id).sort(), [onA, onB].sort());
    const off = (await request(admin).get('/api/registrees?online=false').expect(200)).body as Row[];
    assert.deepEqual(off.map((r) => r.id), [gone]);
    const status = (await request(admin).get('/api/status').expect(200)).body;
    assert.equal(status.replica, 'A');
    assert.equal(status.clustered, true);
    assert.equal(status.store.up, true);
    assert.deepEqual(status.connections.bySubprotocol, { 'oneM2M.json': 1 });
  });
});
