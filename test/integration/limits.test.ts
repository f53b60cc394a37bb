// Issue 5 limits: no peer can exhaust the bridge; excess is refused clearly.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { request } from 'undici';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import type { BridgeConfig } from '../../src/config/config.js';
import { registerAe } from '../support/register.js';
import { WsRegistree } from '../support/ws-registree.js';

// Each limit on a bridge of its own: a short --idle-timeout or --handshake-timeout
// shared with the other cases closes their connections on a loaded machine.
describe('limits', { timeout: 60_000 }, () => {
  let run: Running | undefined;
  async function bridgeWith(overrides: Partial<BridgeConfig>): Promise<Running> {
    run = await startBridge({ allowOriginator: ['CAdmin'], pingIntervalMs: 0, ...overrides });
    return run;
  }
  afterEach(async () => {
    await run?.stop();
    run = undefined;
  });

  test('a message larger than --max-message-size closes the connection with 1009', async () => {
    const run = await bridgeWith({ maxMessageBytes: 2048 });
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    c.send(JSON.stringify({ op: 2, to: 'cse-in', fr: 'CAdmin', rqi: 'big', rvi: '3', pc: { 'm2m:atrl': ['x'.repeat(4000)] } }));
    assert.equal((await c.closed).code, 1009);
  });

  test('connections beyond the per-address limit get HTTP 503 with a reason; a freed slot is usable again', async () => {
    const run = await bridgeWith({ maxConnectionsPerAddress: 3 });
    const open = await Promise.all([1, 2, 3].map(() => WsRegistree.connect(run.wsUrl, 'oneM2M.json')));
    await assert.rejects(WsRegistree.connect(run.wsUrl, 'oneM2M.json'), /handshake failed: 503/);
    await open[0].close();
    const again = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    await Promise.all([again, open[1], open[2]].map((c) => c.close()));
  });

  test('requests beyond --max-inflight are answered 5000 at once; the others complete', async () => {
    const run = await bridgeWith({ maxInFlight: 2 });
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    run.cse.setDelay(200);
    try {
      const answers = await Promise.all([1, 2, 3, 4].map((i) => c.request({ op: 2, to: 'cse-in', fr: 'CAdmin', rqi: `f${i}` })));
      assert.deepEqual(answers.map((a) => a.rsc).sort(), [2000, 2000, 5000, 5000]);
      assert.match(String(answers.find((a) => a.rsc === 5000)?.pc?.['m2m:dbg']), /in flight/);
    } finally {
      run.cse.setDelay(0);
    }
    await c.close();
  });

  test('a client that never finishes its handshake gets 408 and is dropped (slowloris)', async () => {
    const run = await bridgeWith({ handshakeTimeoutMs: 200 });
    // Whatever the bridge sent before it closed the connection: only its 408 says the timeout did it.
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const s = connect(run.addresses.public.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'));
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('close', () => resolve(text));
      s.on('error', () => {});
    });
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /\r\nX-M2M-RSC: 4008\r\n/i);
  });

  test('a connection silent for --idle-timeout is closed with 4002', async () => {
    const run = await bridgeWith({ idleTimeoutMs: 300 });
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    const closed = await c.closed;
    assert.equal(closed.code, 4002);
    assert.match(closed.reason, /idle-timeout/);
  });

  test('a downlink body larger than --max-downlink-body gets HTTP 413', async () => {
    const run = await bridgeWith({ maxDownlinkBodyBytes: 1024 });
    const { ae, aei } = await registerAe(run.wsUrl, 'bodylimit');
    const key = run.bridge.registry.sessionForId(aei)?.registration?.key as string;
    const res = await request(`${run.downlinkUrl}/r/${key}/${aei}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'b1', 'x-m2m-rvi': '3' },
      body: JSON.stringify({ 'm2m:sgn': { sur: 'x'.repeat(5000) } }),
    });
    assert.equal(res.statusCode, 413);
    await res.body.dump();
    await ae.close();
  });
});

describe('rate limit', { timeout: 120_000 }, () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ allowOriginator: ['CAdmin'], rateLimit: 5 });
  });
  after(async () => {
    await run.stop();
  });

  test('requests beyond --rate-limit per second are answered 5000; the burst passes', async () => {
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    // What may pass is the burst (5) plus 5 per second of the time the 200
    // requests took, however slow a loaded machine makes that: the bound is
    // taken from the elapsed time, not assumed.
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => c.request({ op: 2, to: 'cse-in', fr: 'CAdmin', rqi: `r${i}` }, 60_000)));
    const elapsedS = (performance.now() - started) / 1000;
    const limited = answers.filter((a) => a.rsc === 5000 && /per second/.test(String(a.pc?.['m2m:dbg'])));
    const passed = answers.filter((a) => a.rsc === 2000);
    assert.ok(passed.length >= 5, `the one-second burst passes (${passed.length})`);
    const allowed = Math.floor(5 + 5 * elapsedS) + 1;
    assert.ok(passed.length <= allowed, `at most ${allowed} pass in ${elapsedS.toFixed(1)} s (${passed.length} did)`);
    assert.equal(passed.length + limited.length, 200);
    await c.close();
  });
});
