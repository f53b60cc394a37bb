// Issue 21 item 3: a routed downlink request (and its answer) with a body at
// --max-downlink-body crosses between replicas although Redis's pub/sub
// output-buffer limit is far smaller than the body. Published whole, the
// message would pass the limit, Redis would disconnect the owner's
// subscriber, and the request would time out.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { createBridge } from '../../src/bridge/bridge.js';
import type { Bridge, BridgeAddresses } from '../../src/bridge/bridge.js';
import type { JsonObject } from '../../src/primitive/types.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { redisOrSkip } from '../support/redis-server.js';
import { WsRegistree } from '../support/ws-registree.js';

// A subscriber whose output buffer passes 256 KiB is disconnected at once.
const { redis, skip } = await redisOrSkip({ serverArgs: ['--client-output-buffer-limit', 'pubsub 256kb 128kb 1'] });

const MAX_DOWNLINK_BODY = 4 * 1024 * 1024; // the default of --max-downlink-body

const shell = (con: string) => JSON.stringify({ 'm2m:sgn': { nev: { net: 3, rep: { 'm2m:cin': { rn: 'big', ty: 4, con } } }, sur: '/id-in/subBig' } });
/** Bytes of a NOTIFY body around its content. */
const notifyShellBytes = shell('').length;

/** A NOTIFY body of exactly `bytes` bytes of JSON. */
function notifyOf(bytes: number): string {
  const body = shell('x'.repeat(bytes - notifyShellBytes));
  assert.equal(Buffer.byteLength(body), bytes);
  return body;
}

describe('routing bodies at --max-downlink-body between replicas', { skip, timeout: 120_000 }, () => {
  let cse: FakeCse;
  let raw: Redis;
  const prefix = `large-${process.pid}:`;
  const bridges: Bridge[] = [];
  const addresses: BridgeAddresses[] = [];

  before(async () => {
    cse = await startFakeCse();
    raw = new Redis(redis!.url);
    for (const replicaId of ['A', 'B']) {
      const bridge = createBridge(
        testConfig(cse.url, {
          store: redis!.url,
          redisPrefix: prefix,
          replicaId,
          redisDurability: 'applied',
          maxDownlinkBodyBytes: MAX_DOWNLINK_BODY,
          // Generous: 4 MiB crosses several parsers on a machine that may be busy; the old way never answers at all.
          downlinkTimeoutMs: 20_000,
        }),
      );
      bridges.push(bridge);
      addresses.push(await bridge.start());
    }
  });
  after(async () => {
    for (const b of bridges) await b.stop();
    raw?.disconnect();
    await cse?.close();
    await redis?.stop();
  });

  test('the pub/sub output-buffer limit in force is smaller than the body', async () => {
    const config = (await raw.call('CONFIG', 'GET', 'client-output-buffer-limit')) as string[];
    assert.match(config[1], /pubsub 262144 131072 1/);
  });

  test('a NOTIFY at the limit sent to the replica without the registree reaches it, and a large answer comes back', async () => {
    const ae = await WsRegistree.connect(`ws://127.0.0.1:${addresses[0].public.port}/`, 'oneM2M.json');
    try {
      const rsp = await ae.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'large', api: 'Nlarge', rr: true, srv: ['3'] } } });
      const aei = (rsp.pc?.['m2m:ae'] as JsonObject).aei as string;
      const key = bridges[0].registry.sessionForId(aei)?.registration?.key as string;
      assert.ok(key);
      const answerCon = 'y'.repeat(1024 * 1024);
      ae.onRequest((req) => ({ rsc: 2000, rqi: req.rqi, rvi: req.rvi, pc: { 'm2m:cin': { con: answerCon } } }));
      const body = notifyOf(MAX_DOWNLINK_BODY);
      // Replica B does not hold the registree: it routes through Redis to A.
      const res = await request(`http://127.0.0.1:${addresses[1].downlink.port}/r/${key}/${aei}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'big-1', 'x-m2m-rvi': '3' },
        body,
      });
      const text = await res.body.text();
      assert.equal(res.headers['x-m2m-rsc'], '2000', text.slice(0, 300));
      assert.equal(res.headers['x-m2m-ri'], 'big-1');
      assert.equal(((JSON.parse(text) as JsonObject)['m2m:cin'] as JsonObject).con, answerCon);
      const got = ae.received.find((r) => r.rqi === 'big-1');
      assert.ok(got, 'the registree got the NOTIFY');
      const rep = ((got.pc?.['m2m:sgn'] as JsonObject).nev as JsonObject).rep as JsonObject;
      assert.equal(((rep['m2m:cin'] as JsonObject).con as string).length, MAX_DOWNLINK_BODY - notifyShellBytes, 'the whole body arrived');
      // Read once: no message key stays behind.
      assert.deepEqual(await raw.keys(`${prefix}msg:*`), []);
    } finally {
      await ae.close();
    }
  });

  test('large and small routed requests side by side all arrive', async () => {
    const ae = await WsRegistree.connect(`ws://127.0.0.1:${addresses[0].public.port}/`, 'oneM2M.json');
    try {
      const rsp = await ae.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'mixed', api: 'Nmixed', rr: true, srv: ['3'] } } });
      const aei = (rsp.pc?.['m2m:ae'] as JsonObject).aei as string;
      const key = bridges[0].registry.sessionForId(aei)?.registration?.key as string;
      ae.onRequest((req) => ({ rsc: 2000, rqi: req.rqi, rvi: req.rvi }));
      const send = (rqi: string, bytes: number) =>
        request(`http://127.0.0.1:${addresses[1].downlink.port}/r/${key}/${aei}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': rqi, 'x-m2m-rvi': '3' },
          body: notifyOf(bytes),
        }).then(async (res) => {
          await res.body.dump();
          return res.headers['x-m2m-rsc'];
        });
      const results = await Promise.all([send('m-1', 200 * 1024), send('m-2', 1024), send('m-3', 300 * 1024), send('m-4', 2048)]);
      assert.deepEqual(results, ['2000', '2000', '2000', '2000']);
      assert.deepEqual(ae.received.filter((r) => r.rqi.startsWith('m-')).map((r) => r.rqi).sort(), ['m-1', 'm-2', 'm-3', 'm-4']);
    } finally {
      await ae.close();
    }
  });
});
