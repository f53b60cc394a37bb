// The keepalive sweep visits every connection once per pass, a slice per
// event-loop turn, so other work runs between slices however many there are.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeepaliveSweep } from '../../src/ws/keepalive-sweep.js';
import { waitUntil } from '../support/wait.js';

function sweepOver(items: Set<number>, slice: number, log: Array<number | string>): KeepaliveSweep<number> {
  return new KeepaliveSweep({ items: () => items, visit: (i) => log.push(i), slice });
}

test('a pass visits every connection once, a slice per turn, and lets other work run between slices', async () => {
  const items = new Set(Array.from({ length: 1250 }, (_, i) => i));
  const log: Array<number | string> = [];
  const sweep = sweepOver(items, 500, log);
  sweep.start();
  // Queued behind the second slice (the first one ran inside start()): runs before the third.
  setImmediate(() => log.push('other work'));
  await waitUntil(() => !sweep.running, 5000, 'the pass to end');
  const visited = log.filter((x): x is number => typeof x === 'number');
  assert.deepEqual(visited, [...items]);
  assert.equal(sweep.turns, 3);
  assert.equal(log.indexOf('other work'), 1000, 'the other work ran between the second and the third slice');
});

test('a pass started while one runs does not start a second one', async () => {
  const items = new Set(Array.from({ length: 1200 }, (_, i) => i));
  const log: Array<number | string> = [];
  const sweep = sweepOver(items, 100, log);
  sweep.start();
  sweep.start();
  setImmediate(() => sweep.start());
  await waitUntil(() => !sweep.running, 5000, 'the pass to end');
  assert.deepEqual(log, [...items]);
});

test('connections gone during a pass are not visited; stop() ends a pass', async () => {
  const items = new Set(Array.from({ length: 300 }, (_, i) => i));
  const log: Array<number | string> = [];
  const sweep = sweepOver(items, 100, log);
  sweep.start();
  for (let i = 150; i < 200; i++) items.delete(i);
  await waitUntil(() => !sweep.running, 5000, 'the pass to end');
  assert.equal(log.length, 250);
  assert.ok(!log.includes(170));

  log.length = 0;
  sweep.start();
  sweep.stop();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(log.length, 100, 'only the first slice ran');
  assert.equal(sweep.running, false);
});
