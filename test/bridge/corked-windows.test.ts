// Issue 19: a drain sends each window of stored requests in one socket write
// (the session corks the socket for the window), and the order holds across
// windows; issue 13: what is corked counts as unsent, so a window stops at
// --max-downlink-buffered. Real sockets (test/support/bound-ws-pair.ts), a
// real lmdb store.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { QueueDelivery } from '../../src/bridge/queue-delivery.js';
import { silentLogger } from '../../src/log.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { answerEvery, boundWsPair, onSocketWrite } from '../support/bound-ws-pair.js';
import { waitUntil } from '../support/wait.js';

const WINDOW = 64;

async function storeWith(t: TestContext, id: string, stored: number, con: (i: number) => string, bytes: number) {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-cork-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new LmdbStore(dir);
  await store.open();
  t.after(() => store.close());
  const reg = { id, key: `k-${id}`, kind: 'ae' as const, createdAt: 0 };
  await store.putRegistration(reg);
  for (let i = 0; i < stored; i++) {
    await store.enqueue(reg.id, { request: { op: 5, to: reg.id, fr: '/id-in', rqi: `${id}-${i}`, rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/s', nev: { rep: { con: con(i) } } } } }, bytes, expiresAt: Date.now() + 600_000, replaceSameSur: false }, { maxMessages: 1000, maxBytes: 1e7, globalMaxBytes: 1e8 });
  }
  return { store, reg };
}

test('issue 19: each window of stored requests leaves in one socket write; 150 stored arrive in order over three corked windows', async (t) => {
  const STORED = 150;
  const { store, reg } = await storeWith(t, 'Ccork', STORED, (i) => 'x'.repeat(i % 300), 10);
  const { client, server, session } = await boundWsPair(t, reg);
  const rqis = answerEvery(client);
  let writes = 0;
  onSocketWrite(server, () => writes++);
  const delivery = new QueueDelivery({ store, logger: silentLogger(), timeoutMs: 30_000, window: WINDOW });
  delivery.kick(session);
  await waitUntil(() => store.totals().messages === 0 && !delivery.isDraining(session), 10_000, 'every stored request delivered and acknowledged');
  assert.deepEqual(rqis, Array.from({ length: STORED }, (_, i) => `Ccork-${i}`), 'in queue order');
  assert.equal(writes, Math.ceil(STORED / WINDOW), `${writes} socket writes for ${Math.ceil(STORED / WINDOW)} windows`);
});

test('issue 13 with issue 19: a corked window stops at --max-downlink-buffered; what is corked counts as unsent', async (t) => {
  // 20 stored requests of about 1 KiB each; the cap is 2,500 bytes.
  const CAP = 2500;
  const { store, reg } = await storeWith(t, 'Ccap', 20, () => 'y'.repeat(1000), 1100);
  const limits = { maxInFlight: 100, rateLimit: 0, maxDownlinkInflight: 1000, maxDownlinkBufferedBytes: CAP, maxUnboundMessageBytes: 65536 };
  const { client, server, session } = await boundWsPair(t, reg, limits);
  const rqis = answerEvery(client);
  // The largest number of bytes handed to the kernel in one write.
  let largestWrite = 0;
  onSocketWrite(server, (chunks) => (largestWrite = Math.max(largestWrite, chunks.reduce((n, c) => n + c.length, 0))));
  const delivery = new QueueDelivery({ store, logger: silentLogger(), timeoutMs: 30_000, window: WINDOW });
  delivery.kick(session);
  await waitUntil(() => store.totals().messages === 0 && !delivery.isDraining(session), 10_000, 'every stored request delivered and acknowledged');
  assert.deepEqual(rqis, Array.from({ length: 20 }, (_, i) => `Ccap-${i}`), 'in queue order');
  // A request is written only while at most CAP bytes are unsent, so a window holds at most CAP plus one request.
  assert.ok(largestWrite > 0, 'windows were written');
  assert.ok(largestWrite <= CAP + 1200, `one write carried ${largestWrite} bytes: more than --max-downlink-buffered (${CAP}) plus one request`);
});
