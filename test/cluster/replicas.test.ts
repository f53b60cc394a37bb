// Issue 7 / DESIGN 6: three bridge processes on one Redis behave as one
// bridge. The CSE reaches them through a TCP balancer (a Kubernetes Service),
// so its requests land on whichever replica the balancer picks, and
// registrees connect to whichever replica they like.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { request } from 'undici';
import type { JsonObject, RequestPrimitive } from '../../src/primitive/types.js';
import { spawnBridge } from '../support/bridge-process.js';
import type { BridgeProcess } from '../support/bridge-process.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { startRedisGate } from '../support/redis-gate.js';
import type { RedisGate } from '../support/redis-gate.js';
import { redisOrSkip } from '../support/redis-server.js';
import { registerAe, subscribe } from '../support/register.js';
import { startTcpBalancer } from '../support/tcp-balancer.js';
import type { TcpBalancer } from '../support/tcp-balancer.js';
import { waitUntil, waitUntilAsync } from '../support/wait.js';
import { WsRegistree } from '../support/ws-registree.js';

const { redis, skip } = await redisOrSkip();

function con(req: RequestPrimitive): unknown {
  const rep = ((req.pc?.['m2m:sgn'] as JsonObject).nev as JsonObject).rep as JsonObject;
  return (rep['m2m:cin'] as JsonObject).con;
}

