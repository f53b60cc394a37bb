// Issue 14 4(a): a registree with stored requests counts as draining from the
// tick it binds — while the cluster claim is still on its way — so a live
// NOTIFY that arrives meanwhile is stored behind the queue, never sent first.
// The session runs on a socket stand-in (STYLE: session logic testable without sockets).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QueueDelivery } from '../../src/bridge/queue-delivery.js';
import { Registry } from '../../src/bridge/registry.js';
import { silentLogger } from '../../src/log.js';
import { codecFor } from '../../src/primitive/codecs.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { WsSession } from '../../src/ws/ws-session.js';
import type { WebSocketLike } from '../../src/ws/ws-session.js';
import { waitUntil } from '../support/wait.js';

class FakeSocket implements WebSocketLike {
  sent: Array<Buffer | string> = [];
  bufferedAmount = 0;
  send(data: Buffer | string): void {
    this.sent.push(data);
  }
  close(): void {}
  terminate(): void {}
}

async function setup(stored: number) {
  const store = new MemoryStore();
  await store.open();
  const reg = { id: 'Cqueue', key: 'k1', kind: 'ae' as const, createdAt: 0 };
  await store.putRegistration(reg);
  for (let i = 0; i < stored; i++) {
    await store.enqueue(reg.id, { request: { op: 5, to: 'Cqueue', fr: '/id-in', rqi: `q${i}`, rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/s' } } }, bytes: 10, expiresAt: Date.now() + 60_000, replaceSameSur: false }, { maxMessages: 100, maxBytes: 1e6, globalMaxBytes: 1e6 });
  }
  const socket = new FakeSocket();
  const session = new WsSession(socket, { subprotocol: 'oneM2M.json', serialization: 'json', remoteAddress: '127.0.0.1' }, codecFor('json'), { onRequest: async () => null });
  new Registry(() => undefined).bind(session, reg);
  const delivery = new QueueDelivery({ store, logger: silentLogger(), timeoutMs: 1000, window: 64 });
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
