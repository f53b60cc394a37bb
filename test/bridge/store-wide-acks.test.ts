// Issue 19: the acknowledgements of every draining registree go into one
// store write (src/bridge/ack-writer.ts), not one write per registree — and a
// failed write stops the drains it carried, their requests staying stored for
// the next binding (DESIGN 4). Real stores underneath: lmdb in a temp dir,
// a real redis-server (through a proxy that fails the ACK script on demand).
// Sessions run on a socket stand-in (STYLE: session logic testable without sockets).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { QueueDelivery } from '../../src/bridge/queue-delivery.js';
import { Registry } from '../../src/bridge/registry.js';
import { silentLogger } from '../../src/log.js';
import { codecFor } from '../../src/primitive/codecs.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { LUA_ACK } from '../../src/store/redis-scripts.js';
import type { Store } from '../../src/store/store.js';
import { WsSession } from '../../src/ws/ws-session.js';
import { startRedisRewriteProxy } from '../support/redis-rewrite-proxy.js';
import { redisOrSkip } from '../support/redis-server.js';
import { RecordingSocket } from '../support/recording-socket.js';
import { waitUntil } from '../support/wait.js';

const LIMITS = { maxMessages: 1000, maxBytes: 1e7, globalMaxBytes: 1e8 };

async function storeFor(store: Store, id: string, n: number): Promise<void> {
  await store.putRegistration({ id, key: `k-${id}`, kind: 'ae', createdAt: 0 });
  for (let i = 0; i < n; i++) {
    const r = await store.enqueue(id, { request: { op: 5, to: id, fr: '/id-in', rqi: `${id}-${i}`, rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/s' } } }, bytes: 10, expiresAt: Date.now() + 600_000, replaceSameSur: false }, LIMITS);
    assert.equal(r.stored, true);
  }
}

function bound(registry: Registry, id: string): { session: WsSession; socket: RecordingSocket } {
  const socket = new RecordingSocket();
  const session = new WsSession(socket, { subprotocol: 'oneM2M.json', serialization: 'json', remoteAddress: '127.0.0.1' }, codecFor('json'), { onRequest: async () => null });
  registry.bind(session, { id, key: `k-${id}`, kind: 'ae', createdAt: 0 });
  return { session, socket };
}

const rqisOf = (socket: RecordingSocket): string[] => socket.sent.map((d) => (JSON.parse(String(d)) as { rqi: string }).rqi);
const answer = (session: WsSession, rqi: string): void => session.handleMessage(Buffer.from(JSON.stringify({ rsc: 2000, rqi, rvi: '3' })), false);

/** The real store, with every acknowledgement write it is given recorded: the registrees of each, and its outcome. */
function recordingWrites(store: Store): { writes: string[][]; outcomes: Array<Promise<unknown>> } {
  const writes: string[][] = [];
  const outcomes: Array<Promise<unknown>> = [];
  const ackAcross = store.ackAcross.bind(store);
  store.ackAcross = (acks) => {
    writes.push([...acks.keys()]);
    const outcome = ackAcross(acks);
    outcomes.push(outcome.catch((err: unknown) => err));
    return outcome;
  };
  const ackMany = store.ackMany.bind(store);
  store.ackMany = (id, seqs) => {
    writes.push([id]);
    const outcome = ackMany(id, seqs);
    outcomes.push(outcome.catch((err: unknown) => err));
    return outcome;
  };
  return { writes, outcomes };
}

test('issue 19 (lmdb): the acknowledgements of two registrees draining at once land in one store write, one lmdb commit', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-acks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new LmdbStore(dir);
  await store.open();
  t.after(() => store.close());
  await storeFor(store, 'CA', 20);
  await storeFor(store, 'CB', 20);
  const { writes } = recordingWrites(store);
  const registry = new Registry(() => undefined);
  const a = bound(registry, 'CA');
  const b = bound(registry, 'CB');
  const delivery = new QueueDelivery({ store, logger: silentLogger(), timeoutMs: 30_000, window: 64 });
  delivery.kick(a.session);
  delivery.kick(b.session);
  await waitUntil(() => a.socket.sent.length === 20 && b.socket.sent.length === 20, 5000, 'both windows sent');
  const commitsBefore = lastTxnId(store);
  // Both registrees answer their whole window in the same turn (as answers read from many sockets in one poll phase).
  for (const rqi of rqisOf(a.socket)) answer(a.session, rqi);
  for (const rqi of rqisOf(b.socket)) answer(b.session, rqi);
  await waitUntil(() => store.totals().messages === 0 && !delivery.isDraining(a.session) && !delivery.isDraining(b.session), 5000, 'both queues acknowledged and both drains ended');
  assert.deepEqual(writes, [['CA', 'CB']], 'one store write for both registrees');
  assert.equal(lastTxnId(store) - commitsBefore, 1, 'one lmdb commit');
});

/** lmdb's last committed transaction id (the environment's commit counter). */
function lastTxnId(store: LmdbStore): number {
  const handles = (store as unknown as { db: { root: { getStats(): { lastTxnId: number } } } }).db;
  return handles.root.getStats().lastTxnId;
}

const { redis, skip } = await redisOrSkip();
after(() => redis?.stop());

describe('issue 19 (redis): a failing acknowledgement write', { skip }, () => {
  test('stops both drains it carried; what they were sent stays stored and is delivered, in order, at the next binding', async (t) => {
    const ackSha = createHash('sha1').update(LUA_ACK).digest('hex');
    let failAcks = true;
    // The ACK script (EVAL on a connection's first use, EVALSHA after) gets a real Redis error reply instead.
    const proxy = await startRedisRewriteProxy(redis!, (args) => {
      const isAck = (args[0] === 'EVALSHA' && args[1] === ackSha) || (args[0] === 'EVAL' && args[1] === LUA_ACK);
      return failAcks && isAck ? ['EVAL', "return redis.error_reply('ERR injected: ack refused')", '0'] : undefined;
    });
    t.after(() => proxy.close());
    const prefix = `acks-${Date.now()}-${Math.random().toString(36).slice(2)}:`;
    const store = new RedisStore(proxy.url, { prefix, durability: 'applied' });
    await store.open();
    t.after(() => store.close());
    await storeFor(store, 'CA', 12);
    await storeFor(store, 'CB', 12);
    const { writes, outcomes } = recordingWrites(store);
    const registry = new Registry(() => undefined);
    const a = bound(registry, 'CA');
    const b = bound(registry, 'CB');
    // A window of 5: each drain would go on window after window if the failure did not stop it.
    const delivery = new QueueDelivery({ store, logger: silentLogger(), timeoutMs: 30_000, window: 5 });
    delivery.kick(a.session);
    delivery.kick(b.session);
    await waitUntil(() => a.socket.sent.length === 5 && b.socket.sent.length === 5, 5000, 'both first windows sent');
    for (const rqi of rqisOf(a.socket)) answer(a.session, rqi);
    for (const rqi of rqisOf(b.socket)) answer(b.session, rqi);
    await waitUntil(() => outcomes.length === 1, 5000, 'the acknowledgement write');
    const failed = (await outcomes[0]) as ReadonlyMap<string, Error>;
    assert.deepEqual(writes, [['CA', 'CB']], 'one write for both');
    assert.deepEqual([...failed.keys()].sort(), ['CA', 'CB'], 'it failed for both');
    assert.match(String(failed.get('CA')?.message), /ack refused/);
    // The next window was already on its way (sent behind the write); it is the last one.
    for (const s of [a, b]) for (const rqi of rqisOf(s.socket).slice(5)) answer(s.session, rqi);
    await waitUntil(() => !delivery.isDraining(a.session) && !delivery.isDraining(b.session), 5000, 'both drains stopped');
    assert.ok(a.socket.sent.length <= 10, `CA: ${a.socket.sent.length} sent; nothing after the window under way when the write failed`);
    assert.ok(b.socket.sent.length <= 10, `CB: ${b.socket.sent.length} sent; nothing after the window under way when the write failed`);
    assert.equal(writes.length, 1, 'nothing acknowledged after the failed write');
    for (const id of ['CA', 'CB']) {
      assert.deepEqual((await store.peek(id, 0, 100)).map((q) => q.request.rqi), Array.from({ length: 12 }, (_, i) => `${id}-${i}`), `${id}: answered but unacknowledged requests still stored`);
    }

    // Redis writes again; both registrees bind anew: everything is delivered, in order, and leaves the store.
    failAcks = false;
    for (const s of [a.session, b.session]) s.handleClose();
    const a2 = bound(registry, 'CA');
    const b2 = bound(registry, 'CB');
    delivery.kick(a2.session);
    delivery.kick(b2.session);
    for (const [id, s] of [['CA', a2], ['CB', b2]] as const) {
      for (let i = 0; i < 12; i++) {
        await waitUntil(() => s.socket.sent.length > i, 5000, `${id}: request ${i} sent at the next binding`);
        answer(s.session, rqisOf(s.socket)[i]);
      }
      assert.deepEqual(rqisOf(s.socket), Array.from({ length: 12 }, (_, i) => `${id}-${i}`), `${id}: in order`);
    }
    await waitUntil(() => store.queueStats('CA').messages === 0 && store.queueStats('CB').messages === 0, 5000, 'all acknowledged at the next binding');
  });
});
