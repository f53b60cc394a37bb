// Fuzzing the downlink door over real sockets: random HTTP requests as a
// confused (or hostile) CSE might send them.
import assert from 'node:assert/strict';
import { METHODS, request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import { encode as cborEncode } from 'cbor-x';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { WsRegistree } from '../support/ws-registree.js';
import { waitUntil } from '../support/wait.js';
import type { JsonObject } from '../../src/primitive/types.js';
import { jsonValue } from './arbitraries.js';
import { CrashRecorder } from './support.js';

const RUNS = Number(process.env.FUZZ_DOWNLINK_RUNS ?? 200);
const MAX_MESSAGE_BYTES = 16 * 1024;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(base: string, method: string, path: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Answer> {
  const url = new URL(base);
  // framed explicitly: Node sends a DELETE/OPTIONS body unframed otherwise
  if (body !== undefined) headers = { ...headers, 'content-length': String(body.length) };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers, agent: false, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within 15 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

function keyOf(run: Running, aei: string): string {
  const poa = run.cse.resources.get(aei)?.attributes.poa;
  assert.ok(Array.isArray(poa), `poa of ${aei}`);
  const url = poa.find((p): p is string => typeof p === 'string' && p.includes('/r/'));
  assert.ok(url !== undefined, `downlink URL in poa ${JSON.stringify(poa)}`);
  return url.slice(url.indexOf('/r/') + 3);
}

// --- generators -------------------------------------------------------------

const pathChar = fc.constantFrom(...'abcXYZ09-._~!$&\'()*+,;=:@/%?#'.split(''), '%2F', '%zz', '%00', '%C3%A9', '%ED%A0%80', '%');
const pathTail = fc.string({ unit: pathChar, maxLength: 24 });
// Every method Node's HTTP client can send.
const method = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') }, { weight: 1, arbitrary: fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT')) });
const headerText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~'.split('')), maxLength: 24 }),
  fc.constantFrom('', '3', '4', '2a', '1', '20991231T000000', '20000101T000000', '-5', '99999999999999999999999', '1000', 'CAdmin', '/id-in', 'Bearer x', 'a+b+c'),
);
const contentType = fc.constantFrom(
  'application/json', 'application/json;ty=4', 'application/cbor', 'application/xml', 'application/vnd.onem2m-res+json', 'application/vnd.onem2m-res+xml',
  'text/plain', 'application/json; charset=utf-8', 'application/json;ty=x', 'multipart/form-data; boundary=x', ';', '',
);
const m2mHeaders = fc.dictionary(
  fc.constantFrom('x-m2m-ri', 'x-m2m-origin', 'x-m2m-rvi', 'x-m2m-ot', 'x-m2m-ret', 'x-m2m-rst', 'x-m2m-oet', 'x-m2m-ec', 'x-m2m-gid', 'x-m2m-vsi', 'x-m2m-rtu', 'x-m2m-as', 'authorization', 'accept', 'x-m2m-unknown'),
  headerText,
  { maxKeys: 8 },
);
const body = fc.oneof(
  fc.constant(undefined),
  jsonValue.map((v) => Buffer.from(JSON.stringify(v))),
  fc.record({ 'm2m:sgn': fc.record({ sur: fc.constantFrom('/id-in/sub1', 'x'), nev: fc.record({ net: fc.integer({ min: 0, max: 9 }), rep: jsonValue }), vrq: fc.boolean() }, { requiredKeys: [] }) }).map((v) => Buffer.from(JSON.stringify(v))),
  jsonValue.map((v) => Buffer.from(cborEncode(v))),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.constantFrom('<m2m:sgn xmlns:m2m="http://www.onem2m.org/xml/protocols"><sur>/id-in/s</sur></m2m:sgn>', '<', '{"m2m:sgn":').map((t) => Buffer.from(t)),
  fc.integer({ min: MAX_MESSAGE_BYTES - 10, max: MAX_MESSAGE_BYTES + 1000 }).map((n) => Buffer.alloc(n, 0x20)),
);

