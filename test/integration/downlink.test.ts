// The downlink door: CSE HTTP requests on /r/<key> reach the online registree.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decode as cborDecode } from 'cbor-x';
import { request } from 'undici';
import type { JsonObject } from '../../src/primitive/types.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { WsRegistree } from '../support/ws-registree.js';

const TIMESTAMP = /^\d{8}T\d{6}(,\d{1,6})?$/;

describe('downlink door', () => {
  let run: Running;
  let ae: WsRegistree;
  let aei: string;
  let key: string;
  before(async () => {
    // 2 s, not less: a loaded machine (CI neighbours) takes hundreds of ms for a round trip
    run = await startBridge({ downlinkTimeoutMs: 2000 });
    ae = await WsRegistree.connect(run.wsUrl, 'oneM2M.xml');
    const rsp = await ae.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'down', api: 'Nd', rr: true, srv: ['3'] } } });
    aei = (rsp.pc?.['m2m:ae'] as JsonObject).aei as string;
    key = run.bridge.registry.sessionForId(aei)?.registration?.key as string;
  });
  after(async () => {
    await ae.close();
    await run.stop();
  });

  test('an ACME-style NOTIFY on /r/<key>/<aei> becomes a WS request and its answer the HTTP response', async () => {
    ae.onRequest((req) => ({ rsc: 2000, rqi: req.rqi, rvi: req.rvi }));
    const res = await request(`${run.downlinkUrl}/r/${key}/${aei}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'n-4711', 'x-m2m-rvi': '5', 'x-m2m-ot': '20240101T120000,123456' },
      body: JSON.stringify({ 'm2m:sgn': { nev: { net: 3, rep: { 'm2m:cin': { rn: 'cin_1', ty: 4, con: '21' } } }, sur: '/id-in/sub123' } }),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-m2m-rsc'], '2000');
    assert.equal(res.headers['x-m2m-ri'], 'n-4711');
    assert.equal(res.headers['x-m2m-rvi'], '5');
    assert.match(String(res.headers['x-m2m-ot']), TIMESTAMP);
    await res.body.dump();
    const got = ae.received.find((r) => r.rqi === 'n-4711');
    assert.ok(got);
    assert.equal(got.op, 5);
    assert.equal(got.to, aei);
    assert.equal(got.fr, '/id-in');
    assert.equal(got.rvi, '5');
    assert.equal(got.ot, '20240101T120000,123456');
    assert.deepEqual(((got.pc?.['m2m:sgn'] as JsonObject).nev as JsonObject).net, 3);
  });

  test('an SP-relative target path and a bare /r/<key> both address the registree', async () => {
    for (const [path, to] of [[`/~/id-in/${aei}`, `/id-in/${aei}`], ['', aei]]) {
      const res = await request(`${run.downlinkUrl}/r/${key}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': `p-${path}`, 'x-m2m-rvi': '3' },
        body: JSON.stringify({ 'm2m:sgn': { vrq: true, sur: '/id-in/sub9', cr: 'Cx' } }),
      });
      assert.equal(res.headers['x-m2m-rsc'], '2000');
      await res.body.dump();
      assert.equal(ae.received.find((r) => r.rqi === `p-${path}`)?.to, to);
    }
  });

  test('two in-flight requests with the same rqi get their own answers', async () => {
    const seen: string[] = [];
    let secondSeen!: () => void;
    const second = new Promise<void>((resolve) => (secondSeen = resolve));
    ae.onRequest(async (req) => {
      const tag = String((req.pc?.['m2m:sgn'] as JsonObject).sur);
      seen.push(req.rqi);
      // Answer the first one last: only once the second has arrived (whose answer is sent at once).
      if (tag.endsWith('first')) await second;
      else secondSeen();
      return { rsc: tag.endsWith('first') ? 2000 : 4103, rqi: req.rqi, rvi: '3' };
    });
    const send = (sur: string) =>
      request(`${run.downlinkUrl}/r/${key}/${aei}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'same', 'x-m2m-rvi': '3' },
        body: JSON.stringify({ 'm2m:sgn': { sur } }),
      });
    const [a, b] = await Promise.all([send('/id-in/first'), send('/id-in/second')]);
    assert.equal(a.headers['x-m2m-rsc'], '2000');
    assert.equal(b.headers['x-m2m-rsc'], '4103');
    assert.equal(a.headers['x-m2m-ri'], 'same');
    assert.equal(b.headers['x-m2m-ri'], 'same');
    assert.equal(new Set(seen).size, 2, 'the WS leg used distinct rqi values');
    await a.body.dump();
    await b.body.dump();
  });

  test('a registree that does not answer in time gives 504 with 4008', async () => {
    ae.onRequest(() => null);
    const res = await request(`${run.downlinkUrl}/r/${key}/${aei}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'never', 'x-m2m-rvi': '3' },
      body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/s' } }),
    });
    assert.equal(res.statusCode, 504);
    assert.equal(res.headers['x-m2m-rsc'], '4008');
    assert.equal(res.headers['x-m2m-ri'], 'never');
    await res.body.dump();
    ae.onRequest((req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' }));
  });

  test('a retargeted RETRIEVE gets the registree content back in the CSE serialization', async () => {
    ae.onRequest((req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3', pc: { 'm2m:cnt': { rn: 'local', cni: 2, lbl: ['a', 'b'] } } }));
    const res = await request(`${run.downlinkUrl}/r/${key}/${aei}/local?rcn=1`, {
      method: 'GET',
      headers: { accept: 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'ret-1', 'x-m2m-rvi': '3' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(await res.body.json(), { 'm2m:cnt': { rn: 'local', cni: 2, lbl: ['a', 'b'] } });
    const got = ae.received.find((r) => r.rqi === 'ret-1');
    assert.equal(got?.op, 2);
    assert.equal(got?.to, `${aei}/local`);
    assert.equal(got?.rcn, 1);
    ae.onRequest((req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' }));
  });

  test('a request without X-M2M-RI is refused with 400 / 4000', async () => {
    const res = await request(`${run.downlinkUrl}/r/${key}/${aei}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-rvi': '3' },
      body: '{}',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers['x-m2m-rsc'], '4000');
    await res.body.dump();
  });

  test('an unknown key gives 404 / 4004 and an offline registree 5103', async () => {
    const unknown = await request(`${run.downlinkUrl}/r/nokey/${aei}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'u1', 'x-m2m-rvi': '3' },
      body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/s' } }),
    });
    assert.equal(unknown.headers['x-m2m-rsc'], '4004');
    await unknown.body.dump();

    const other = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    const rsp = await other.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'gone', api: 'Ng', rr: true, srv: ['3'] } } });
    const goneId = (rsp.pc?.['m2m:ae'] as JsonObject).aei as string;
    const goneKey = run.bridge.registry.sessionForId(goneId)?.registration?.key as string;
    await other.close();
    const offline = await request(`${run.downlinkUrl}/r/${goneKey}/${goneId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'o1', 'x-m2m-rvi': '3', 'x-m2m-ec': '2' },
      body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/s' } }),
    });
    assert.equal(offline.statusCode, 404);
    assert.equal(offline.headers['x-m2m-rsc'], '5103');
    assert.equal(offline.headers['x-m2m-ri'], 'o1');
    await offline.body.dump();
  });
});

describe('downlink to a registered remoteCSE', () => {
  let run: Running;
  before(async () => {
    run = await startBridge();
  });
  after(async () => {
    await run.stop();
  });

  test('an MN-CSE registers over WebSocket and a retargeted RETRIEVE reaches it', async () => {
    const mn = await WsRegistree.connect(run.wsUrl, 'oneM2M.cbor');
    const reg = await mn.request({
      op: 1,
      to: 'cse-in',
      fr: '/id-mn',
      ty: 16,
      pc: { 'm2m:csr': { rn: 'mn-cse', csi: '/id-mn', cb: '/id-mn/cse-mn', rr: true, srv: ['3'], cst: 2, poa: ['ws://mn.example'] } },
    });
    assert.equal(reg.rsc, 2001, JSON.stringify(reg));
    const bound = run.bridge.registry.sessionForId('/id-mn');
    assert.ok(bound);
    assert.equal(bound.registration?.kind, 'cse');
    // The CSE holds the downlink URL as the remoteCSE's poa.
    assert.deepEqual(run.cse.resources.get('cse-in/mn-cse')?.attributes.poa, [`${run.addresses.downlinkUrl}/r/${bound.registration?.key}`]);
    // A bound CSE may send for entities under its CSE-ID.
    const relayed = await mn.request({ op: 2, to: 'cse-in', fr: '/id-mn/Cdevice' });
    assert.equal(relayed.rsc, 2000, JSON.stringify(relayed));
    // forwarded to the CSE with the relayed originator, unchanged
    assert.equal(run.cse.requests.find((r) => r.headers['x-m2m-ri'] === relayed.rqi)?.headers['x-m2m-origin'], '/id-mn/Cdevice');

    mn.onRequest((req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3', pc: { 'm2m:cnt': { rn: 'temp', ri: 'cnt7', cni: 1 } } }));
    const res = await request(`${run.downlinkUrl}/r/${bound.registration?.key}/~/id-mn/cse-mn/temp?rcn=1`, {
      headers: { accept: 'application/cbor', 'x-m2m-origin': 'CAdmin', 'x-m2m-ri': 'retarget-1', 'x-m2m-rvi': '3' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-m2m-rsc'], '2000');
    assert.equal(res.headers['content-type'], 'application/cbor');
    // the body is the MN-CSE's content, CBOR-encoded by the bridge (TS-0009: the pc as the HTTP body): decoded here with cbor-x itself
    assert.deepEqual(cborDecode(Buffer.from(await res.body.arrayBuffer())), { 'm2m:cnt': { rn: 'temp', ri: 'cnt7', cni: 1 } });
    const got = mn.received.find((r) => r.rqi === 'retarget-1');
    assert.equal(got?.op, 2);
    assert.equal(got?.to, '/id-mn/cse-mn/temp');
    assert.equal(got?.fr, 'CAdmin');
    await mn.close();
  });
});
