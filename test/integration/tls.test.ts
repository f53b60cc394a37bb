// Issue 5: wss:// on the public door, client-certificate identity (DESIGN 3),
// https toward the CSE. Certificates: test/fixtures/tls (test-only).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../../src/primitive/types.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { WsRegistree } from '../support/ws-registree.js';

const dir = 'test/fixtures/tls';
const pem = (name: string) => readFileSync(join(dir, `${name}.pem`));
const ca = pem('ca');
const deviceA = { ca, cert: pem('client-a'), key: pem('client-a-key') };
const deviceB = { ca, cert: pem('client-b'), key: pem('client-b-key') };
const rogue = { ca, cert: pem('rogue'), key: pem('rogue-key') };
const tlsFiles = { tlsCert: join(dir, 'server.pem'), tlsKey: join(dir, 'server-key.pem'), tlsCa: join(dir, 'ca.pem') };

describe('wss:// with mutual TLS and --identity tls', { timeout: 30_000 }, () => {
  let run: Running;
  let wss: string;
  before(async () => {
    run = await startBridge({ ...tlsFiles, tlsClientAuth: 'require', identity: 'auto' });
    wss = `wss://127.0.0.1:${run.addresses.public.port}/`;
  });
  after(async () => {
    await run.stop();
  });

  test('a device with a certificate from the trusted CA registers over wss and its fingerprint is kept', async () => {
    const ae = await WsRegistree.connect(wss, 'oneM2M.json', { tls: deviceA });
    const rsp = await ae.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'secureA', api: 'Ns', rr: true, srv: ['3'] } } });
    assert.equal(rsp.rsc, 2001);
    const aei = (rsp.pc?.['m2m:ae'] as JsonObject).aei as string;
    const reg = await run.bridge.store.getRegistration(aei);
    assert.match(String(reg?.identity), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    await ae.close();
  });

  test('without a client certificate, or with one from another CA, the handshake fails', async () => {
    await assert.rejects(WsRegistree.connect(wss, 'oneM2M.json', { tls: { ca } }));
    await assert.rejects(WsRegistree.connect(wss, 'oneM2M.json', { tls: rogue }));
    await assert.rejects(WsRegistree.connect(`ws://127.0.0.1:${run.addresses.public.port}/`, 'oneM2M.json'));
  });

  test('another certificate can neither rebind a registree nor send as it: 4103, nothing forwarded', async () => {
    const ae = await WsRegistree.connect(wss, 'oneM2M.json', { tls: deviceA });
    const rsp = await ae.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'ownedByA', api: 'Ns', rr: true, srv: ['3'] } } });
    const aei = (rsp.pc?.['m2m:ae'] as JsonObject).aei as string;
    await ae.close();

    const thief = await WsRegistree.connect(wss, 'oneM2M.json', { tls: deviceB, headers: { 'X-M2M-Origin': aei } });
    const before = run.cse.requests.length;
    const stolen = await thief.request({ op: 2, to: 'cse-in/ownedByA', fr: aei });
    assert.equal(stolen.rsc, 4103);
    assert.match(String(stolen.pc?.['m2m:dbg']), /client certificate/);
    assert.equal(run.cse.requests.length, before);
    assert.equal(run.bridge.registry.sessionForId(aei), undefined);
    await thief.close();

    const owner = await WsRegistree.connect(wss, 'oneM2M.json', { tls: deviceA, headers: { 'X-M2M-Origin': aei } });
    assert.equal((await owner.request({ op: 2, to: 'cse-in/ownedByA', fr: aei })).rsc, 2000);
    assert.ok(run.bridge.registry.sessionForId(aei) !== undefined);
    await owner.close();
  });

  test('reloading the certificate (SIGHUP) keeps open connections and serves new ones', async () => {
    const open = await WsRegistree.connect(wss, 'oneM2M.cbor', { tls: deviceA });
    run.bridge.reloadTls();
    const fresh = await WsRegistree.connect(wss, 'oneM2M.json', { tls: deviceA });
    assert.equal((await open.request({ op: 2, to: 'cse-in', fr: 'Cnobody' })).rsc, 4103);
    assert.equal((await fresh.request({ op: 2, to: 'cse-in', fr: 'Cnobody' })).rsc, 4103);
    await open.close();
    await fresh.close();
  });
});

describe('https toward the CSE', { timeout: 30_000 }, () => {
  let upstream: ReturnType<typeof createServer>;
  let port: number;
  let withCert: Running;
  let withoutCert: Running;
  before(async () => {
    // A CSE behind mutual TLS: answers only clients with a certificate from the test CA.
    upstream = createServer({ cert: pem('server'), key: pem('server-key'), ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.writeHead(200, { 'x-m2m-rsc': '2000', 'x-m2m-ri': String(req.headers['x-m2m-ri']), 'x-m2m-rvi': '3', 'content-type': 'application/json' });
      res.end(JSON.stringify({ 'm2m:cb': { csi: '/id-tls' } }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    port = (upstream.address() as AddressInfo).port;
    const base = { upstream: new URL(`https://127.0.0.1:${port}`), allowOriginator: ['CAdmin'], upstreamCa: join(dir, 'ca.pem') };
    withCert = await startBridge({ ...base, upstreamCert: join(dir, 'client-a.pem'), upstreamKey: join(dir, 'client-a-key.pem') });
    withoutCert = await startBridge(base);
  });
  after(async () => {
    await withCert.stop();
    await withoutCert.stop();
    upstream.close();
  });

  test('the bridge presents its client certificate and trusts the CSE through --upstream-ca', async () => {
    const c = await WsRegistree.connect(withCert.wsUrl, 'oneM2M.json');
    const rsp = await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin' });
    assert.equal(rsp.rsc, 2000);
    assert.equal((rsp.pc?.['m2m:cb'] as JsonObject).csi, '/id-tls');
    await c.close();
  });

  test('without the client certificate the CSE is not reachable: 5103', async () => {
    const c = await WsRegistree.connect(withoutCert.wsUrl, 'oneM2M.json');
    assert.equal((await c.request({ op: 2, to: 'cse-in', fr: 'CAdmin' })).rsc, 5103);
    await c.close();
  });
});
