// Onem2mWsClient against the real bridge in front of the fake CSE, in each of
// the three serializations (TS-0020 6.2.2.9).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Onem2mClientError, Onem2mWsClient } from '../../src/client/index.js';
import type { JsonObject, RequestPrimitive, Serialization } from '../../src/client/index.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';

function sgnCon(req: RequestPrimitive): unknown {
  const sgn = req.pc?.['m2m:sgn'] as JsonObject | undefined;
  const rep = (sgn?.nev as JsonObject | undefined)?.rep as JsonObject | undefined;
  return (rep?.['m2m:cin'] as JsonObject | undefined)?.con;
}

describe('Onem2mWsClient against the bridge', { timeout: 30_000 }, () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ allowOriginator: ['CAdmin'] });
  });
  after(async () => {
    await run.stop();
  });

  for (const serialization of ['json', 'xml', 'cbor'] as const satisfies readonly Serialization[]) {
    test(`registers, subscribes and gets the notification through onRequest (${serialization})`, async () => {
      const received: RequestPrimitive[] = [];
      const client = new Onem2mWsClient({ url: run.wsUrl, serialization, reconnect: false });
      client.onRequest((req) => {
        received.push(req);
        return { rsc: 2000 };
      });
      await client.connect();
      try {
        assert.equal(client.subprotocol, `oneM2M.${serialization}`);
        assert.equal(client.serialization, serialization);
        const rn = `sdk-${serialization}`;
        const reg = await client.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn, api: 'Nsdk', rr: true, srv: ['3'] } } });
        assert.equal(reg.rsc, 2001, JSON.stringify(reg));
        const aei = (reg.pc?.['m2m:ae'] as JsonObject).aei as string;
        assert.equal(client.origin, aei, 'the registration teaches the client its originator');
        // No fr: the client fills it in from its origin.
        const cnt = await client.request({ op: 1, to: `cse-in/${rn}`, ty: 3, pc: { 'm2m:cnt': { rn: 'data' } } });
        assert.equal(cnt.rsc, 2001, JSON.stringify(cnt));
        const sub = await client.request({ op: 1, to: `cse-in/${rn}/data`, ty: 23, pc: { 'm2m:sub': { rn: 'sub', nu: [aei], enc: { net: [3] } } } });
        assert.equal(sub.rsc, 2001, `the verification request was answered 2000 by the handler: ${JSON.stringify(sub)}`);
        await run.cse.createContentInstance(`cse-in/${rn}/data`, `hello ${serialization}`);
        await waitUntil(() => received.some((r) => sgnCon(r) === `hello ${serialization}`), 5000, 'the notification');
        await run.cse.idle();
        const answered = run.cse.notifications.filter((n) => n.kind === 'notification' && n.target === aei);
        assert.ok(answered.length > 0);
        for (const n of answered) assert.equal(n.accepted && n.result, 2000, 'the CSE accepted the completed answer (RI echoed, OT valid)');
      } finally {
        await client.close();
      }
    });
  }

  test('fills in rqi and rvi, and concurrent requests each get the answer with their own rqi', async () => {
    const client = new Onem2mWsClient({ url: run.wsUrl, serialization: 'cbor', reconnect: false });
    await client.connect();
    try {
      const reg = await client.request({ op: 1, to: 'cse-in', fr: 'Cconcurrent', ty: 2, pc: { 'm2m:ae': { rn: 'concurrent', api: 'Nsdk', rr: false, srv: ['3'] } } });
      assert.equal(reg.rsc, 2001, JSON.stringify(reg));
      const names = Array.from({ length: 12 }, (_, i) => `c${i}`);
      for (const rn of names) assert.equal((await client.request({ op: 1, to: 'cse-in/concurrent', ty: 3, pc: { 'm2m:cnt': { rn } } })).rsc, 2001);
      const before = run.cse.requests.length;
      const answers = await Promise.all(names.map((rn) => client.request({ op: 2, to: `cse-in/concurrent/${rn}` })));
      const rqis = new Set(answers.map((a) => a.rqi));
      assert.equal(rqis.size, names.length, 'every request got its own rqi');
      answers.forEach((a, i) => assert.equal((a.pc?.['m2m:cnt'] as JsonObject).rn, names[i], 'each answer is the one for its own request'));
      const seen = run.cse.requests.slice(before);
      for (const r of seen) {
        assert.equal(r.headers['x-m2m-rvi'], '3', 'rvi defaults to 3');
        assert.ok(rqis.has(r.headers['x-m2m-ri']!), 'the CSE saw the rqi the client generated');
        assert.equal(r.headers['x-m2m-origin'], 'Cconcurrent', 'fr came from the origin');
      }
    } finally {
      await client.close();
    }
  });

  test('a handshake the bridge refuses rejects connect() with its HTTP status and reason', async () => {
    const client = new Onem2mWsClient({ url: run.wsUrl.replace(/\/$/, '/elsewhere'), reconnect: false });
    await assert.rejects(client.connect(), (err: unknown) => {
      assert.ok(err instanceof Onem2mClientError);
      assert.equal(err.code, 'ONEM2M_CLIENT_HANDSHAKE');
      assert.equal(err.status, 400);
      assert.match(err.message, /HTTP 400 .+/);
      return true;
    });
    await client.close();
  });

  test('offering only Release-2 names gets an R2.0 subprotocol echoed, and the client speaks it', async () => {
    const client = new Onem2mWsClient({ url: run.wsUrl, subprotocols: ['oneM2M.R2.0.xml'], reconnect: false });
    await client.connect();
    try {
      assert.equal(client.subprotocol, 'oneM2M.R2.0.xml');
      const rsp = await client.request({ op: 2, to: 'cse-in', fr: 'CAdmin' });
      assert.equal(rsp.rsc, 2000);
      assert.ok(rsp.pc?.['m2m:cb'] !== undefined);
    } finally {
      await client.close();
    }
  });
});
