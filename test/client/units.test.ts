// The client's pure parts: backoff, answer completion, origin learning, option checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completeAnswer } from '../../src/client/answer.js';
import { backoffDelay, backoffProblems } from '../../src/client/backoff.js';
import { Onem2mClientError, Onem2mWsClient } from '../../src/client/index.js';
import type { Onem2mWsClientOptions } from '../../src/client/index.js';
import { registeredOrigin } from '../../src/client/registration-origin.js';
import { isValidTimestamp } from '../../src/primitive/timestamp.js';

const B = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };

test('backoff grows by the factor up to the cap', () => {
  const noJitter = () => 0;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 40].map((a) => backoffDelay(a, B, noJitter)), [100, 200, 400, 800, 1000, 1000, 1000]);
});

test('jitter takes up to its share off the delay and never adds to it', () => {
  assert.equal(backoffDelay(2, B, () => 0.999999), 200);
  assert.equal(backoffDelay(2, B, () => 0.5), 300);
  assert.equal(backoffDelay(0, { ...B, jitter: 1 }, () => 0.999999), 0);
});

test('unusable backoff options are named', () => {
  assert.deepEqual(backoffProblems(B), []);
  const problems = backoffProblems({ initialDelayMs: -1, maxDelayMs: Number.NaN, factor: 0.5, jitter: 2 });
  assert.equal(problems.length, 4);
  for (const name of ['initialDelayMs', 'maxDelayMs', 'factor', 'jitter']) assert.ok(problems.some((p) => p.includes(name)), name);
});

test("an answer gets the request's rqi and rvi and an ot; the handler's own rvi and ot win", () => {
  const req = { op: 5, to: 'Cae', rqi: 'r-9', rvi: '2a' };
  const a = completeAnswer(req, { rsc: 2000 }, '3', Date.UTC(2026, 0, 2, 3, 4, 5, 6));
  assert.deepEqual(a, { rsc: 2000, rqi: 'r-9', rvi: '2a', ot: '20260102T030405,006000' });
  assert.equal(completeAnswer({ op: 5, to: 'x', rqi: 'r' }, { rsc: 2000 }).rvi, '3');
  const own = completeAnswer(req, { rsc: 4004, rvi: '4', ot: '20250101T000000', pc: { 'm2m:dbg': 'no' } });
  assert.deepEqual(own, { rsc: 4004, rqi: 'r-9', rvi: '4', ot: '20250101T000000', pc: { 'm2m:dbg': 'no' } });
  assert.ok(isValidTimestamp(completeAnswer(req, { rsc: 2000 }).ot));
});

test('a registration teaches the originator: aei, csi, else the complete fr', () => {
  const ae = { op: 1, to: 'cse-in', fr: 'C', rqi: '1', ty: 2 };
  assert.equal(registeredOrigin(ae, { rsc: 2001, rqi: '1', pc: { 'm2m:ae': { aei: 'Cabc' } } }), 'Cabc');
  assert.equal(registeredOrigin(ae, { rsc: 2001, rqi: '1' }), undefined, 'a bare C without content teaches nothing');
  assert.equal(registeredOrigin({ ...ae, fr: 'Cmine' }, { rsc: 2001, rqi: '1' }), 'Cmine');
  assert.equal(registeredOrigin(ae, { rsc: 4103, rqi: '1', pc: { 'm2m:ae': { aei: 'Cabc' } } }), undefined);
  const csr = { op: 1, to: '/id-in/cse-in', fr: '/id-mn', rqi: '2', ty: 16 };
  assert.equal(registeredOrigin(csr, { rsc: 2001, rqi: '2', pc: { 'm2m:csr': { csi: '/id-mn' } } }), '/id-mn');
  assert.equal(registeredOrigin(csr, { rsc: 2001, rqi: '2' }), '/id-mn');
  assert.equal(registeredOrigin({ ...csr, ty: 3 }, { rsc: 2001, rqi: '2', pc: { 'm2m:cnt': {} } }), undefined);
});

test('bad options throw ONEM2M_CLIENT_BAD_OPTION naming the option', () => {
  const cases: Array<[Onem2mWsClientOptions, RegExp]> = [
    [{ url: 'http://127.0.0.1:8180/' }, /^url: .*ws:\/\/ or wss:\/\//],
    [{ url: 'not a url' }, /^url: /],
    [{ url: 'ws://h/', serialization: 'yaml' as never }, /^serialization: "yaml"/],
    [{ url: 'ws://h/', serialization: [] }, /^serialization: /],
    [{ url: 'ws://h/', subprotocols: ['mqtt'] }, /^subprotocols: "mqtt"/],
    [{ url: 'wss://h/', tls: { cert: 'x' } }, /^tls\.key: /],
    [{ url: 'ws://h/', proxy: 'socks5://p:1080' }, /^proxy: /],
    [{ url: 'ws://h/', proxy: '::' }, /^proxy: /],
    [{ url: 'ws://h/', requestTimeoutMs: 0 }, /^requestTimeoutMs: /],
    [{ url: 'ws://h/', pingIntervalMs: -1 }, /^pingIntervalMs: /],
    [{ url: 'ws://h/', reconnect: { factor: 0 } }, /reconnect\.factor/],
    [{ url: 'ws://h/', origin: '' }, /^origin: /],
  ];
  for (const [options, pattern] of cases) {
    assert.throws(() => new Onem2mWsClient(options), (err: unknown) => {
      assert.ok(err instanceof Onem2mClientError, String(err));
      assert.equal(err.code, 'ONEM2M_CLIENT_BAD_OPTION');
      assert.match(err.message, pattern);
      return true;
    }, JSON.stringify(options));
  }
});

test("the package exports the SDK as 'onem2m-ws-bridge/client', built from src/client/index.ts", async () => {
  const { readFile, access } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { exports: Record<string, { types: string; default: string }> };
  assert.deepEqual(pkg.exports['./client'], { types: './dist/client/index.d.ts', default: './dist/client/index.js' });
  await access('src/client/index.ts'); // tsconfig.build.json: src/ → dist/
});
