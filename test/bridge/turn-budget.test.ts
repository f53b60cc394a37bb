// Issue 19: bounded work per event-loop turn. A TurnBudget lets `perTurn`
// units go on in a turn and the rest in later turns, in arrival order; the
// drain takes a unit per window, so two registrees' windows under a budget of
// one leave in different turns. Real event loop, real ws pair, real lmdb.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { QueueDelivery } from '../../src/bridge/queue-delivery.js';
import { TurnBudget } from '../../src/bridge/turn-budget.js';
import { silentLogger } from '../../src/log.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { answerEvery, boundWsPair, onSocketWrite } from '../support/bound-ws-pair.js';
import { waitUntil } from '../support/wait.js';

/** Counts check phases: started before anything else queues an immediate, so it runs first in each. */
function turnCounter(): { readonly turn: number; stop(): void } {
  let turn = 0;
  let stopped = false;
  const tick = () => {
    turn++;
    if (!stopped) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turn() {
      return turn;
    },
    stop() {
      stopped = true;
    },
  };
}

test('issue 19: 200 units under a budget of 64 per turn go on 64, 64, 64, 8, in arrival order', async () => {
  const turns = turnCounter();
  const budget = new TurnBudget(64);
  const order: number[] = [];
  const turnOf: number[] = [];
  const waits: Array<Promise<void>> = [];
  for (let i = 0; i < 200; i++) {
    const wait = budget.take();
    if (wait === undefined) {
      order.push(i);
      turnOf.push(turns.turn);
    } else {
      waits.push(
        wait.then(() => {
          order.push(i);
          turnOf.push(turns.turn);
        }),
      );
    }
  }
  assert.equal(budget.queued, 136);
  await Promise.all(waits);
  turns.stop();
  assert.deepEqual(order, Array.from({ length: 200 }, (_, i) => i), 'arrival order');
  const perTurn = new Map<number, number>();
  for (const t of turnOf) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
  assert.deepEqual([...perTurn.values()], [64, 64, 64, 8], `units per turn: ${JSON.stringify([...perTurn])}`);
  assert.equal(new Set(turnOf).size, 4, 'four different turns');
});

async function registreeWithStored(t: TestContext, store: LmdbStore, id: string, stored: number) {
  const reg = { id, key: `k-${id}`, kind: 'ae' as const, createdAt: 0 };
  await store.putRegistration(reg);
  for (let i = 0; i < stored; i++) {
    await store.enqueue(id, { request: { op: 5, to: id, fr: '/id-in', rqi: `${id}-${i}`, rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/s', nev: { rep: { con: i } } } } }, bytes: 10, expiresAt: Date.now() + 600_000, replaceSameSur: false }, { maxMessages: 1000, maxBytes: 1e7, globalMaxBytes: 1e8 });
  }
  const pair = await boundWsPair(t, reg);
  answerEvery(pair.client);
  return pair;
}

test('issue 19: under a budget of one unit per turn, two registrees draining at once send their windows in different turns', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-turns-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new LmdbStore(dir);
  await store.open();
  t.after(() => store.close());
  const a = await registreeWithStored(t, store, 'Cturn-a', 5);
  const b = await registreeWithStored(t, store, 'Cturn-b', 5);

  const turns = turnCounter();
  t.after(() => turns.stop());
  // The turn in which each server socket hands its first window to the kernel.
  const firstWrite = new Map<string, number>();
  for (const [name, server] of [['a', a.server], ['b', b.server]] as const) {
    onSocketWrite(server, () => {
      if (!firstWrite.has(name)) firstWrite.set(name, turns.turn);
    });
  }
  const delivery = new QueueDelivery({ store, logger: silentLogger(), timeoutMs: 30_000, window: 64, turns: new TurnBudget(1) });
  delivery.kick(a.session);
  delivery.kick(b.session);
  await waitUntil(() => store.totals().messages === 0 && !delivery.isDraining(a.session) && !delivery.isDraining(b.session), 10_000, 'both queues delivered');
  assert.equal(firstWrite.size, 2);
  assert.notEqual(firstWrite.get('a'), firstWrite.get('b'), `first windows in turns ${JSON.stringify([...firstWrite])}`);
});
