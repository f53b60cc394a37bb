// A registree disappears while the CSE waits for its answer: the CSE gets 5103
// (TARGET_NOT_REACHABLE, the registree is gone), not the 4008 the downlink
// timeout would give (60 s here). The rsc tells the two apart, so no clock is
// read; the suite's timeout only bounds a hang. How fast 5103 comes is a
// figure in bench/churn.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { startCutProxy } from '../support/cut-proxy.js';
import type { CutProxy } from '../support/cut-proxy.js';
import { registerAe } from '../support/register.js';
import type { WsRegistree } from '../support/ws-registree.js';
import { CrashRecorder } from '../fuzz/support.js';

const DOWNLINK_TIMEOUT_MS = 60_000;
/** Keepalive of the half-open case: a peer that misses a pong is dropped at the next ping. */
const PING_INTERVAL_MS = 300;

type Op = 'NOTIFY' | 'retargeted RETRIEVE';

/** Sends `op` down to the AE through the downlink door; the device's handler decides what happens. */
async function downlink(run: Running, aei: string, op: Op, rqi: string): Promise<{ status: number; rsc: string | null; ri: string | null; body: string }> {
  const poa = run.cse.resources.get(aei)?.attributes.poa as string[];
  const key = poa[0].slice(poa[0].indexOf('/r/') + 3);
  const headers: Record<string, string> = { 'x-m2m-ri': rqi, 'x-m2m-origin': '/id-in', 'x-m2m-rvi': '3' };
  let init: RequestInit;
  if (op === 'NOTIFY') {
    headers['content-type'] = 'application/json';
    init = { method: 'POST', headers, body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/sub', nev: { net: 3, rep: { 'm2m:cin': { con: 'x' } } } } }) };
  } else {
    init = { method: 'GET', headers };
  }
  const res = await fetch(`${run.downlinkUrl}/r/${key}/${aei}`, init);
  return { status: res.status, rsc: res.headers.get('x-m2m-rsc'), ri: res.headers.get('x-m2m-ri'), body: await res.text() };
}

function assertGone(r: { status: number; rsc: string | null; ri: string | null; body: string }, rqi: string): void {
  assert.equal(r.rsc, '5103', `HTTP ${r.status}: ${r.body} (4008 would mean the bridge only noticed at the downlink timeout)`);
  assert.equal(r.status, 404);
  assert.equal(r.ri, rqi);
}

describe('fault: the registree vanishes mid-request', { timeout: 4 * DOWNLINK_TIMEOUT_MS }, () => {
  let run: Running;
  let crashes: CrashRecorder;
  before(async () => {
    crashes = new CrashRecorder();
    // keepalive off: only the connection's own end can tell the bridge here
    run = await startBridge({ downlinkTimeoutMs: DOWNLINK_TIMEOUT_MS, pingIntervalMs: 0 });
  });
  after(async () => {
    crashes.stop();
    await run.stop();
    assert.deepEqual(crashes.errors, []);
  });

  for (const how of ['TCP closed (FIN, no close frame)', 'closed (close frame)'] as const) {
    for (const op of ['NOTIFY', 'retargeted RETRIEVE'] as const) {
      test(`a ${op} in flight when the WebSocket is ${how} gets 5103, not the downlink timeout's 4008`, async () => {
        const rn = `vanish${how.slice(0, 3)}${op.slice(0, 4)}`;
        const { ae, aei } = await registerAe(run.wsUrl, rn);
        // the device receives the request and, instead of answering, goes away
        ae.onRequest(() => {
          if (how === 'TCP closed (FIN, no close frame)') ae.ws.terminate();
          else ae.ws.close(1000);
          return null;
        });
        assertGone(await downlink(run, aei, op, `v-${rn}`), `v-${rn}`);
        await ae.closed;
        assert.equal(run.bridge.registry.onlineCount, 0);
      });
    }
  }
});

describe('fault: the registree goes half-open mid-request (no FIN, no RST: it just stops answering)', { timeout: 4 * DOWNLINK_TIMEOUT_MS }, () => {
  let run: Running;
  let crashes: CrashRecorder;
  before(async () => {
    crashes = new CrashRecorder();
    run = await startBridge({ downlinkTimeoutMs: DOWNLINK_TIMEOUT_MS, pingIntervalMs: PING_INTERVAL_MS });
  });
  after(async () => {
    crashes.stop();
    await run.stop();
    assert.deepEqual(crashes.errors, []);
  });

  for (const op of ['NOTIFY', 'retargeted RETRIEVE'] as const) {
    test(`a ${op} in flight when the peer falls silent gets 5103 once the keepalive drops it, not the downlink timeout's 4008`, async () => {
      const proxy: CutProxy = await startCutProxy(run.addresses.public.port);
      let ae: WsRegistree | undefined;
      try {
        const rn = `halfopen${op.slice(0, 4)}`;
        const registered = await registerAe(`ws://127.0.0.1:${proxy.port}/`, rn);
        ae = registered.ae;
        // the request reaches the device; then the path goes silent, and nothing is closed on either side
        ae.onRequest(() => {
          proxy.cut();
          return null;
        });
        assertGone(await downlink(run, registered.aei, op, `h-${rn}`), `h-${rn}`);
        assert.equal(run.bridge.registry.onlineCount, 0);
        // the device's own socket was never closed: the bridge decided alone
        assert.equal(ae.ws.readyState, ae.ws.OPEN);
      } finally {
        ae?.ws.terminate();
        await proxy.close();
      }
    });
  }
});
