// DESIGN 4: what the CSE sends while a registree is away is kept and
// delivered, in order, when it is back (TS-0020 6.5).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import type { JsonObject, RequestPrimitive } from '../../src/primitive/types.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { offlineAe, registerAe, subscribe } from '../support/register.js';
import { waitUntil, waitUntilAsync } from '../support/wait.js';
import { WsRegistree } from '../support/ws-registree.js';

function sgn(req: RequestPrimitive): JsonObject {
  return req.pc?.['m2m:sgn'] as JsonObject;
}

function conOf(req: RequestPrimitive): unknown {
  return ((sgn(req).nev as JsonObject).rep as JsonObject)['m2m:cin'] === undefined ? undefined : (((sgn(req).nev as JsonObject).rep as JsonObject)['m2m:cin'] as JsonObject).con;
}

/** Sends a NOTIFY to the downlink door the way a CSE does. */
async function notify(run: Running, key: string, target: string, rqi: string, body: JsonObject, headers: Record<string, string> = {}): Promise<{ status: number; rsc: string; ri: string }> {
  const res = await request(`${run.downlinkUrl}/r/${key}/${target}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': rqi, 'x-m2m-rvi': '3', ...headers },
    body: JSON.stringify(body),
  });
  await res.body.dump();
  return { status: res.statusCode, rsc: String(res.headers['x-m2m-rsc']), ri: String(res.headers['x-m2m-ri']) };
}

describe('store-and-forward', () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ queueMaxMessages: 3, downlinkTimeoutMs: 300 });
  });
  after(async () => {
    await run.stop();
  });

  test('notifications created while the AE is offline arrive in order when it reconnects', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'sleeper');
    await subscribe(ae, aei, 'sleeper');
    await ae.close();
    await waitUntil(() => run.bridge.registry.sessionForId(aei) === undefined, 2000, 'unbound');

    for (const con of ['1', '2', '3']) await run.cse.createContentInstance('cse-in/sleeper/data', con);
    await run.cse.idle();
    // The CSE got an acknowledgement for each: 1000 ACCEPTED (HTTP 202).
    const acks = run.cse.notifications.filter((n) => n.target === aei && n.kind === 'notification');
    assert.deepEqual(acks.map((n) => [n.status, n.rsc]), [[202, 1000], [202, 1000], [202, 1000]]);
    assert.equal(run.bridge.store.queueStats(aei).messages, 3);

    const back = await WsRegistree.connect(run.wsUrl, 'oneM2M.cbor', { headers: { 'X-M2M-Origin': aei } });
    const got = await back.waitForReceived(3);
    assert.deepEqual(got.map(conOf), ['1', '2', '3']);
    assert.ok(got.every((r) => r.op === 5 && r.to === aei && r.fr === '/id-in'));
    await waitUntil(() => run.bridge.store.queueStats(aei).messages === 0, 2000, 'queue emptied');
    await back.close();
  });

  test('ec = latest replaces a stored NOTIFY of the same subscription; others keep their place', async () => {
    const { aei, key } = await offlineAe(run, 'latest');
    assert.equal((await notify(run, key, aei, 'l1', { 'm2m:sgn': { sur: '/id-in/subA', nev: { net: 1, rep: { 'm2m:uri': 'a1' } } } }, { 'x-m2m-ec': '4' })).rsc, '1000');
    assert.equal((await notify(run, key, aei, 'l2', { 'm2m:sgn': { sur: '/id-in/subB', nev: { net: 1, rep: { 'm2m:uri': 'b1' } } } }, { 'x-m2m-ec': '4' })).rsc, '1000');
    assert.equal((await notify(run, key, aei, 'l3', { 'm2m:sgn': { sur: '/id-in/subA', nev: { net: 1, rep: { 'm2m:uri': 'a2' } } } }, { 'x-m2m-ec': '4' })).rsc, '1000');
    assert.equal(run.bridge.store.queueStats(aei).messages, 2);
    const back = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    const got = await back.waitForReceived(2);
    assert.deepEqual(got.map((r) => r.rqi), ['l2', 'l3']);
    await back.close();
  });

  test('ec = immediate, other operations and verification requests are refused with 5103', async () => {
    const { aei, key } = await offlineAe(run, 'refuser');
    const immediate = await notify(run, key, aei, 'i1', { 'm2m:sgn': { sur: '/id-in/s', nev: { net: 1 } } }, { 'x-m2m-ec': '2' });
    assert.deepEqual([immediate.status, immediate.rsc, immediate.ri], [404, '5103', 'i1']);
    const verify = await notify(run, key, aei, 'v1', { 'm2m:sgn': { vrq: true, sur: '/id-in/s', cr: 'Cx' } });
    assert.equal(verify.rsc, '5103');
    const get = await request(`${run.downlinkUrl}/r/${key}/${aei}`, { headers: { 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'g1', 'x-m2m-rvi': '3' } });
    assert.equal(get.headers['x-m2m-rsc'], '5103');
    await get.body.dump();
    assert.equal(run.bridge.store.queueStats(aei).messages, 0);
  });

  test('the per-registree message cap refuses the newest and keeps what is stored', async () => {
    const { aei, key } = await offlineAe(run, 'capped');
    for (const i of [1, 2, 3]) assert.equal((await notify(run, key, aei, `c${i}`, { 'm2m:sgn': { sur: '/id-in/s', nev: { net: 1 } } })).rsc, '1000');
    const refused = await notify(run, key, aei, 'c4', { 'm2m:sgn': { sur: '/id-in/s', nev: { net: 1 } } });
    assert.equal(refused.rsc, '5103');
    const back = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    assert.deepEqual((await back.waitForReceived(3)).map((r) => r.rqi), ['c1', 'c2', 'c3']);
    await back.close();
  });

  test('a stored request expires at its rqet and is not delivered; one already expired is not stored', async () => {
    const { aei, key } = await offlineAe(run, 'expiring');
    assert.equal((await notify(run, key, aei, 'e1', { 'm2m:sgn': { sur: '/id-in/s' } }, { 'x-m2m-ret': '30' })).rsc, '1000');
    assert.equal((await notify(run, key, aei, 'e2', { 'm2m:sgn': { sur: '/id-in/s' } })).rsc, '1000');
    const past = await notify(run, key, aei, 'e3', { 'm2m:sgn': { sur: '/id-in/s' } }, { 'x-m2m-ret': '20000101T000000' });
    assert.equal(past.rsc, '4008');
    // e1 (30 ms) has expired once the store no longer offers it
    await waitUntilAsync(async () => (await run.bridge.store.peek(aei, 0, 10)).every((q) => q.request.rqi !== 'e1'), 10_000, 'e1 to expire');
    const back = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    // e2 answered and removed: the queue has nothing more to offer, and e1, ahead of e2, was never sent
    await waitUntilAsync(async () => (await run.bridge.store.peek(aei, 0, 10)).length === 0, 10_000, 'e2 delivered and removed');
    assert.deepEqual(back.received.map((r) => r.rqi), ['e2']);
    await back.close();
    assert.equal(await run.bridge.store.purgeExpired(Date.now()), 1);
  });

  test('delivery is at-least-once: a request not answered before the connection dropped comes again', async () => {
    const { aei, key } = await offlineAe(run, 'forgetful');
    assert.equal((await notify(run, key, aei, 'a1', { 'm2m:sgn': { sur: '/id-in/s' } })).rsc, '1000');
    // Receives, never answers.
    const first = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei }, onRequest: () => null });
    await first.waitForReceived(1);
    await first.close();
    assert.equal(run.bridge.store.queueStats(aei).messages, 1);
    const second = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    assert.deepEqual((await second.waitForReceived(1)).map((r) => r.rqi), ['a1']);
    await waitUntil(() => run.bridge.store.queueStats(aei).messages === 0, 2000, 'acknowledged');
    await second.close();
  });

  test('deleting its AE drops the registree queue', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'quitter');
    const key = run.bridge.registry.sessionForId(aei)?.registration?.key as string;
    await ae.close();
    await waitUntil(() => run.bridge.registry.sessionForId(aei) === undefined, 2000, 'unbound');
    assert.equal((await notify(run, key, aei, 'q1', { 'm2m:sgn': { sur: '/id-in/s' } })).rsc, '1000');
    const back = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei }, onRequest: () => null });
    assert.equal((await back.request({ op: 4, to: 'cse-in/quitter', fr: aei })).rsc, 2002);
    assert.equal(run.bridge.store.queueStats(aei).messages, 0);
    await back.close();
  });
});

describe('store-and-forward options', () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ autoVerify: true, offlineAck: 2000 });
  });
  after(async () => {
    await run.stop();
  });

  test('--auto-verify answers verification requests for offline registrees and --offline-ack 2000 acks with 200', async () => {
    const { aei, key } = await offlineAe(run, 'auto');
    const v = await notify(run, key, aei, 'v1', { 'm2m:sgn': { vrq: true, sur: '/id-in/s', cr: 'Cx' } });
    assert.deepEqual([v.status, v.rsc], [200, '2000']);
    const n = await notify(run, key, aei, 'n1', { 'm2m:sgn': { sur: '/id-in/s' } });
    assert.deepEqual([n.status, n.rsc], [200, '2000']);
    assert.equal(run.bridge.store.queueStats(aei).messages, 1);
  });
});
