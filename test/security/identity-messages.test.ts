// Issue 21 item 5: every 4103 answer and every 401/403 refusal names the
// identity mode actually in force and what the client can do, and never
// another mode's remedy (in --credentials mode, no word of client
// certificates). Plus: --credentials over ws:// beyond loopback is one warn
// at start.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import { createBridge } from '../../src/bridge/bridge.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { aeRegistration, startScene } from './support.js';
import type { Mode, Scene } from './support.js';

const tlsDir = 'test/fixtures/tls';
const pem = (name: string) => readFileSync(join(tlsDir, `${name}.pem`));

/** The mode's own words, and the words of the other modes that must not appear. */
const TABLE: Array<{ mode: Mode; names: string; never: string[] }> = [
  { mode: 'none', names: '--identity none', never: ['--credentials', '--identity-map', '--identity tls', 'certificate', 'Authorization'] },
  { mode: 'tls', names: '--identity tls', never: ['--credentials', '--identity-map', 'Authorization'] },
  { mode: 'identity-map', names: '--identity-map', never: ['--credentials', '--identity tls', 'Authorization'] },
  { mode: 'credentials', names: '--credentials', never: ['--identity tls', '--identity-map', 'certificate'] },
];

function dbg(rsp: { pc?: Record<string, unknown> }): string {
  return String(rsp.pc?.['m2m:dbg'] ?? '');
}

function assertNamesMode(text: string, row: (typeof TABLE)[number], what: string): void {
  assert.ok(text.includes(row.names), `${row.mode}: ${what} names ${row.names}: ${text}`);
  for (const word of row.never) assert.ok(!text.includes(word), `${row.mode}: ${what} speaks of ${word}: ${text}`);
}

/** The status and body of a refused WebSocket handshake. */
function refusedHandshake(url: string, options: WebSocket.ClientOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'oneM2M.json', options);
    ws.once('open', () => {
      ws.close();
      reject(new Error('the handshake was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

for (const row of TABLE) {
  describe(`identity ${row.mode}: refusals name the mode in force`, { timeout: 30_000 }, () => {
    let scene: Scene;
    before(async () => {
      scene = await startScene(row.mode);
    });
    after(async () => {
      await scene.stop();
    });

    test('an unbound connection sending as an unknown originator: 4103 naming the mode', async () => {
      const ws = await scene.connect(row.mode === 'none' ? 'nobody' : 'mallory');
      const rsp = await ws.request({ op: 2, to: 'cse-in', fr: 'Cnobody' });
      assert.equal(rsp.rsc, 4103);
      assertNamesMode(dbg(rsp), row, 'the not-bound answer');
      await ws.close();
    });

    test('a bound connection sending as another originator: 4103 naming the mode', async () => {
      const calice = await scene.connect('calice');
      assert.equal((await calice.request(aeRegistration('Calice'))).rsc, 2001);
      const rsp = await calice.request({ op: 2, to: 'cse-in', fr: 'Cother' });
      assert.equal(rsp.rsc, 4103);
      assertNamesMode(dbg(rsp), row, 'the foreign-originator answer');
      await calice.close();
    });

    if (row.mode !== 'none') {
      test("acting as a registree of another identity: 4103 naming the mode and the client's way", async () => {
        const mallory = await scene.connect('mallory');
        const rsp = await mallory.request({ op: 2, to: 'cse-in', fr: 'Calice' });
        assert.equal(rsp.rsc, 4103);
        assertNamesMode(dbg(rsp), row, 'the identity refusal');
        await mallory.close();
      });
    }
  });
}

describe('handshake and passthrough refusals name the mode in force', { timeout: 30_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridge-idmsg-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('--credentials: 401 at the handshake and 403 on passthrough speak of credentials only', async () => {
    const scene = await startScene('credentials');
    try {
      const port = scene.addresses.public.port;
      const refused = await refusedHandshake(`ws://127.0.0.1:${port}/`, { headers: { 'X-M2M-Origin': 'Calice', Authorization: 'Bearer wrong' } });
      assert.equal(refused.status, 401);
      assertNamesMode(refused.body, TABLE[3], 'the 401');
      const passthrough = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/cse-in', headers: { 'X-M2M-RI': 'p1' } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(passthrough.status, 403);
      assertNamesMode(passthrough.body, TABLE[3], 'the passthrough 403');
    } finally {
      await scene.stop();
    }
  });

  test('--identity-map: a certificate the map does not know gets 403 naming the map and its own names', async () => {
    const map = join(dir, 'only-a.yaml');
    await writeFile(map, '"CN=device-a": [Calice]\n');
    const scene = await startScene('identity-map', { identityMap: map });
    try {
      const refused = await refusedHandshake(`wss://127.0.0.1:${scene.addresses.public.port}/`, { ca: pem('ca'), cert: pem('client-b'), key: pem('client-b-key') });
      assert.equal(refused.status, 403);
      assertNamesMode(refused.body, TABLE[2], 'the 403');
      assert.match(refused.body, /CN=device-b/);
    } finally {
      await scene.stop();
    }
  });
});

describe('--credentials over ws:// beyond loopback', { timeout: 30_000 }, () => {
  let cse: FakeCse;
  let dir: string;
  let creds: string;
  before(async () => {
    cse = await startFakeCse();
    dir = await mkdtemp(join(tmpdir(), 'bridge-idwarn-'));
    creds = join(dir, 'creds.yaml');
    await writeFile(creds, 'Cdev: {bearer: t0ken}\n');
  });
  after(async () => {
    await cse.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function warnings(listenHost: string, tls: boolean): Promise<string[]> {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as { level: number; msg: string });
        done();
      },
    });
    const tlsFiles = tls ? { tlsCert: join(tlsDir, 'server.pem'), tlsKey: join(tlsDir, 'server-key.pem') } : {};
    const bridge = createBridge(testConfig(cse.url, { credentials: creds, listen: { host: listenHost, port: 0 }, ...tlsFiles }), { logger: pino({ level: 'info' }, sink) });
    await bridge.start();
    await bridge.stop();
    return lines.filter((l) => l.level === 40 && l.msg.includes('--credentials')).map((l) => l.msg);
  }

  test('one warn at start on a ws:// door beyond loopback, none on loopback or wss://', async () => {
    const open = await warnings('0.0.0.0', false);
    assert.equal(open.length, 1, JSON.stringify(open));
    assert.match(open[0], /ws:\/\//);
    assert.match(open[0], /clear text/);
    assert.deepEqual(await warnings('127.0.0.1', false), []);
    assert.deepEqual(await warnings('0.0.0.0', true), []);
  });
});
