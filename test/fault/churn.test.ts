// Connection churn against one bridge: many connect / register / drop cycles
// leave no connection, binding, socket or timer behind. Counters only; the
// test's timeout just bounds a hang. Cycles per second and heap growth are
// figures, measured by bench/churn.ts (docs/benchmarks.md), not asserted here.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';
import type { JsonObject } from '../../src/primitive/types.js';
import { CrashRecorder, RawClient } from '../fuzz/support.js';

/** Enough for a leak per cycle to show in the counters; bench/churn.ts runs 10,000. */
const CYCLES = Number(process.env.CHURN_CYCLES ?? 1000);
/** Parallel lanes of cycles (a handful of devices reconnecting at once). */
const LANES = 4;

function handles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
}

let rqi = 0;
async function request(c: RawClient, req: JsonObject): Promise<number> {
  const id = `churn-${++rqi}`;
  c.send(JSON.stringify({ rvi: '3', ...req, rqi: id }), false);
  await c.waitFor(() => c.responsesTo(id).length > 0, 10_000, `answer to ${id}`);
  const rsp = c.responsesTo(id)[0];
  assert.ok(rsp !== undefined, `connection closed before ${id} was answered: ${JSON.stringify(c.closeInfo)}`);
  return rsp.rsc;
}

/** One device life: connect, register, then one of three ways to go. */
async function cycle(wsUrl: string, i: number): Promise<void> {
  const c = await RawClient.connect(wsUrl, 'oneM2M.json');
  const id = `churn-${++rqi}`;
  c.send(JSON.stringify({ op: 1, to: 'cse-in', fr: 'C', rqi: id, rvi: '3', ty: 2, pc: { 'm2m:ae': { rn: `ch${i}`, api: 'Nchurn', rr: true, srv: ['3'] } } }), false);
  await c.waitFor(() => c.responsesTo(id).length > 0, 10_000, `registration ${i}`);
  const reg = c.responsesTo(id)[0];
  assert.equal(reg?.rsc, 2001, JSON.stringify(reg));
  const aei = (reg.pc?.['m2m:ae'] as JsonObject).aei as string;
  switch (i % 3) {
    case 0: // deregister, then a clean close
      assert.equal(await request(c, { op: 4, to: `cse-in/ch${i}`, fr: aei }), 2002);
      c.ws.close(1000);
      await c.closed;
      break;
    case 1: // deregister, then the network vanishes
      assert.equal(await request(c, { op: 4, to: `cse-in/ch${i}`, fr: aei }), 2002);
      await c.close();
      break;
    default: // stays registered (offline), the network vanishes
      await c.close();
  }
}

describe('fault: connection churn', () => {
  let run: Running;
  let crashes: CrashRecorder;
  before(async () => {
    crashes = new CrashRecorder();
    run = await startBridge({ pingIntervalMs: 0 });
  });
  after(async () => {
    crashes.stop();
    await run.stop();
  });

  test(`${CYCLES} connect/register/drop cycles leave no connections, bindings, sockets or timers behind`, { timeout: 300_000 }, async (t) => {
    // warm-up: pools, JIT, lazily created timers
    for (let i = 0; i < 30; i++) await cycle(run.wsUrl, -1 - i);
    await waitUntil(() => run.bridge.connectionCount() === 0 && run.bridge.registry.onlineCount === 0, 10_000, 'warm-up connections to go');
    const baseHandles = handles();

    let next = 0;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next < CYCLES) await cycle(run.wsUrl, next++);
      }),
    );

    await waitUntil(() => run.bridge.connectionCount() === 0 && run.bridge.registry.onlineCount === 0, 10_000, 'every connection to go');
    assert.equal(run.bridge.connectionCount(), 0);
    assert.equal(run.bridge.registry.onlineCount, 0);
    // sockets and timers: back near the baseline (keep-alive sockets to the CSE may differ by a few)
    await waitUntil(() => handles() <= baseHandles + 8, 10_000, `handles back near ${baseHandles} (now ${handles()})`);
    // what legitimately stays: a third of the AEs stay registered (bridge store and fake CSE, same process)
    const registered = (await run.bridge.store.listRegistrations()).length;
    t.diagnostic(`${CYCLES} cycles, ${LANES} lanes; handles ${baseHandles} → ${handles()}; ${registered} registrations kept`);
    assert.ok(registered <= Math.ceil(CYCLES / 3) + 30, `${registered} registrations kept`);
    assert.deepEqual(crashes.errors, []);
  });
});
