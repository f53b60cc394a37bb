// --identity-map and --credentials: a connection may only be the originators they allow.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { WsRegistree } from '../support/ws-registree.js';

const tlsDir = 'test/fixtures/tls';
const pem = (name: string) => readFileSync(join(tlsDir, `${name}.pem`));
const ca = pem('ca');
const aeRequest = (fr: string, rn: string) => ({ op: 1, to: 'cse-in', fr, ty: 2, pc: { 'm2m:ae': { rn, api: 'Nacc', rr: true, srv: ['3'] } } });

describe('--identity-map', { timeout: 30_000 }, () => {
  let run: Running;
  let dir: string;
  let wss: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridge-access-'));
    const map = join(dir, 'map.yaml');
    // device-a by its SAN URI; device-b is not in the map.
    await writeFile(map, '"URI:urn:onem2m:ae:Cdevice-a": [Cdevice-a]\n');
    run = await startBridge({ tlsCert: join(tlsDir, 'server.pem'), tlsKey: join(tlsDir, 'server-key.pem'), tlsCa: join(tlsDir, 'ca.pem'), tlsClientAuth: 'require', identityMap: map });
    wss = `wss://127.0.0.1:${run.addresses.public.port}/`;
  });
  after(async () => {
    await run.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a certificate registers only as the originators the map gives it', async () => {
    const a = await WsRegistree.connect(wss, 'oneM2M.json', { tls: { ca, cert: pem('client-a'), key: pem('client-a-key') } });
    assert.equal((await a.request(aeRequest('C', 'anyId'))).rsc, 4103);
    assert.equal((await a.request(aeRequest('Cother', 'other'))).rsc, 4103);
    assert.equal((await a.request(aeRequest('Cdevice-a', 'deviceA'))).rsc, 2001);
    assert.ok(run.bridge.registry.sessionForId('Cdevice-a') !== undefined);
    await a.close();
  });

  test('a certificate the map does not know gets HTTP 403 at the handshake', async () => {
    await assert.rejects(WsRegistree.connect(wss, 'oneM2M.json', { tls: { ca, cert: pem('client-b'), key: pem('client-b-key') } }), /handshake failed: 403/);
  });
});

describe('--credentials', { timeout: 30_000 }, () => {
  let run: Running;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridge-creds-'));
    const creds = join(dir, 'creds.yaml');
    await writeFile(creds, 'Cbasic: {basic: "device:secret"}\nCbearer: {bearer: "t0ken"}\n');
    run = await startBridge({ credentials: creds });
  });
  after(async () => {
    await run.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('handshakes without matching X-M2M-Origin and Authorization get HTTP 401', async () => {
    await assert.rejects(WsRegistree.connect(run.wsUrl, 'oneM2M.json'), /handshake failed: 401/);
    await assert.rejects(WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': 'Cbearer', Authorization: 'Bearer wrong' } }), /401/);
    await assert.rejects(WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': 'Cbasic', Authorization: 'Bearer t0ken' } }), /401/);
  });

  test('an authenticated connection registers as its originator and nothing else', async () => {
    const basic = 'Basic ' + Buffer.from('device:secret').toString('base64');
    const c = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': 'Cbasic', Authorization: basic } });
    assert.equal((await c.request(aeRequest('Cbearer', 'notMine'))).rsc, 4103);
    assert.equal((await c.request(aeRequest('Cbasic', 'basicAE'))).rsc, 2001);
    await c.close();
    const b = await WsRegistree.connect(run.wsUrl, 'oneM2M.cbor', { headers: { 'X-M2M-Origin': 'Cbearer', Authorization: 'Bearer t0ken' } });
    // Cbasic is registered, but this connection is Cbearer: it may not act as Cbasic.
    assert.equal((await b.request({ op: 2, to: 'cse-in/basicAE', fr: 'Cbasic' })).rsc, 4103);
    await b.close();
  });
});
