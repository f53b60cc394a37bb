// Uplink mode: the fake CSE plays the HTTP-only CSE (an MN-CSE, /id-mn) that
// registers to a WebSocket registrar (an IN-CSE, /id-in) through the bridge.
// Its HTTP requests for the registrar go in at the uplink door and out on
// the bridge's WebSocket; the registrar's requests come back on that socket
// and reach the CSE over HTTP.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import type { BridgeConfig } from '../../src/config/config.js';
import type { JsonObject, RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';
import { createUplinkMode } from '../../src/uplink-mode/uplink-mode.js';
import type { UplinkMode } from '../../src/uplink-mode/uplink-mode.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import type { ConnectProxy } from '../support/connect-proxy.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';
import { TestRegistrar } from '../support/ws-registrar.js';

const LOOPBACK_0 = { host: '127.0.0.1', port: 0 };
const tlsDir = 'test/fixtures/tls';
const pem = (name: string) => readFileSync(join(tlsDir, `${name}.pem`));

/** The registrar IN-CSE (/id-in, CSEBase cse-in) as far as these tests need it. */
function inCse(req: RequestPrimitive): ResponsePrimitive | null {
  const ok = (rsc: number, pc?: JsonObject): ResponsePrimitive => ({ rsc, rqi: req.rqi, rvi: '3', ...(pc ? { pc } : {}) });
  if (req.to === '/id-in/cse-in/slow') return null;
  if (req.op === 1 && req.ty === 16 && req.to === '/id-in/cse-in') return ok(2001, { 'm2m:csr': { ...(req.pc?.['m2m:csr'] as JsonObject), ri: 'id-mn', pi: 'cb-in', ty: 16 } });
  if (req.op === 2 && req.to === '/id-in/cse-in') return ok(2000, { 'm2m:cb': { ri: 'cb-in', rn: 'cse-in', ty: 5, csi: '/id-in', srv: ['3'], poa: ['ws://in.example:8180', 'http://10.1.2.3:8080'] } });
  if (req.op === 5) return ok(2000);
  return ok(4004, { 'm2m:dbg': `not found: ${req.to}` });
}

async function legacyRequest(doorUrl: string, method: string, path: string, headers: Record<string, string>, body?: JsonObject) {
  const res = await request(`${doorUrl}${path}`, { method: method as 'GET', headers: { accept: 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as JsonObject) };
}

function uplinkConfig(cse: FakeCse, overrides: Partial<BridgeConfig>): BridgeConfig {
  return testConfig(cse.url, { uplinkListen: LOOPBACK_0, ...overrides });
}

describe('uplink mode against a WebSocket registrar', { timeout: 30_000 }, () => {
  let cse: FakeCse;
  let registrar: TestRegistrar;
  let uplink: UplinkMode;
  let door: string;
  before(async () => {
    cse = await startFakeCse({ cseId: 'id-mn', csebaseName: 'cse-mn' });
    registrar = await TestRegistrar.start({ handler: inCse });
    uplink = createUplinkMode(uplinkConfig(cse, { uplink: registrar.url, uplinkFormat: 'cbor' }));
    door = (await uplink.start()).url;
  });
  after(async () => {
    await uplink.stop();
    await registrar.close();
    await cse.close();
  });

  test('holds a WebSocket to the registrar from the start, offering the configured serialization first', async () => {
    const conn = await registrar.waitForConnections(1);
    assert.equal(conn.subprotocol, 'oneM2M.cbor');
    assert.equal(conn.origin, undefined, 'no CSE-ID configured or learned yet');
    await waitUntil(() => uplink.client.connected, 5000, 'the client to see the connection open');
  });

  test("the CSE's registration goes out on the WebSocket with ws://default in place of its HTTP poa and its answer comes back as HTTP", async () => {
    const rsp = await legacyRequest(door, 'POST', '/~/id-in/cse-in', { 'x-m2m-origin': '/id-mn', 'x-m2m-ri': 'reg-1', 'x-m2m-rvi': '3', 'content-type': 'application/json;ty=16' }, {
      'm2m:csr': { rn: 'id-mn', csi: '/id-mn', cb: '/id-mn/cse-mn', rr: true, poa: [cse.url], srv: ['3'] },
    });
    assert.equal(rsp.status, 201);
    assert.equal(rsp.headers['x-m2m-rsc'], '2001');
    assert.equal(rsp.headers['x-m2m-ri'], 'reg-1', 'X-M2M-RI exactly as the CSE sent it');
    const sent = registrar.current!.received.at(-1)!;
    assert.equal(sent.op, 1);
    assert.equal(sent.ty, 16);
    assert.equal(sent.to, '/id-in/cse-in');
    assert.equal(sent.fr, '/id-mn');
    const csr = sent.pc?.['m2m:csr'] as JsonObject;
    assert.equal(csr.csi, '/id-mn');
    assert.deepEqual(csr.poa, ['ws://default'], "the CSE's own http poa is not given to the registrar; a ws:// entry says: over this connection");
    assert.equal(uplink.client.origin, '/id-mn', 'the uplink learned its CSE-ID from the registration');
  });

  test("the registrar's CSEBase reaches the CSE with the uplink door in place of its ws:// poa", async () => {
    const rsp = await legacyRequest(door, 'GET', '/~/id-in/cse-in', { 'x-m2m-origin': '/id-mn', 'x-m2m-ri': 'cb-1', 'x-m2m-rvi': '3' });
    assert.equal(rsp.status, 200);
    assert.deepEqual((rsp.body?.['m2m:cb'] as JsonObject).poa, [door, 'http://10.1.2.3:8080']);
  });

  test("the registrar's requests reach the CSE over HTTP, and the CSE's notifications reach the registrar over the WebSocket", async () => {
    const conn = registrar.current!;
    // The registrar's <remoteCSE> at the CSE: its ws:// poa becomes the uplink door, so the CSE can notify it.
    const csr = await conn.request({ op: 1, to: '/id-mn/cse-mn', fr: '/id-in', ty: 16, pc: { 'm2m:csr': { rn: 'id-in', csi: '/id-in', cb: '/id-in/cse-in', rr: true, poa: ['ws://in.example:8180'], srv: ['3'] } } });
    assert.equal(csr.rsc, 2001, JSON.stringify(csr));
    const stored = cse.resources.all().find((r) => r.ty === 16 && r.attributes.csi === '/id-in');
    assert.deepEqual(stored?.attributes.poa, [door]);
    assert.deepEqual((csr.pc?.['m2m:csr'] as JsonObject).poa, ['ws://default'], 'HTTP addresses are not handed to the registrar');

    const cnt = await conn.request({ op: 1, to: '/id-mn/cse-mn', fr: '/id-in', ty: 3, pc: { 'm2m:cnt': { rn: 'readings' } } });
    assert.equal(cnt.rsc, 2001, JSON.stringify(cnt));
    // The CSE verifies the subscription by a NOTIFY to /id-in: out through the uplink door, answered by the registrar.
    const sub = await conn.request({ op: 1, to: '/id-mn/cse-mn/readings', fr: '/id-in', ty: 23, pc: { 'm2m:sub': { rn: 'up', nu: ['/id-in'], enc: { net: [3] } } } });
    assert.equal(sub.rsc, 2001, JSON.stringify(sub));
    const before = conn.received.length;
    await cse.createContentInstance('cse-mn/readings', 21.5);
    await cse.idle();
    const notify = conn.received.slice(before).find((r) => r.op === 5);
    assert.ok(notify, 'the notification arrived on the WebSocket');
    assert.equal(notify.to, '/id-in');
    assert.equal(notify.fr, '/id-mn');
    assert.equal(((((notify.pc?.['m2m:sgn'] as JsonObject).nev as JsonObject).rep as JsonObject)['m2m:cin'] as JsonObject).con, 21.5);
    const last = cse.notifications.at(-1)!;
    assert.equal(last.url, `${door}/~/id-in`);
    assert.equal(last.result, 2000, "the CSE accepted the registrar's answer");
  });

  test('bad requests on the uplink door get a oneM2M answer saying why', async () => {
    const noRi = await legacyRequest(door, 'GET', '/~/id-in/cse-in', { 'x-m2m-origin': '/id-mn' });
    assert.equal(noRi.status, 400);
    assert.equal(noRi.headers['x-m2m-rsc'], '4000');
    assert.match(String(noRi.body?.['m2m:dbg']), /X-M2M-RI/);
    const noTarget = await legacyRequest(door, 'GET', '/', { 'x-m2m-origin': '/id-mn', 'x-m2m-ri': 'nt-1' });
    assert.equal(noTarget.status, 400);
    assert.equal(noTarget.headers['x-m2m-ri'], 'nt-1');
    assert.match(String(noTarget.body?.['m2m:dbg']), /no request target/);
  });

  test('after the registrar drops the connection the bridge reconnects naming the CSE, and requests flow again', async () => {
    const n = registrar.connections.length;
    registrar.dropAll();
    const again = await registrar.waitForConnections(n + 1);
    assert.equal(again.origin, '/id-mn', 'X-M2M-Origin binds the new connection to the registration');
    const rsp = await legacyRequest(door, 'GET', '/~/id-in/cse-in', { 'x-m2m-origin': '/id-mn', 'x-m2m-ri': 'after-drop', 'x-m2m-rvi': '3' });
    assert.equal(rsp.status, 200);
    assert.equal(again.received.at(-1)?.rqi, 'after-drop', "the WebSocket leg keeps the CSE's rqi");
  });
});

describe('uplink mode when the registrar does not answer', { timeout: 30_000 }, () => {
  let cse: FakeCse;
  before(async () => {
    cse = await startFakeCse({ cseId: 'id-mn', csebaseName: 'cse-mn' });
  });
  after(async () => {
    await cse.close();
  });

  test('no registrar to connect to: the CSE gets 5103 within the uplink timeout', async () => {
    const gone = await TestRegistrar.start();
    const url = gone.url;
    await gone.close();
    const uplink = createUplinkMode(uplinkConfig(cse, { uplink: url, uplinkTimeoutMs: 200 }));
    const door = (await uplink.start()).url;
    try {
      const rsp = await legacyRequest(door, 'GET', '/~/id-in/cse-in', { 'x-m2m-origin': '/id-mn', 'x-m2m-ri': 'lonely', 'x-m2m-rvi': '3' });
      assert.equal(rsp.headers['x-m2m-rsc'], '5103');
      assert.equal(rsp.headers['x-m2m-ri'], 'lonely');
      assert.match(String(rsp.body?.['m2m:dbg']), /registrar: no connection/);
    } finally {
      await uplink.stop();
    }
  });

  test('a registrar that never answers: the CSE gets 4008', async () => {
    const registrar = await TestRegistrar.start({ handler: inCse });
    const uplink = createUplinkMode(uplinkConfig(cse, { uplink: registrar.url, uplinkTimeoutMs: 200, uplinkOrigin: '/id-mn' }));
    const door = (await uplink.start()).url;
    try {
      assert.equal((await registrar.waitForConnections(1)).origin, '/id-mn', 'a configured CSE-ID is named from the first handshake');
      const rsp = await legacyRequest(door, 'GET', '/~/id-in/cse-in/slow', { 'x-m2m-origin': '/id-mn', 'x-m2m-ri': 'slow-1', 'x-m2m-rvi': '3' });
      assert.equal(rsp.status, 504);
      assert.equal(rsp.headers['x-m2m-rsc'], '4008');
    } finally {
      await uplink.stop();
      await registrar.close();
    }
  });
});

describe('uplink mode through a CONNECT proxy to a wss:// registrar with a client certificate', { timeout: 30_000 }, () => {
  let cse: FakeCse;
  let registrar: TestRegistrar;
  let proxy: ConnectProxy;
  let uplink: UplinkMode;
  before(async () => {
    cse = await startFakeCse({ cseId: 'id-mn', csebaseName: 'cse-mn' });
    registrar = await TestRegistrar.start({ handler: inCse, tls: { cert: pem('server'), key: pem('server-key'), ca: pem('ca'), requireClientCert: true } });
    proxy = await startConnectProxy();
    uplink = createUplinkMode(
      uplinkConfig(cse, {
        uplink: registrar.url,
        uplinkProxy: proxy.url,
        uplinkCa: join(tlsDir, 'ca.pem'),
        uplinkCert: join(tlsDir, 'client-a.pem'),
        uplinkKey: join(tlsDir, 'client-a-key.pem'),
      }),
    );
    await uplink.start();
  });
  after(async () => {
    await uplink.stop();
    await proxy.close();
    await registrar.close();
    await cse.close();
  });

  test('the tunnel is opened with CONNECT, TLS runs inside it with the client certificate, and requests flow both ways', async () => {
    const conn = await registrar.waitForConnections(1);
    assert.deepEqual(proxy.connects, [`127.0.0.1:${registrar.port}`]);
    assert.equal(conn.peerCn, 'device-a');
    const rsp = await conn.request({ op: 2, to: '/id-mn/cse-mn', fr: 'CAdmin' });
    assert.equal(rsp.rsc, 2000);
    assert.equal((rsp.pc?.['m2m:cb'] as JsonObject).csi, '/id-mn');
    assert.deepEqual((rsp.pc?.['m2m:cb'] as JsonObject).poa, ['ws://default'], "the CSE's HTTP address stays behind the bridge");
  });
});
