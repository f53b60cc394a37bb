// Which records a refresh round checks (src/cluster/refresh-plan.ts, issue 19).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RefreshPlan } from '../../src/cluster/refresh-plan.js';

const owning = (n: number, epoch = 1) => new Map<string, number>(Array.from({ length: n }, (_, i) => [`C${i}`, epoch]));
const none = new Map<string, number>();

describe('RefreshPlan', () => {
  test('an idle fleet: each round checks a slice, and every record once in `rounds` rounds', () => {
    const plan = new RefreshPlan(10);
    const owned = owning(95);
    const seen: string[] = [];
    for (let r = 0; r < 10; r++) {
      const ids = plan.next(owned, none, false);
      assert.ok(ids.length <= 10, `round ${r}: ${ids.length}`);
      seen.push(...ids);
    }
    assert.deepEqual([...seen].sort(), [...owned.keys()].sort());
    // The next sweep starts over.
    assert.deepEqual(plan.next(owned, none, false), ['C0', 'C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8', 'C9']);
  });

  test('IDs another claim named are checked at the next round, once, and only while held here', () => {
    const plan = new RefreshPlan(1000);
    const owned = owning(3000);
    plan.next(owned, none, false);
    plan.suspect(['C2500', 'Cnot-mine']);
    assert.ok(plan.next(owned, none, false).includes('C2500'));
    assert.ok(!plan.next(owned, none, false).includes('C2500'));
  });

  test('a suspect under a claim of ours waits for a round after it', () => {
    const plan = new RefreshPlan(1000);
    const owned = owning(3000);
    plan.next(owned, none, false);
    plan.suspect(['C2999']);
    assert.ok(!plan.next(owned, new Map([['C2999', 1]]), false).includes('C2999'));
    assert.ok(plan.next(owned, none, false).includes('C2999'));
  });

  test('claims Redis never answered (epoch 0) are in every round until recorded', () => {
    const plan = new RefreshPlan(1000);
    const owned = owning(3000);
    owned.set('Clate', 0);
    assert.ok(plan.next(owned, none, false).includes('Clate'));
    assert.ok(plan.next(owned, none, false).includes('Clate'));
    owned.set('Clate', 7);
    assert.ok(!plan.next(owned, none, false).includes('Clate'));
  });

  test('a lapsed lease: every record not under a claim of ours', () => {
    const plan = new RefreshPlan(1000);
    const owned = owning(50);
    const ids = plan.next(owned, new Map([['C7', 1]]), true);
    assert.equal(ids.length, 49);
    assert.ok(!ids.includes('C7'));
  });
});
