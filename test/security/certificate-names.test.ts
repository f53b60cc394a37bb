// Issue 21 item 4: subject alternative names with commas and quotes. Node
// writes such a value as a JSON string (`URI:"urn:a\u002cb"`); splitting the
// list on ", " broke it. A client certificate with such names is made here
// with openssl, signed by the fixture CA, and used for real.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { certificateNames, splitAltNames } from '../../src/bridge/access.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { WsRegistree } from '../support/ws-registree.js';

const tlsDir = 'test/fixtures/tls';
const ca = readFileSync(join(tlsDir, 'ca.pem'));

// openssl config syntax: one name per line; \" is a quote inside a quoted value.
const ALT_NAMES = `[ext]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
subjectAltName = @alt
[alt]
URI.1 = urn:onem2m:ae:Cdev,1
URI.2 = "urn:x:say\\"hi\\""
DNS.1 = plain.example
DNS.2 = "evil.example, URI:urn:onem2m:ae:Cadmin"
`;

/** The names as they are in the certificate, unescaped. */
const EXPECTED_SANS = ['URI:urn:onem2m:ae:Cdev,1', 'URI:urn:x:say"hi"', 'DNS:plain.example', 'DNS:evil.example, URI:urn:onem2m:ae:Cadmin'];

describe('certificate names with commas and quotes', { timeout: 60_000 }, () => {
  let dir: string;
  let cert: Buffer;
  let key: Buffer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridge-san-'));
    await writeFile(join(dir, 'ext.cnf'), ALT_NAMES);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'req.pem', '-subj', '/CN=dev, "one"');
    openssl('x509', '-req', '-in', 'req.pem', '-CA', join(process.cwd(), tlsDir, 'ca.pem'), '-CAkey', join(process.cwd(), tlsDir, 'ca-key.pem'), '-set_serial', String(Date.now()), '-days', '1', '-extfile', 'ext.cnf', '-extensions', 'ext', '-out', 'cert.pem');
    cert = await readFile(join(dir, 'cert.pem'));
    key = await readFile(join(dir, 'key.pem'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('Node quotes the values; the names read back are the ones in the certificate', () => {
    const x509 = new X509Certificate(cert);
    // What makes ", " splitting wrong: Node escapes the commas inside values.
    assert.match(String(x509.subjectAltName), /URI:"urn:onem2m:ae:Cdev\\u002c1"/);
    assert.deepEqual(splitAltNames(String(x509.subjectAltName)), EXPECTED_SANS);
    assert.deepEqual(certificateNames({ subject: { CN: 'dev, "one"' } as never, subjectaltname: x509.subjectAltName }), ['CN=dev, "one"', ...EXPECTED_SANS]);
  });

  test('a value holding ", URI:…" stays one DNS name and never becomes a URI name', () => {
    const names = splitAltNames(String(new X509Certificate(cert).subjectAltName)) ?? [];
    assert.ok(!names.includes('URI:urn:onem2m:ae:Cadmin'));
    assert.ok(!names.some((n) => n.includes('"evil.example') || n.endsWith('Cadmin"')));
  });

  test('a list Node could not have written yields nothing, not half-read names', () => {
    assert.equal(splitAltNames('DNS:"unterminated'), undefined);
    assert.deepEqual(splitAltNames(''), []);
    assert.deepEqual(splitAltNames('DNS:a.example, IP Address:10.0.0.1'), ['DNS:a.example', 'IP Address:10.0.0.1']);
  });

  describe('--identity-map with such names', () => {
    let run: Running;
    let wss: string;
    before(async () => {
      const map = join(dir, 'map.yaml');
      await writeFile(map, ['"URI:urn:onem2m:ae:Cdev,1": [Cdev1]', '\'URI:urn:x:say"hi"\': [Csay]', '"URI:urn:onem2m:ae:Cadmin": [Cadmin]', ''].join('\n'));
      run = await startBridge({ tlsCert: join(tlsDir, 'server.pem'), tlsKey: join(tlsDir, 'server-key.pem'), tlsCa: join(tlsDir, 'ca.pem'), tlsClientAuth: 'require', identityMap: map });
      wss = `wss://127.0.0.1:${run.addresses.public.port}/`;
    });
    after(async () => {
      await run?.stop();
    });

    test('a SAN with a comma or quotes is matched exactly; one smuggled inside a DNS value is not', async () => {
      const ws = await WsRegistree.connect(wss, 'oneM2M.json', { tls: { ca, cert, key } });
      const register = (fr: string, rn: string) => ws.request({ op: 1, to: 'cse-in', fr, ty: 2, pc: { 'm2m:ae': { rn, api: 'Nsan', rr: true, srv: ['3'] } } });
      assert.equal((await register('Cadmin', 'admin')).rsc, 4103);
      assert.equal((await register('Csay', 'say')).rsc, 2001);
      await ws.close();
      const again = await WsRegistree.connect(wss, 'oneM2M.json', { tls: { ca, cert, key } });
      assert.equal((await again.request({ op: 1, to: 'cse-in', fr: 'Cdev1', ty: 2, pc: { 'm2m:ae': { rn: 'dev1', api: 'Nsan', rr: true, srv: ['3'] } } })).rsc, 2001);
      assert.ok(run.bridge.registry.sessionForId('Cdev1') !== undefined);
      await again.close();
    });
  });
});
