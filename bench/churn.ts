// Figures that used to be thresholds inside tests (issue 16: no clock or
// memory limits in tests). The tests prove the behaviour (nothing left behind,
// the failure arrives, the right rsc); this measures how much and how fast:
//   - churn: connect/register/drop cycles per second and the JS heap growth
//     after them (was test/fault/churn.test.ts, heap < 20 MiB);
//   - registree vanishes: time from the device going away (FIN) to the CSE's
//     5103 (was test/fault/registree-vanishes.test.ts, below the downlink timeout);
//   - Redis down at open(): time until BRIDGE_ERR_STORE (was
//     test/store/redis-store.test.ts, < 3000 ms; needs redis-server on PATH).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { BridgeError } from '../src/errors.js';
import type { JsonObject } from '../src/primitive/types.js';
import { RedisStore } from '../src/store/redis-store.js';
import { RawClient } from '../test/fuzz/support.js';
import { startBridge } from '../test/support/harness.js';
import { registerAe } from '../test/support/register.js';
import { redisUnavailable, startRedis } from '../test/support/redis-server.js';
import { waitUntil } from '../test/support/wait.js';

const CYCLES = Number(process.env.BENCH_CHURN_CYCLES ?? 10_000);
const LANES = 4;
const VANISH_ROUNDS = Number(process.env.BENCH_VANISH_ROUNDS ?? 20);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

let rqi = 0;
async function answer(c: RawClient, req: JsonObject): Promise<number> {
  const id = `churn-${++rqi}`;
  c.send(JSON.stringify({ rvi: '3', ...req, rqi: id }), false);
  await c.waitFor(() => c.responsesTo(id).length > 0, 30_000, `answer to ${id}`);
  return c.responsesTo(id)[0]?.rsc ?? -1;
}

async function cycle(wsUrl: string, i: number): Promise<void> {
  const c = await RawClient.connect(wsUrl, 'oneM2M.json');
  const reg = await answer(c, { op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: `ch${i}`, api: 'Nchurn', rr: true, srv: ['3'] } } });
  if (reg !== 2001) throw new Error(`registration ${i}: rsc ${reg}`);
  if (i % 3 !== 2) await answer(c, { op: 4, to: `cse-in/ch${i}`, fr: `Cch${i}` });
  if (i % 3 === 0) {
    c.ws.close(1000);
    await c.closed;
  } else await c.close();
}

async function churn(): Promise<void> {
  const run = await startBridge({ pingIntervalMs: 0 });
  try {
    for (let i = 0; i < 30; i++) await cycle(run.wsUrl, -1 - i);
    await waitUntil(() => run.bridge.connectionCount() === 0, 30_000, 'warm-up connections to go');
    run.cse.requests.length = 0;
    const baseHeap = heapUsed();
    const started = process.hrtime.bigint();
    let next = 0;
    await Promise.all(Array.from({ length: LANES }, async () => {
      while (next < CYCLES) await cycle(run.wsUrl, next++);
    }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await waitUntil(() => run.bridge.connectionCount() === 0, 30_000, 'every connection to go');
    run.cse.requests.length = 0;
    const growth = heapUsed() - baseHeap;
    console.log(`churn              ${CYCLES} connect/register/drop cycles (${LANES} lanes): ${(CYCLES / seconds).toFixed(0)} cycles/s; JS heap +${(growth / 2 ** 20).toFixed(1)} MiB after them (bridge and fake CSE in one process; a third of the AEs stay registered)`);
  } finally {
    await run.stop();
  }
}

async function vanish(): Promise<void> {
  const run = await startBridge({ downlinkTimeoutMs: 60_000 });
  const times: number[] = [];
  try {
    for (let i = 0; i < VANISH_ROUNDS; i++) {
      const { ae, aei } = await registerAe(run.wsUrl, `vanish${i}`);
      const key = run.bridge.registry.sessionForId(aei)?.registration?.key as string;
      let gone = 0n;
      ae.onRequest(() => {
        gone = process.hrtime.bigint();
        ae.ws.close(1000);
        return null;
      });
      const res = await fetch(`${run.downlinkUrl}/r/${key}/${aei}`, { method: 'GET', headers: { 'x-m2m-ri': `v${i}`, 'x-m2m-origin': '/id-in', 'x-m2m-rvi': '3' } });
      await res.text();
      if (res.headers.get('x-m2m-rsc') !== '5103') throw new Error(`vanish ${i}: rsc ${res.headers.get('x-m2m-rsc')}`);
      times.push(Number(process.hrtime.bigint() - gone) / 1e6);
      await ae.closed;
    }
  } finally {
    await run.stop();
  }
  times.sort((a, b) => a - b);
  console.log(`registree vanishes ${VANISH_ROUNDS} in-flight RETRIEVEs, device closes: 5103 after p50 ${times[Math.floor(times.length / 2)].toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms (downlink timeout 60 s)`);
}

async function redisDownAtOpen(): Promise<void> {
  const why = redisUnavailable();
  if (why !== undefined) {
    console.log(`redis down at open skipped: ${why}`);
    return;
  }
  const down = await startRedis();
  await down.stop();
  const store = new RedisStore(down.url, { prefix: 'bench-down:' });
  const t0 = process.hrtime.bigint();
  try {
    await store.open();
    throw new Error('open() succeeded on a stopped redis-server');
  } catch (err) {
    if (!(err instanceof BridgeError) || err.code !== 'BRIDGE_ERR_STORE') throw err;
  }
  console.log(`redis down at open BRIDGE_ERR_STORE after ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`);
  await store.close();
}

await churn();
await vanish();
await redisDownAtOpen();
