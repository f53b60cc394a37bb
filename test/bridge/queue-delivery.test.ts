// Issue 14 4(a): a registree with stored requests counts as draining from the
// tick it binds — while the cluster claim is still on its way — so a live
// NOTIFY that arrives meanwhile is stored behind the queue, never sent first.
// The session runs on a socket stand-in (STYLE: session logic testable without sockets).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QueueDelivery } from '../../src/bridge/queue-delivery.js';
import { Registry } from '../../src/bridge/registry.js';
import type { Logger } from 'pino';
import { createLogger, silentLogger } from '../../src/log.js';
import { codecFor } from '../../src/primitive/codecs.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { WsSession } from '../../src/ws/ws-session.js';
import { RecordingSocket } from '../support/recording-socket.js';
import { waitUntil } from '../support/wait.js';

async function setup(stored: number, logger: Logger = silentLogger()) {
  const store = new MemoryStore();
  await store.open();
  const reg = { id: 'Cqueue', key: 'k1', kind: 'ae' as const, createdAt: 0 };
  await store.putRegistration(reg);
  for (let i = 0; i < stored; i++) {
    await store.enqueue(reg.id, { request: { op: 5, to: 'Cqueue', fr: '/id-in', rqi: `q${i}`, rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/s' } } }, bytes: 10, expiresAt: Date.now() + 60_000, replaceSameSur: false }, { maxMessages: 100, maxBytes: 1e6, globalMaxBytes: 1e6 });
  }
  const socket = new RecordingSocket();
  const session = new WsSession(socket, { subprotocol: 'oneM2M.json', serialization: 'json', remoteAddress: '127.0.0.1' }, codecFor('json'), { onRequest: async () => null });
  new Registry(() => undefined).bind(session, reg);
  const delivery = new QueueDelivery({ store, logger, timeoutMs: 1000, window: 64 });
  return { store, socket, session, delivery };
}

test('hold(): draining from the tick of binding, nothing sent until kick()', async () => {
  const { socket, session, delivery } = await setup(2);
  delivery.hold(session);
  assert.equal(delivery.isDraining(session), true);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(delivery.isDraining(session), true, 'still draining while the claim is on its way');
  assert.equal(socket.sent.length, 0);
  delivery.kick(session);
  await waitUntil(() => socket.sent.length === 2, 2000, 'stored requests sent after the kick');
});

test('hold() with nothing stored (local store) stays out of the way of live traffic', async () => {
  const { session, delivery } = await setup(0);
  delivery.hold(session);
  assert.equal(delivery.isDraining(session), false);
  delivery.kick(session);
  assert.equal(delivery.isDraining(session), false);
});

/** The stored requests the fake socket was sent, by rqi, in send order. */
const sentRqis = (socket: RecordingSocket): string[] => socket.sent.map((d) => (JSON.parse(String(d)) as { rqi: string }).rqi);
const answer = (session: WsSession, rqi: string) => session.handleMessage(Buffer.from(JSON.stringify({ rsc: 2000, rqi, rvi: '3' })), false);

/** Counts the store's acknowledgement writes (the real store underneath does the work). */
function countWrites(store: MemoryStore): { writes: number[][] } {
  const seen = { writes: [] as number[][] };
  const ackMany = store.ackMany.bind(store);
  store.ackMany = async (id, seqs) => {
    seen.writes.push([...seqs]);
    return ackMany(id, seqs);
  };
  const ack = store.ack.bind(store);
  store.ack = async (id, seq) => {
    seen.writes.push([seq]);
    return ack(id, seq);
  };
  return seen;
}

test('issue 19: a window answered at once is acknowledged in a few store writes, not one per request', async () => {
  const { store, socket, session, delivery } = await setup(64);
  const seen = countWrites(store);
  delivery.kick(session);
  await waitUntil(() => socket.sent.length === 64, 2000, 'the window sent');
  for (const rqi of sentRqis(socket)) answer(session, rqi);
  await waitUntil(() => store.queueStats('Cqueue').messages === 0, 2000, 'every answered request acknowledged');
  assert.deepEqual(seen.writes.flat(), [...seen.writes.flat()].sort((a, b) => a - b), 'acknowledged in queue order');
  assert.equal(seen.writes.flat().length, 64);
  assert.ok(seen.writes.length < 64 / 4, `${seen.writes.length} store writes for 64 answers`);
});

test('issue 19: batched acknowledgements keep go-back-N: nothing leaves the store before every request ahead of it was answered', async () => {
  const { store, socket, session, delivery } = await setup(8);
  const seen = countWrites(store);
  delivery.kick(session);
  await waitUntil(() => socket.sent.length === 8, 2000, 'the window sent');
  const rqis = sentRqis(socket);
  for (const rqi of rqis.slice(1)) answer(session, rqi);
  // Answers are handled synchronously; give the acknowledgement path every turn it could take.
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen.writes, [], 'the first request is unanswered: nothing acknowledged');
  assert.equal(store.queueStats('Cqueue').messages, 8);
  answer(session, rqis[0]);
  await waitUntil(() => store.queueStats('Cqueue').messages === 0, 2000, 'all acknowledged once the first is answered');
});

test('issue 19: a request stored while the last acknowledgement is being written is delivered in the same binding', async () => {
  const { store, socket, session, delivery } = await setup(1);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const ackMany = store.ackMany.bind(store);
  let writes = 0;
  store.ackMany = async (id, seqs) => {
    writes++;
    await gate;
    return ackMany(id, seqs);
  };
  delivery.kick(session);
  await waitUntil(() => socket.sent.length === 1, 2000, 'the stored request sent');
  answer(session, sentRqis(socket)[0]);
  await waitUntil(() => writes === 1, 2000, 'its acknowledgement under way');
  // The CSE's next NOTIFY is stored behind the queue while the drain is still on (DESIGN 4) and kicks it.
  assert.equal(delivery.isDraining(session), true);
  await store.enqueue('Cqueue', { request: { op: 5, to: 'Cqueue', fr: '/id-in', rqi: 'late', rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/s' } } }, bytes: 10, expiresAt: Date.now() + 60_000, replaceSameSur: false }, { maxMessages: 100, maxBytes: 1e6, globalMaxBytes: 1e6 });
  delivery.kick(session);
  release();
  await waitUntil(() => socket.sent.length === 2, 2000, 'the request stored meanwhile sent');
  assert.equal(sentRqis(socket)[1], 'late');
});

test('issue 19: a request stored and kicked after the drain last looked at the queue, before it ended, is delivered', async () => {
  // The drain's 'stored requests delivered' line is written after its last
  // look at the queue and before it ends: a NOTIFY stored and kicked right
  // then (the downlink kicks once its store write is durable, which may be
  // any moment) must not be left stored until the next binding.
  let late: (() => void) | undefined;
  const logger = createLogger('debug', false, { write: (line: string) => (line.includes('stored requests delivered') ? late?.() : undefined) });
  const { store, socket, session, delivery } = await setup(1, logger);
  let kickedWhileDraining: boolean | undefined;
  late = () => {
    late = undefined;
    void store.enqueue('Cqueue', { request: { op: 5, to: 'Cqueue', fr: '/id-in', rqi: 'late', rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/s' } } }, bytes: 10, expiresAt: Date.now() + 60_000, replaceSameSur: false }, { maxMessages: 100, maxBytes: 1e6, globalMaxBytes: 1e6 });
    kickedWhileDraining = delivery.isDraining(session);
    delivery.kick(session);
  };
  delivery.kick(session);
  await waitUntil(() => socket.sent.length === 1, 2000, 'the stored request sent');
  answer(session, sentRqis(socket)[0]);
  await waitUntil(() => kickedWhileDraining !== undefined, 2000, 'the drain done with the queue');
  assert.equal(kickedWhileDraining, true, 'the kick came while the drain was still on');
  await waitUntil(() => socket.sent.length === 2, 2000, 'the request stored meanwhile sent');
  assert.equal(sentRqis(socket)[1], 'late');
  answer(session, 'late');
  await waitUntil(() => store.queueStats('Cqueue').messages === 0 && !delivery.isDraining(session), 2000, 'the late one acknowledged and the drain ended');
});
