// Issue 13, the parse budget on the wire: a connection not bound to a
// registree may only send small messages (--max-unbound-message-size, close
// 1009 beyond, nothing decoded); every message is held to the decoders'
// nesting and size budget (4000 with the rqi, the connection stays open).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../../src/primitive/types.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { waitUntil } from '../support/wait.js';
import { WsRegistree } from '../support/ws-registree.js';

/** A registration whose labels pad it to about `bytes`. */
function registration(rqi: string, rn: string, bytes: number): string {
  return JSON.stringify({ op: 1, to: 'cse-in', fr: 'C', rqi, rvi: '3', ty: 2, pc: { 'm2m:ae': { rn, api: 'Nbudget', rr: true, srv: ['3'], lbl: ['x'.repeat(bytes)] } } });
}

describe('parse budget on the WebSocket', { timeout: 30_000 }, () => {
  let run: Running;
  before(async () => {
    // --max-unbound-message-size left at its default: 64KiB.
    run = await startBridge({ allowOriginator: ['CAdmin'] });
  });
  after(async () => {
    await run.stop();
  });

  test('before registration, a message over 64 KiB closes the connection with 1009 and reaches nothing', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    const seen = run.cse.requests.length;
    c.send(registration('big-unbound', 'tooBig', 70 * 1024));
    const closed = await c.closed;
    assert.equal(closed.code, 1009);
    assert.match(closed.reason, /--max-unbound-message-size/);
    assert.equal(run.cse.requests.length, seen, 'nothing was forwarded');
    assert.deepEqual(c.strayResponses, []);
  });

  test('an --allow-originator connection is unbound too', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    c.send(JSON.stringify({ op: 2, to: 'cse-in', fr: 'CAdmin', rqi: 'admin-big', rvi: '3', fc: { lbl: ['y'.repeat(70 * 1024)] } }));
    assert.equal((await c.closed).code, 1009);
  });

  test('below 64 KiB a registration is served; once bound, larger messages are too', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    const reg = await c.request(JSON.parse(registration('r60k', 'mid', 60 * 1024)));
    assert.equal(reg.rsc, 2001, JSON.stringify(reg.pc));
    const aei = (reg.pc?.['m2m:ae'] as JsonObject).aei as string;
    const big = await c.request({ op: 3, to: 'cse-in/mid', fr: aei, pc: { 'm2m:ae': { lbl: ['z'.repeat(200 * 1024)] } } });
    assert.equal(big.rsc, 2004, JSON.stringify(big.pc));
    await c.close();
  });

  test('a registree bound by X-M2M-Origin in the handshake may send a large message at once', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'returning');
    await ae.close();
    await waitUntil(() => run.bridge.registry.sessionForId(aei) === undefined, 2000, 'unbound');
    const back = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    const rsp = await back.request({ op: 3, to: 'cse-in/returning', fr: aei, pc: { 'm2m:ae': { lbl: ['w'.repeat(100 * 1024)] } } });
    assert.equal(rsp.rsc, 2004, JSON.stringify(rsp.pc));
    await back.close();
  });

  test('a bound registree sending 1 MB of nested arrays gets 4000 with its rqi and stays connected', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'nester');
    const deep = '['.repeat(500_000) + ']'.repeat(500_000);
    ae.send(`{"op":1,"to":"cse-in/nester","fr":"${aei}","rqi":"deep-1","rvi":"3","ty":4,"pc":{"m2m:cin":{"con":${deep}}}}`);
    const rsp = await ae.responseTo('deep-1');
    assert.equal(rsp.rsc, 4000);
    assert.match(String(rsp.pc?.['m2m:dbg']), /deeper than 64 levels/);
    assert.equal((await ae.request({ op: 2, to: 'cse-in/nester', fr: aei })).rsc, 2000, 'the connection still serves');
    await ae.close();
  });
});