type Target = { kind: 'known'; tail: string } | { kind: 'random'; key: string; tail: string } | { kind: 'outside'; path: string };
const target: Arbitrary<Target> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('known' as const), tail: fc.oneof(fc.constantFrom('', '/', '/CAE', '/~/id-in/CAE', '/_/sp/id-in/CAE', '?rt=3', '/x?fu=2&lbl=a+b'), pathTail.map((t) => (t.startsWith('/') || t.startsWith('?') ? t : '/' + t))) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), key: fc.string({ unit: fc.constantFrom(...'abcdef0123456789-_'.split('')), maxLength: 24 }), tail: pathTail.map((t) => (t === '' || t.startsWith('/') ? t : '/' + t)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('outside' as const), path: fc.oneof(fc.constantFrom('/', '/r', '/rr/x', '/metrics', '/R/x', '//r/x'), pathTail.map((t) => '/' + t.replace(/^\/*r\//, ''))) }) },
);

describe('fuzz: random HTTP requests on the downlink door', () => {
  let run: Running;
  let crashes: CrashRecorder;
  before(async () => {
    crashes = new CrashRecorder();
    run = await startBridge({ allowOriginator: ['CAdmin'], maxMessageBytes: MAX_MESSAGE_BYTES, downlinkTimeoutMs: 500 });
  });
  after(async () => {
    crashes.stop();
    await run.stop();
  });

  test('every request gets an HTTP answer: a numeric X-M2M-RSC under /r/, 404 or 413 plain otherwise; nothing crashes', async (t) => {
    const { ae, aei } = await registerAe(run.wsUrl, 'fuzzOnline');
    const offline = await registerAe(run.wsUrl, 'fuzzOffline');
    await offline.ae.close();
    const keys = [keyOf(run, aei), keyOf(run, offline.aei)];
    // the online registree answers requests in ways a device might: ok, error, late, never
    ae.onRequest((req) => {
      const n = Number.parseInt(req.rqi.replace(/\D/g, '').slice(-2) || '0', 10) % 5;
      if (n === 0) return null;
      if (n === 1) return { rsc: 4004, rqi: req.rqi, pc: { 'm2m:dbg': 'nope' } };
      return { rsc: 2000, rqi: req.rqi, rvi: req.rvi ?? '3' };
    });
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(method, target, fc.nat(1), m2mHeaders, fc.option(contentType, { nil: undefined }), body, fc.nat(3), async (m, tgt, which, headers, ct, b, withRi) => {
        const path = tgt.kind === 'known' ? `/r/${keys[which]}${tgt.tail}` : tgt.kind === 'random' ? `/r/${tgt.key}${tgt.tail}` : tgt.path;
        const h: Record<string, string> = { ...headers };
        if (withRi > 0 && !('x-m2m-ri' in h)) h['x-m2m-ri'] = `dl-${withRi}`;
        if (withRi > 1 && !('x-m2m-origin' in h)) h['x-m2m-origin'] = '/id-in';
        if (ct !== undefined) h['content-type'] = ct;
        const answer = await send(run.downlinkUrl, m, path, h, m === 'GET' || m === 'HEAD' ? undefined : b);
        const rsc = answer.headers['x-m2m-rsc'];
        statuses.set(`${answer.status} ${String(rsc)}`, (statuses.get(`${answer.status} ${String(rsc)}`) ?? 0) + 1);
        if (!path.startsWith('/r/')) {
          assert.equal(answer.status, 404, `${m} ${path}`);
          return;
        }
        if (answer.status === 413) {
          assert.ok((b?.length ?? 0) > MAX_MESSAGE_BYTES, `413 for a body of ${b?.length ?? 0} bytes`);
          return;
        }
        assert.equal(typeof rsc, 'string', `${m} ${path} ${JSON.stringify(h)} → HTTP ${answer.status} without X-M2M-RSC: ${answer.body.toString('utf8').slice(0, 200)}`);
        assert.match(rsc as string, /^\d{4}$/, `X-M2M-RSC ${String(rsc)}`);
        assert.ok(answer.status >= 200 && answer.status < 600, `status ${answer.status}`);
      }),
      { numRuns: RUNS },
    );
    t.diagnostic(`answers (status rsc → count): ${JSON.stringify(Object.fromEntries(statuses))}`);
    // the bridge still works
    const ok = await ae.request({ op: 2, to: 'cse-in', fr: aei });
    assert.equal(ok.rsc, 2000);
    await ae.close();
    assert.deepEqual(crashes.errors, []);
  });

  test('every NOTIFY the bridge acknowledged with 1000 for an offline registree is delivered on reconnect, in order, no more', async (t) => {
    const { ae, aei } = await registerAe(run.wsUrl, 'fuzzStore');
    const key = keyOf(run, aei);
    await ae.close();
    let n = 0;
    const acknowledged: string[] = [];
    // A valid NOTIFY (never ec=4, whose replacement is allowed to drop earlier ones) or garbage.
    const notify = fc.record({ ec: fc.constantFrom(undefined, '1', '2', '3'), pc: jsonValue, vrq: fc.boolean(), rvi: fc.constantFrom('3', '4', undefined) });
    const garbage = fc.record({ m: method, tail: pathTail, headers: m2mHeaders, ct: fc.option(contentType, { nil: undefined }), b: body });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(notify.map((x) => ({ kind: 'notify' as const, ...x })), garbage.map((x) => ({ kind: 'garbage' as const, ...x }))), { minLength: 1, maxLength: 8 }), async (batch) => {
        for (const item of batch) {
          const ri = `st-${++n}`;
          let answer: Answer;
          if (item.kind === 'notify') {
            const h: Record<string, string> = { 'x-m2m-ri': ri, 'x-m2m-origin': '/id-in', 'content-type': 'application/json' };
            if (item.ec !== undefined) h['x-m2m-ec'] = item.ec;
            if (item.rvi !== undefined) h['x-m2m-rvi'] = item.rvi;
            const sgn: JsonObject = { sur: '/id-in/sub-fuzz', nev: { net: 3, rep: item.pc } };
            if (item.vrq) sgn.vrq = true;
            answer = await send(run.downlinkUrl, 'POST', `/r/${key}/${aei}`, h, Buffer.from(JSON.stringify({ 'm2m:sgn': sgn })));
          } else {
            const h: Record<string, string> = { ...item.headers, 'x-m2m-ri': ri };
            delete h['x-m2m-ec'];
            // An X-M2M-RET of a few ms is stored (1000) and then expires unseen, as it must (TS-0020 6.5): not "delivered, no more".
            delete h['x-m2m-ret'];
            if (item.ct !== undefined) h['content-type'] = item.ct;
            const tail = item.tail === '' || item.tail.startsWith('/') || item.tail.startsWith('?') ? item.tail : '/' + item.tail;
            answer = await send(run.downlinkUrl, item.m, `/r/${key}${tail}`, h, item.m === 'GET' || item.m === 'HEAD' ? undefined : item.b);
          }
          if (answer.headers['x-m2m-rsc'] === '1000') {
            assert.equal(answer.status, 202);
            assert.equal(answer.headers['x-m2m-ri'], ri);
            acknowledged.push(ri);
          }
        }
      }),
      { numRuns: Math.max(10, Math.round(RUNS / 8)) },
    );
    assert.ok(acknowledged.length > 0, 'some NOTIFYs were stored');
    t.diagnostic(`${acknowledged.length} of ${n} requests acknowledged with 1000`);
    // reconnect: the handshake's X-M2M-Origin binds the registree and starts delivery
    const back = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
    await back.waitForReceived(acknowledged.length, 20_000);
    // nothing more comes: every stored request was answered and removed, and the connection still serves
    await waitUntil(() => run.bridge.store.queueStats(aei).messages === 0, 20_000, 'the queue to drain');
    const probe = await back.request({ op: 2, to: 'cse-in', fr: aei });
    assert.equal(probe.rsc, 2000);
    assert.deepEqual(back.received.map((r) => r.rqi), acknowledged);
    assert.ok(back.received.every((r) => r.op === 5));
    await back.close();
    assert.deepEqual(crashes.errors, []);
  });
});
