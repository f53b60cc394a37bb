// Issue 17.1: every forwarded request is one debug line (direction, op, to,
// fr, rqi, rsc, ms, registree), the CSE's 5xxx answers are warn lines, time is
// ISO 8601, and a device request that fails is `device request failed`. The
// logger is the bridge's own (createLogger), writing JSON lines into the test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { createBridge } from '../../src/bridge/bridge.js';
import type { Bridge, BridgeAddresses } from '../../src/bridge/bridge.js';
import { createLogger } from '../../src/log.js';
import type { LogLevel } from '../../src/config/config.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { logSink } from '../support/log-sink.js';
import { waitUntil } from '../support/wait.js';
import type { WsRegistree } from '../support/ws-registree.js';

type Line = Record<string, unknown>;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DEBUG = 20;
const WARN = 40;

describe('request lines at debug', () => {
  let cse: FakeCse;
  let bridge: Bridge;
  let at: BridgeAddresses;
  let lines: Line[];
  let ae: WsRegistree;
  let aei: string;

  async function start(level: LogLevel): Promise<void> {
    const sink = logSink();
    lines = sink.lines;
    cse = await startFakeCse();
    bridge = createBridge(testConfig(cse.url, { logLevel: level }), { logger: createLogger(level, false, sink.stream) });
    at = await bridge.start();
    ({ ae, aei } = await registerAe(`ws://127.0.0.1:${at.public.port}/`, 'logged', { lbl: ['SECRET-PAYLOAD'] }));
  }
  async function stop(): Promise<void> {
    await ae?.close();
    await bridge?.stop();
    await cse?.close();
  }
  const find = (msg: string, rqi: string) => lines.find((l) => l.msg === msg && l.rqi === rqi);

  describe('with --log-level debug', () => {
    before(() => start('debug'));
    after(stop);

    test('a device request: one line with direction uplink, op, to, fr, rqi, rsc, ms and registree; an ISO time', async () => {
      const rsp = await ae.request({ op: 2, to: 'cse-in/logged', fr: aei, rqi: 'up-retrieve' });
      assert.equal(rsp.rsc, 2000);
      await waitUntil(() => find('device request answered', 'up-retrieve') !== undefined, 2000, 'request line');
      const line = find('device request answered', 'up-retrieve')!;
      assert.equal(line.level, DEBUG);
      assert.equal(line.direction, 'uplink');
      assert.equal(line.op, 2);
      assert.equal(line.to, 'cse-in/logged');
      assert.equal(line.fr, aei);
      assert.equal(line.rsc, 2000);
      assert.equal(line.registree, aei);
      assert.equal(typeof line.ms, 'number');
      assert.ok((line.ms as number) >= 0);
      assert.match(String(line.time), ISO);
      assert.equal(lines.filter((l) => l.rqi === 'up-retrieve').length, 1, 'exactly one line for the request');
    });

    test('a 4xxx answer of the CSE is a debug line; a 5xxx answer is a warn line too', async () => {
      const missing = await ae.request({ op: 2, to: 'cse-in/logged/nothing-here', fr: aei, rqi: 'up-4004' });
      assert.equal(missing.rsc, 4004);
      // The fake CSE, like ACME, does not implement nct 4: 5001.
      const unsupported = await ae.request({ op: 1, to: 'cse-in/logged', fr: aei, ty: 23, rqi: 'up-5001', pc: { 'm2m:sub': { rn: 's', nu: [aei], nct: 4 } } });
      assert.equal(unsupported.rsc, 5001);
      await waitUntil(() => lines.some((l) => l.level === WARN && l.rqi === 'up-5001'), 2000, 'warn line for 5001');
      const four = lines.filter((l) => l.rqi === 'up-4004');
      assert.deepEqual(four.map((l) => [l.level, l.msg, l.rsc]), [[DEBUG, 'device request answered', 4004]]);
      const warn = lines.find((l) => l.level === WARN && l.rqi === 'up-5001')!;
      assert.equal(warn.msg, 'the CSE answered a device request with a 5xxx error');
      assert.equal(warn.rsc, 5001);
      assert.equal(warn.registree, aei);
      assert.equal(find('device request answered', 'up-5001')?.rsc, 5001);
    });

    test('a CSE request on the downlink door: one line with direction downlink, the X-M2M-RI as rqi, rsc and registree', async () => {
      const key = bridge.registry.sessionForId(aei)?.registration?.key as string;
      const res = await request(`http://127.0.0.1:${at.downlink.port}/r/${key}/${aei}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'down-notify', 'x-m2m-rvi': '3' },
        body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/sub-1', nev: { rep: { 'm2m:cin': { con: 'SECRET-PAYLOAD' } } } } }),
      });
      await res.body.dump();
      assert.equal(res.headers['x-m2m-rsc'], '2000');
      await waitUntil(() => find('CSE request answered', 'down-notify') !== undefined, 2000, 'downlink line');
      const line = find('CSE request answered', 'down-notify')!;
      assert.equal(line.level, DEBUG);
      assert.equal(line.direction, 'downlink');
      assert.equal(line.op, 5);
      assert.equal(line.to, aei);
      assert.equal(line.fr, '/id-in');
      assert.equal(line.rsc, 2000);
      assert.equal(line.registree, aei);
      assert.equal(typeof line.ms, 'number');
    });

    test('a passthrough request: one line with direction passthrough, method, op, to, fr, rqi, status and rsc', async () => {
      const res = await request(`http://127.0.0.1:${at.public.port}/cse-in/logged`, { headers: { 'x-m2m-origin': aei, 'x-m2m-ri': 'pass-get', 'x-m2m-rvi': '3', accept: 'application/json' } });
      await res.body.dump();
      assert.equal(res.statusCode, 200);
      await waitUntil(() => find('passthrough request answered', 'pass-get') !== undefined, 2000, 'passthrough line');
      const line = find('passthrough request answered', 'pass-get')!;
      assert.equal(line.level, DEBUG);
      assert.equal(line.direction, 'passthrough');
      assert.equal(line.method, 'GET');
      assert.equal(line.op, 2);
      assert.equal(line.to, '/cse-in/logged');
      assert.equal(line.fr, aei);
      assert.equal(line.status, 200);
      assert.equal(line.rsc, 2000);
      assert.equal(typeof line.ms, 'number');
    });

    test('a passthrough request the CSE answers with 5xxx is a warn line', async () => {
      const res = await request(`http://127.0.0.1:${at.public.port}/cse-in/logged`, {
        method: 'POST',
        headers: { 'x-m2m-origin': aei, 'x-m2m-ri': 'pass-5001', 'x-m2m-rvi': '3', 'content-type': 'application/json;ty=23' },
        body: JSON.stringify({ 'm2m:sub': { rn: 's2', nu: [aei], nct: 4 } }),
      });
      await res.body.dump();
      assert.equal(res.headers['x-m2m-rsc'], '5001');
      await waitUntil(() => lines.some((l) => l.level === WARN && l.rqi === 'pass-5001'), 2000, 'warn line');
      assert.equal(lines.find((l) => l.level === WARN && l.rqi === 'pass-5001')?.msg, 'the CSE answered a passthrough request with a 5xxx error');
      assert.equal(find('passthrough request answered', 'pass-5001')?.op, 1);
    });

    test('no content is logged, not even at debug', () => {
      assert.ok(lines.length > 5);
      for (const l of lines) assert.ok(!JSON.stringify(l).includes('SECRET-PAYLOAD'), `content in a log line: ${JSON.stringify(l)}`);
    });
  });

  describe('with --log-level info', () => {
    before(() => start('info'));
    after(stop);

    test('no request lines, but the CSE\'s 5xxx still is a warn line', async () => {
      assert.equal((await ae.request({ op: 2, to: 'cse-in/logged', fr: aei, rqi: 'info-ok' })).rsc, 2000);
      assert.equal((await ae.request({ op: 1, to: 'cse-in/logged', fr: aei, ty: 23, rqi: 'info-5001', pc: { 'm2m:sub': { rn: 's', nu: [aei], nct: 4 } } })).rsc, 5001);
      await waitUntil(() => lines.some((l) => l.rqi === 'info-5001'), 2000, 'warn line');
      assert.equal(lines.filter((l) => l.rqi === 'info-ok').length, 0);
      assert.deepEqual(lines.filter((l) => l.rqi === 'info-5001').map((l) => l.level), [WARN]);
    });
  });
});

test('a device request the bridge cannot forward is logged as "device request failed" (not "uplink request failed")', async () => {
  const sink = logSink();
  const cse = await startFakeCse();
  const bridge = createBridge(testConfig(cse.url, { logLevel: 'info' }), { logger: createLogger('info', false, sink.stream) });
  const at = await bridge.start();
  const { ae, aei } = await registerAe(`ws://127.0.0.1:${at.public.port}/`, 'failing');
  try {
    await cse.close();
    const rsp = await ae.request({ op: 2, to: 'cse-in/failing', fr: aei, rqi: 'cse-gone' });
    assert.equal(rsp.rsc, 5103);
    await waitUntil(() => sink.lines.some((l) => l.rqi === 'cse-gone'), 2000, 'failure line');
    const line = sink.lines.find((l) => l.rqi === 'cse-gone')!;
    assert.equal(line.msg, 'device request failed');
    assert.equal(line.level, WARN);
    assert.match(String(line.time), ISO);
    assert.ok(!sink.lines.some((l) => l.msg === 'uplink request failed'));
  } finally {
    await ae.close();
    await bridge.stop();
  }
});
