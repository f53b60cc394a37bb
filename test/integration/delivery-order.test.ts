// Issue 14: online means online, order always holds, rt=5 gets no answer.
// A registree reconnecting with a backlog answers its stored NOTIFYs slowly;
// meanwhile the CSE verifies a new subscription and retargets a RETRIEVE —
// both reach it. A stored request that is not answered blocks the ones
// behind it. rt=5 is answered 204 without oneM2M headers as soon as it is
// written or stored, and a stored one leaves the store once written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import type { JsonObject, RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { offlineAe, registerAe } from '../support/register.js';
import { waitUntil } from '../support/wait.js';
import { WsRegistree } from '../support/ws-registree.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BridgeConfig } from '../../src/config/config.js';
import { redisOrSkip } from '../support/redis-server.js';

// Everything above holds on every store (issue 14).
const { redis } = await redisOrSkip();
const lmdbDirs: string[] = [];
after(async () => {
  await redis?.stop();
  for (const dir of lmdbDirs) rmSync(dir, { recursive: true, force: true });
});
let prefixes = 0;
const STORES: Array<[string, () => Partial<BridgeConfig>]> = [
  ['memory', () => ({ store: 'memory' })],
  ['lmdb', () => ({ store: `lmdb:${lmdbDirs[lmdbDirs.push(mkdtempSync(join(tmpdir(), 'bridge-order-'))) - 1]}` })],
  ...(redis === undefined ? [] : [['redis', () => ({ store: redis.url, redisPrefix: `order-${process.pid}-${++prefixes}:` })] as [string, () => Partial<BridgeConfig>]]),
];

