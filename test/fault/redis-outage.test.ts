// Issue 13.5: Redis dies while the CSE keeps sending notifications for an
// offline registree. Every request still gets one answer — stored (1000)
// before, 5103 TARGET_NOT_REACHABLE after, never 5000 — and the log gets a
// line per kind of failure and second with a count, not a line per request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { request } from 'undici';
import { createBridge } from '../../src/bridge/bridge.js';
import type { Bridge, BridgeAddresses } from '../../src/bridge/bridge.js';
import type { JsonObject } from '../../src/primitive/types.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { redisOrSkip } from '../support/redis-server.js';
import { registerAe } from '../support/register.js';
import { waitUntil, waitUntilAsync } from '../support/wait.js';

const { redis, skip } = await redisOrSkip();

interface LogLine {
  level: number;
  msg: string;
  count?: number;
  [field: string]: unknown;
}

describe('Redis dies under a stream of requests', { skip, timeout: 60_000 }, () => {
  const logs: LogLine[] = [];
  let cse: FakeCse;
  let bridge: Bridge;
  let at: BridgeAddresses;
  let key: string;
  let aei: string;

  before(async () => {
    cse = await startFakeCse();
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
    bridge = createBridge(testConfig(cse.url, { store: redis!.url, redisPrefix: `outage-${process.pid}:` }), { logger });
    at = await bridge.start();
    const reg = await registerAe(`ws://127.0.0.1:${at.public.port}/`, 'outage');
    aei = reg.aei;
    const rsp = await reg.ae.request({ op: 2, to: 'cse-in/outage', fr: aei });
    key = /\/r\/([^/]+)$/.exec(((rsp.pc?.['m2m:ae'] as JsonObject).poa as string[])[0])?.[1] as string;
    await reg.ae.close(); // offline: its notifications are stored
  });
  after(async () => {
    await bridge?.stop();
    await cse?.close();
    await redis?.stop();
  });

  let n = 0;
  const notify = async (): Promise<number> => {
    const res = await request(`http://127.0.0.1:${at.downlink.port}/r/${key}/${aei}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': `n-${++n}`, 'x-m2m-rvi': '3' },
      body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/sub-outage', nev: { net: 3, rep: { 'm2m:cin': { con: n } } } } }),
    });
    await res.body.dump();
    return Number(res.headers['x-m2m-rsc']);
  };

  test('answers are 1000 or 5103, never 5000, and the store failures take a bounded number of log lines with their count', async () => {
    const before = await notify();
    assert.equal(before, 1000, 'stored while Redis is up');
    const rscs: number[] = [];
    let killed: Promise<void> | undefined;
    let failedAfterKill = 0;
    const FAILURES = 300;
    // Four senders keep requests in flight while Redis goes down underneath them.
    await Promise.all([1, 2, 3, 4].map(async () => {
      while (failedAfterKill < FAILURES) {
        const rsc = await notify();
        rscs.push(rsc);
        if (rscs.length === 20) killed = redis!.crash();
        if (killed !== undefined && rsc === 5103) failedAfterKill++;
      }
    }));
    await killed;
    const other = rscs.filter((rsc) => rsc !== 1000 && rsc !== 5103);
    assert.deepEqual(other, [], `only 1000 and 5103, got ${other.join(', ')}`);
    const unreachable = rscs.filter((rsc) => rsc === 5103).length;
    assert.ok(unreachable >= FAILURES);

    // Every failure is counted in some line, each at most once: the lines' counts add up.
    const storeLines = () => logs.filter((l) => l.level >= 50 && typeof l.count === 'number');
    const counted = () => storeLines().reduce((sum, l) => sum + (l.count ?? 0), 0);
    await waitUntil(() => counted() >= unreachable, 10_000, `log counts reaching ${unreachable}`);
    assert.equal(counted(), unreachable, JSON.stringify(storeLines(), null, 1));
    // ...in a handful of lines: not one per request.
    const errors = logs.filter((l) => l.level >= 50);
    assert.ok(errors.length <= FAILURES / 10, `${errors.length} error lines for ${unreachable} failed requests:\n${errors.map((l) => JSON.stringify(l)).join('\n')}`);
  });

  test('when Redis is back, notifications are stored again', async () => {
    await redis!.up();
    // ioredis reconnects on its own schedule: ask until it has (the test's timeout bounds it).
    let rsc = await notify();
    await waitUntilAsync(async () => (rsc = await notify()) !== 5103, 20_000, 'a NOTIFY stored again');
    assert.equal(rsc, 1000);
  });
});