async function metric(replica: BridgeProcess, line: string): Promise<number> {
  const res = await request(`http://127.0.0.1:${replica.ports.admin}/metrics`);
  const text = await res.body.text();
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

describe('three replicas on one Redis', { skip }, () => {
  let cse: FakeCse;
  let balancer: TcpBalancer;
  /** Between replica A and Redis: holds back what A's connections send or receive, on demand. */
  let gate: RedisGate;
  let raw: Redis;
  const prefix = `cluster-${process.pid}:`;
  const replicas = new Map<string, BridgeProcess>();
  const ws = (name: string) => `ws://127.0.0.1:${replicas.get(name)!.ports.public}/`;
  const downlinkPort = (name: string) => replicas.get(name)!.ports.downlink;

  before(async () => {
    cse = await startFakeCse();
    balancer = await startTcpBalancer();
    gate = await startRedisGate(redis!.port);
    raw = new Redis(redis!.url);
    const started = await Promise.all(
      ['A', 'B', 'C'].map((name) =>
        spawnBridge([
          '--upstream', cse.url,
          '--store', name === 'A' ? gate.url : redis!.url, '--redis-prefix', prefix,
          '--replica-id', name, '--owner-ttl', '3s',
          '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
          // Every replica puts the balancer into poa: the CSE's requests land anywhere.
          '--downlink-url', `http://127.0.0.1:${balancer.port}`,
          '--downlink-timeout', '2s',
        ]),
      ),
    );
    ['A', 'B', 'C'].forEach((name, i) => replicas.set(name, started[i]));
  });
  after(async () => {
    for (const r of replicas.values()) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGTERM');
    await Promise.all([...replicas.values()].map((r) => r.exited));
    raw?.disconnect();
    await gate?.close();
    await balancer?.close();
    await cse?.close();
    await redis?.stop();
  });

  test('a notification arriving at a replica that does not hold the registree reaches it through the owner and its answer goes back to the CSE', { timeout: 20_000 }, async () => {
    balancer.setTargets([downlinkPort('B')]);
    const { ae, aei } = await registerAe(ws('A'), 'roamer');
    try {
      await subscribe(ae, aei, 'roamer');
      await cse.createContentInstance('cse-in/roamer/data', 'via-B');
      const [got] = await ae.waitForReceived(1);
      assert.equal(con(got), 'via-B');
      await cse.idle();
      const sent = cse.notifications.filter((n) => n.target === aei);
      assert.deepEqual(sent.map((n) => [n.kind, n.rsc]), [['notification', 2000]]);
      assert.equal(await metric(replicas.get('B')!, 'onem2m_bridge_cluster_routes_total{outcome="answered"}'), 1);
      // Any replica's admin API says where the registree is connected.
      const res = await request(`http://127.0.0.1:${replicas.get('B')!.ports.admin}/api/registrees/${encodeURIComponent(aei)}`);
      const view = (await res.body.json()) as { online: boolean; replica?: string };
      assert.deepEqual([view.online, view.replica], [true, 'A']);
    } finally {
      await ae.close();
    }
  });

  test('binding a registree on another replica closes its older connection with 4000: one connection per registree, cluster-wide', { timeout: 20_000 }, async () => {
    const { ae: first, aei } = await registerAe(ws('A'), 'twice');
    await subscribe(first, aei, 'twice');
    const second = await WsRegistree.connect(ws('C'), 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    try {
      const closed = await first.closed;
      assert.equal(closed.code, 4000);
      // The CSE's next request, landing on B, goes to C now.
      balancer.setTargets([downlinkPort('B')]);
      await cse.createContentInstance('cse-in/twice/data', 'to-C');
      const [got] = await second.waitForReceived(1);
      assert.equal(con(got), 'to-C');
      assert.equal(first.received.length, 0);
    } finally {
      await second.close();
    }
  });

  test('a binding on another replica that ends at once does not leave the older connection open: the owner\'s refresh closes it (issue 14 4b)', { timeout: 20_000 }, async () => {
    const { ae: first, aei } = await registerAe(ws('A'), 'fenced');
    const owner = async () => raw.get(`${prefix}owner:${aei}`);
    const until = (what: string, check: () => Promise<boolean>) => waitUntilAsync(check, 10_000, what);
    await until('A recorded as owner', async () => (await owner()) === 'A');
    // Nothing A sends runs in Redis, and B's "release" message to A waits at
    // the gate, until B's binding has come and gone.
    gate.hold('commands');
    gate.hold('messages');
    const second = await WsRegistree.connect(ws('B'), 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    await waitUntil(() => gate.heldBytes > 0, 10_000, 'the release message for A');
    await second.close();
    await until('B gone from the record', async () => (await owner()) !== 'B');
    // A's next refresh runs now, before A hears of B's claim.
    gate.open('commands');
    let closed = false;
    const outcome = await Promise.race([
      first.closed.then((c) => {
        closed = true;
        return c.code;
      }),
      until('the record naming A again', async () => closed || (await owner()) === 'A').then(() => 'the refresh put A back in the record: the old connection stays'),
    ]);
    assert.equal(outcome, 4000);
    assert.equal(await owner(), null);
    gate.open();
  });

  test('after the owning replica is killed, notifications are stored and the replica the registree reconnects to delivers them in order', { timeout: 20_000 }, async () => {
    balancer.setTargets([downlinkPort('B')]);
    const { ae, aei } = await registerAe(ws('A'), 'survivor');
    await subscribe(ae, aei, 'survivor');
    const a = replicas.get('A')!;
    a.proc.kill('SIGKILL');
    await a.exited;
    await ae.closed;
    // A's ownership record lives until its TTL, but nobody listens on A's channel:
    // B stores (1000) instead of waiting for an answer that cannot come.
    for (const c of ['k1', 'k2', 'k3']) await cse.createContentInstance('cse-in/survivor/data', c);
    await cse.idle();
    const stored = cse.notifications.filter((n) => n.target === aei && n.kind === 'notification');
    assert.deepEqual(stored.map((n) => n.rsc), [1000, 1000, 1000]);
    assert.ok((await metric(replicas.get('B')!, 'onem2m_bridge_cluster_routes_total{outcome="no_owner"}')) >= 1);

    const back = await WsRegistree.connect(ws('C'), 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    try {
      const got = await back.waitForReceived(3);
      assert.deepEqual(got.map(con), ['k1', 'k2', 'k3']);
      // Live again, through B and C.
      await cse.createContentInstance('cse-in/survivor/data', 'k4');
      await back.waitForReceived(4);
      assert.equal(con(back.received[3]), 'k4');
    } finally {
      await back.close();
    }
  });

  test('a replica killed in the middle of delivering a queue loses nothing: the next binding gets every unanswered request again, in order', { timeout: 20_000 }, async () => {
    balancer.setTargets([downlinkPort('C')]);
    const { ae, aei } = await registerAe(ws('B'), 'drained');
    await subscribe(ae, aei, 'drained');
    await ae.close();
    const cons = Array.from({ length: 10 }, (_, i) => `m${i}`);
    for (const c of cons) await cse.createContentInstance('cse-in/drained/data', c);
    await cse.idle();
    assert.equal(cse.notifications.filter((n) => n.target === aei && n.kind === 'notification' && n.rsc === 1000).length, 10);

    // Bound on B: answers the first three, then goes silent while B delivers.
    let answered = 0;
    const partial = await WsRegistree.connect(ws('B'), 'oneM2M.json', {
      headers: { 'X-M2M-Origin': aei },
      onRequest: (req) => (answered++ < 3 ? { rsc: 2000, rqi: req.rqi, rvi: req.rvi ?? '3' } : null),
    });
    await partial.waitForReceived(4);
    const answeredCons = partial.received.slice(0, 3).map(con);
    assert.deepEqual(answeredCons, ['m0', 'm1', 'm2']);
    // Once B removed the three answered requests from Redis (its stream holds 7), kill it.
    await waitUntilAsync(async () => (await raw.xlen(`${prefix}q:${aei}`)) === 7, 10_000, 'B to remove the three answered requests');
    const b = replicas.get('B')!;
    b.proc.kill('SIGKILL');
    await b.exited;
    await partial.closed;

    const rest = await WsRegistree.connect(ws('C'), 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    try {
      const got = await rest.waitForReceived(7);
      assert.deepEqual(got.map(con), cons.slice(3));
      // Every delivered request was removed from Redis (C's gauge follows its own acks).
      await waitUntilAsync(async () => (await metric(replicas.get('C')!, 'onem2m_bridge_queue_messages')) === 0, 10_000, 'the queue to be empty after the drain');
    } finally {
      await rest.close();
    }
  });
});