interface HttpAnswer {
  status: number;
  rsc: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** A request from the CSE to the downlink door. */
async function toRegistree(run: Running, key: string, target: string, rqi: string, options: { method?: string; body?: JsonObject; query?: string } = {}): Promise<HttpAnswer> {
  const res = await request(`${run.downlinkUrl}/r/${key}/${target}${options.query ?? ''}`, {
    method: (options.method ?? 'POST') as 'POST',
    headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': rqi, 'x-m2m-rvi': '3' },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  await res.body.dump();
  return { status: res.statusCode, rsc: res.headers['x-m2m-rsc'] as string | undefined, headers: res.headers };
}

const sgn = (n: number): JsonObject => ({ 'm2m:sgn': { sur: '/id-in/sub1', nev: { net: 3, rep: { 'm2m:cin': { con: String(n) } } } } });
const conOf = (req: RequestPrimitive): string => String((((req.pc?.['m2m:sgn'] as JsonObject).nev as JsonObject).rep as JsonObject)['m2m:cin'] === undefined ? '' : ((((req.pc?.['m2m:sgn'] as JsonObject).nev as JsonObject).rep as JsonObject)['m2m:cin'] as JsonObject).con);
const ok = (req: RequestPrimitive): ResponsePrimitive => ({ rsc: 2000, rqi: req.rqi, rvi: req.rvi ?? '3' });

for (const [storeName, storeConfig] of STORES) {
  describe(`delivery while a backlog drains (${storeName})`, { timeout: 30_000 }, () => {
    let run: Running;
    before(async () => {
      run = await startBridge({ ...storeConfig(),  downlinkTimeoutMs: 5000 });
    });
    after(() => run.stop());

    test('a verification request and a retargeted RETRIEVE reach a registree that is still answering its backlog', async () => {
      const { aei, key } = await offlineAe(run, 'backlog');
      assert.equal((await toRegistree(run, key, aei, 'stored-1', { body: sgn(1) })).rsc, '1000');
      let release: () => void = () => undefined;
      const slow = new Promise<void>((resolve) => (release = resolve));
      const back = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', {
        headers: { 'X-M2M-Origin': aei },
        // The stored NOTIFY is answered only when the test says so; everything else at once.
        onRequest: async (req) => {
          if (req.rqi === 'stored-1') await slow;
          return ok(req);
        },
      });
      await back.waitForReceived(1);
      const verification = await toRegistree(run, key, aei, 'verify-1', { body: { 'm2m:sgn': { vrq: true, sur: '/id-in/sub2', cr: aei } } });
      assert.equal(verification.rsc, '2000');
      const retrieve = await toRegistree(run, key, `${aei}`, 'retrieve-1', { method: 'GET' });
      assert.equal(retrieve.rsc, '2000');
      assert.deepEqual(back.received.map((r) => r.rqi), ['stored-1', 'verify-1', 'retrieve-1']);
      release();
      await waitUntil(() => run.bridge.store.queueStats(aei).messages === 0, 5000, 'backlog delivered');
      await back.close();
    });
  });

  describe(`order after a failed delivery (${storeName})`, { timeout: 30_000 }, () => {
    let run: Running;
    before(async () => {
      // Long enough that #1's answer, under load, is never the one that times out.
      run = await startBridge({ ...storeConfig(),  downlinkTimeoutMs: 2000 });
    });
    after(() => run.stop());

    test('the second of five stored requests times out once: nothing overtakes it, the registree sees 1..5 in order', async () => {
      const { aei, key } = await offlineAe(run, 'ordered');
      for (let n = 1; n <= 5; n++) assert.equal((await toRegistree(run, key, aei, `o-${n}`, { body: sgn(n) })).rsc, '1000');
      // First binding: #2 is never answered.
      const first = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei }, onRequest: (req) => (req.rqi === 'o-2' ? null : ok(req)) });
      const closed = await first.closed;
      assert.equal(closed.code, 1008);
      assert.deepEqual(first.received.map(conOf), ['1', '2', '3', '4', '5']);
      // The queue resumes with #2, and #3..#5 follow it again (at-least-once, never before it).
      // #1 leaves the store once its acknowledgement is written (a Redis round
      // trip, with WAITAOF, that may still be under way when the close arrives).
      await waitUntil(() => run.bridge.store.queueStats(aei).messages <= 4, 5000, '#1 acknowledged');
      assert.equal(run.bridge.store.queueStats(aei).messages, 4);
      const live = toRegistree(run, key, aei, 'o-6', { body: sgn(6) });
      const second = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
      await live;
      await waitUntil(() => second.received.length >= 5, 5000, 'the rest delivered');
      assert.deepEqual(second.received.map(conOf), ['2', '3', '4', '5', '6']);
      await waitUntil(() => run.bridge.store.queueStats(aei).messages === 0, 5000, 'queue empty');
      await second.close();
    });
  });

  describe(`rt=5 (noResponse) (${storeName})`, { timeout: 30_000 }, () => {
    let run: Running;
    before(async () => {
      run = await startBridge({ ...storeConfig(),  downlinkTimeoutMs: 5000 });
    });
    after(() => run.stop());

    test('online: written, and the CSE gets 204 without oneM2M headers at once, though the registree never answers', async () => {
      const { ae, aei } = await registerAe(run.wsUrl, 'silent');
      const key = run.bridge.registry.sessionForId(aei)?.registration?.key as string;
      ae.onRequest(() => null);
      const answer = await toRegistree(run, key, aei, 'rt5-online', { body: sgn(1), query: '?rt=5' });
      assert.equal(answer.status, 204);
      assert.equal(answer.rsc, undefined);
      assert.equal(answer.headers['x-m2m-ri'], undefined);
      const [got] = await ae.waitForReceived(1);
      assert.equal(got.rqi, 'rt5-online');
      await ae.close();
    });

    test('offline: stored with 204, written at the next binding and gone from the store without an answer', async () => {
      const { aei, key } = await offlineAe(run, 'silentOffline');
      const answer = await toRegistree(run, key, aei, 'rt5-offline', { body: sgn(2), query: '?rt=5' });
      assert.equal(answer.status, 204);
      assert.equal(answer.rsc, undefined);
      assert.equal(run.bridge.store.queueStats(aei).messages, 1);
      const back = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei }, onRequest: () => null });
      const [got] = await back.waitForReceived(1);
      assert.equal(got.rqi, 'rt5-offline');
      await waitUntil(() => run.bridge.store.queueStats(aei).messages === 0, 5000, 'removed once written');
      await back.close();
    });
  });

  describe(`queue caps count bytes (${storeName})`, { timeout: 30_000 }, () => {
    let run: Running;
    before(async () => {
      run = await startBridge({ ...storeConfig(),  queueMaxBytes: 600 });
    });
    after(() => run.stop());

    test('a NOTIFY of 200 three-byte characters weighs over 600 bytes, not 200 units: refused', async () => {
      const { aei, key } = await offlineAe(run, 'bytes');
      const wide = { 'm2m:sgn': { sur: '/id-in/sub1', nev: { net: 3, rep: { 'm2m:cin': { con: '€'.repeat(200) } } } } };
      const answer = await toRegistree(run, key, aei, 'wide', { body: wide });
      assert.equal(answer.rsc, '5103');
      assert.equal(run.bridge.store.queueStats(aei).messages, 0);
    });
  });
}
