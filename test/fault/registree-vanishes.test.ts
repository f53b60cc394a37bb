// A registree disappears while the CSE waits for its answer: the CSE gets 5103
// at once, not after --downlink-timeout (60 s here; the test's own bound is far lower).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { CrashRecorder } from '../fuzz/support.js';

const DOWNLINK_TIMEOUT_MS = 60_000;

describe('fault: the registree vanishes mid-request', () => {
  let run: Running;
  let crashes: CrashRecorder;
  before(async () => {
    crashes = new CrashRecorder();
    run = await startBridge({ downlinkTimeoutMs: DOWNLINK_TIMEOUT_MS });
  });
  after(async () => {
    crashes.stop();
    await run.stop();
    assert.deepEqual(crashes.errors, []);
  });

  for (const how of ['terminated (TCP gone)', 'closed (close frame)'] as const) {
    for (const op of ['NOTIFY', 'retargeted RETRIEVE'] as const) {
      test(`a ${op} in flight when the WebSocket is ${how} gets 5103 before the downlink timeout`, async () => {
        const rn = `vanish${how.slice(0, 4)}${op.slice(0, 4)}`;
        const { ae, aei } = await registerAe(run.wsUrl, rn);
        const poa = run.cse.resources.get(aei)?.attributes.poa as string[];
        const key = poa[0].slice(poa[0].indexOf('/r/') + 3);
        // the device receives the request and, instead of answering, goes away
        ae.onRequest(() => {
          if (how === 'terminated (TCP gone)') ae.ws.terminate();
          else ae.ws.close(1000);
          return null;
        });
        const headers: Record<string, string> = { 'x-m2m-ri': `v-${rn}`, 'x-m2m-origin': '/id-in', 'x-m2m-rvi': '3' };
        let init: RequestInit;
        if (op === 'NOTIFY') {
          headers['content-type'] = 'application/json';
          init = { method: 'POST', headers, body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/sub', nev: { net: 3, rep: { 'm2m:cin': { con: 'x' } } } } }) };
        } else {
          init = { method: 'GET', headers };
        }
        // bounds a hang only: far below the 60 s downlink timeout
        const res = await fetch(`${run.downlinkUrl}/r/${key}/${aei}`, { ...init, signal: AbortSignal.timeout(DOWNLINK_TIMEOUT_MS / 4) });
        const body = await res.text();
        assert.equal(res.headers.get('x-m2m-rsc'), '5103', `HTTP ${res.status}: ${body}`);
        assert.equal(res.status, 404);
        assert.equal(res.headers.get('x-m2m-ri'), `v-${rn}`);
        await ae.closed;
        assert.equal(run.bridge.registry.onlineCount, 0);
      });
    }
  }
});
