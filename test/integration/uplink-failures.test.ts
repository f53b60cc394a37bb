// Every WebSocket request gets exactly one response, also when things break.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encode as cborEncode } from 'cbor-x';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { WsRegistree } from '../support/ws-registree.js';
import { waitUntil } from '../support/wait.js';

describe('uplink failures', () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ allowOriginator: ['CAdmin'], upstreamTimeoutMs: 300 });
  });
  after(async () => {
    await run.stop();
  });

  test('malformed JSON gets 4000 with its rqi and the connection stays usable', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    c.send('{"op":2,"rqi":"broken-1","to":');
    c.send('[1,2,3]');
    c.send('{"op":9,"to":"cse-in","rqi":"bad-op","rvi":"3"}');
    const first = await c.responseTo('broken-1');
    assert.equal(first.rsc, 4000);
    const badOp = await c.responseTo('bad-op');
    assert.equal(badOp.rsc, 4000);
    // The array got an answer too, without an rqi to carry.
    assert.equal(c.strayResponses.filter((r) => r.rsc === 4000).length, 1);
    const ok = await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin' });
    assert.equal(ok.rsc, 2000);
    await c.close();
  });

  test('malformed XML and CBOR get 4000 and the connection stays open', async () => {
    const x = await WsRegistree.connect(run.wsUrl, 'oneM2M.xml');
    x.send('<m2m:rqp xmlns:m2m="http://www.onem2m.org/xml/protocols"><op>2</op><rqi>x-1</rqi><to>cse-in');
    assert.equal((await x.responseTo('x-1')).rsc, 4000);
    assert.equal((await x.request({ op: 2, to: 'cse-in', fr: 'CAdmin' })).rsc, 2000);
    await x.close();

    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.cbor');
    c.send(cborEncode({ op: 2, to: 'cse-in', rqi: 'c-1' })); // rvi is optional for the bridge, but `fr` missing on an unbound connection
    assert.equal((await c.responseTo('c-1')).rsc, 4103);
    c.send(Buffer.from([0xff, 0x00, 0x13]));
    // garbage has no readable rqi: its 4000 answer matches no request
    await waitUntil(() => c.strayResponses.some((r) => r.rsc === 4000), 10_000, 'the 4000 answer to undecodable CBOR');
    assert.equal((await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin' })).rsc, 2000);
    await c.close();
  });

  test('a text frame on oneM2M.cbor is illegal for the subprotocol and closes with 1003', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.cbor');
    c.send('{"op":2}', false);
    const closed = await c.closed;
    assert.equal(closed.code, 1003);
  });

  test('rt.rtv = 5 (noResponse) gets no response at all', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    c.send(c.codec.encode({ op: 2, to: 'cse-in', fr: 'CAdmin', rqi: 'quiet', rvi: '3', rt: { rtv: 5 } }));
    // the CSE got it and answered it: an answer to the device would be on its way by now
    await waitUntil(() => run.cse.requests.some((r) => r.headers['x-m2m-ri'] === 'quiet'), 10_000, 'quiet at the CSE');
    await run.cse.idle();
    const loud = await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin', rqi: 'loud' });
    assert.equal(loud.rsc, 2000);
    assert.deepEqual(c.strayResponses.filter((r) => r.rqi === 'quiet'), []);
    await c.close();
  });

  test('a CSE that does not answer within rqet gives 4008', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    run.cse.setDelay(1000);
    try {
      const rsp = await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin', rqi: 'slow-rqet', rqet: 100 });
      assert.equal(rsp.rsc, 4008);
      assert.equal(rsp.rqi, 'slow-rqet');
      // Without rqet the configured --upstream-timeout (300 ms here) applies.
      const rsp2 = await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin', rqi: 'slow-default' });
      assert.equal(rsp2.rsc, 4008);
    } finally {
      run.cse.setDelay(0);
    }
    await c.close();
  });

  test('a request whose rqet already passed gets 4008 without being forwarded', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    const before = run.cse.requests.length;
    const rsp = await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin', rqet: '20000101T000000' });
    assert.equal(rsp.rsc, 4008);
    assert.equal(run.cse.requests.length, before);
    await c.close();
  });

  test('an unreachable CSE gives 5103 with the rqi', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    await run.cse.setDown();
    try {
      const rsp = await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin', rqi: 'down-1' });
      assert.equal(rsp.rsc, 5103);
      assert.equal(rsp.rqi, 'down-1');
    } finally {
      await run.cse.setUp();
    }
    assert.equal((await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin' })).rsc, 2000);
    await c.close();
  });
});
