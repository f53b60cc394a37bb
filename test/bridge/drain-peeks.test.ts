// Issue 19: a drain whose peek returned less than a window and sent all of it
// stops without a second, empty peek (10k of them in a reconnect storm); a
// request stored while that window waits for its answers is still delivered in
// the same binding (the kick that follows its enqueue makes the drain look
// again). Real ws pair (test/support/bound-ws-pair.ts), real lmdb store;
// peeks counted by a wrapper that forwards to it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { QueueDelivery } from '../../src/bridge/queue-delivery.js';
import { silentLogger } from '../../src/log.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import type { Store } from '../../src/store/store.js';
import { answerEvery, boundWsPair } from '../support/bound-ws-pair.js';
import { waitUntil } from '../support/wait.js';

const LIMITS = { maxMessages: 1000, maxBytes: 1e7, globalMaxBytes: 1e8 };

function notify(id: string, rqi: string) {
  return { request: { op: 5, to: id, fr: '/id-in', rqi, rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/s', nev: { rep: { con: rqi } } } } }, bytes: 10, expiresAt: Date.now() + 600_000, replaceSameSur: false };
}

async function setup(t: TestContext, stored: number, maxDownlinkInflight = 1000) {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-peeks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const lmdb = new LmdbStore(dir);
  await lmdb.open();
  t.after(() => lmdb.close());
  let peeks = 0;
  // Every call goes to the real store; peek is counted on its way.
  const store = new Proxy(lmdb, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop === 'peek') return (...args: Parameters<Store['peek']>) => (peeks++, target.peek(...args));
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const reg = { id: 'Cpeek', key: 'k-peek', kind: 'ae' as const, createdAt: 0 };
  await lmdb.putRegistration(reg);
  for (let i = 0; i < stored; i++) await lmdb.enqueue(reg.id, notify(reg.id, `s${i}`), LIMITS);
  const { client, session } = await boundWsPair(t, reg, { maxInFlight: 100, rateLimit: 0, maxDownlinkInflight, maxDownlinkBufferedBytes: 8 * 1024 * 1024, maxUnboundMessageBytes: 65536 });
  const delivery = new QueueDelivery({ store: store as Store, logger: silentLogger(), timeoutMs: 30_000, window: 64 });
  return { lmdb, reg, client, session, delivery, peeks: () => peeks };
}

test('issue 19: 10 stored under a window of 64: one peek, all delivered in order', async (t) => {
  const { lmdb, client, session, delivery, peeks } = await setup(t, 10);
  const rqis = answerEvery(client);
  delivery.kick(session);
  await waitUntil(() => lmdb.totals().messages === 0 && !delivery.isDraining(session), 10_000, 'the 10 delivered and acknowledged');
  assert.deepEqual(rqis, Array.from({ length: 10 }, (_, i) => `s${i}`));
  assert.equal(peeks(), 1, 'no second, empty peek');
});

test('issue 19: a request stored while the short window waits for its answers is delivered in the same binding', async (t) => {
  const { lmdb, reg, client, session, delivery, peeks } = await setup(t, 3);
  const rqis: string[] = [];
  const held: string[] = [];
  let holding = true;
  client.on('message', (data: Buffer) => {
    const rqi = (JSON.parse(data.toString('utf8')) as { rqi: string }).rqi;
    rqis.push(rqi);
    if (holding) held.push(rqi);
    else client.send(JSON.stringify({ rsc: 2000, rqi, rvi: '3' }));
  });
  delivery.kick(session);
  await waitUntil(() => held.length === 3, 10_000, 'the first window (3) sent');
  // Stored the way the downlink stores for a registree whose queue drains: enqueue, then kick.
  await lmdb.enqueue(reg.id, notify(reg.id, 'late'), LIMITS);
  delivery.kick(session);
  holding = false;
  for (const rqi of held) client.send(JSON.stringify({ rsc: 2000, rqi, rvi: '3' }));
  await waitUntil(() => lmdb.totals().messages === 0 && !delivery.isDraining(session), 10_000, 'the late one delivered too');
  assert.deepEqual(rqis, ['s0', 's1', 's2', 'late']);
  assert.equal(peeks(), 2, 'looked again once, for the late one');
});

test('issue 13 with issue 19: a short window cut by --max-downlink-inflight is not taken for the end of the queue', async (t) => {
  const { lmdb, client, session, delivery } = await setup(t, 5, 2);
  const rqis = answerEvery(client);
  delivery.kick(session);
  await waitUntil(() => lmdb.totals().messages === 0 && !delivery.isDraining(session), 10_000, 'all 5 delivered in this binding, 2 at a time');
  assert.deepEqual(rqis, ['s0', 's1', 's2', 's3', 's4']);
});
