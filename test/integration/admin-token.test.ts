// Issue 12.6: the admin door's /api needs `Authorization: Bearer <token>` when
// --admin-token is set; /metrics, /healthz and /readyz stay open for probes and
// Prometheus. And the start-time warning when the admin door leaves loopback
// without a token.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import WebSocket from 'ws';
import { createBridge } from '../../src/bridge/bridge.js';
import type { BridgeConfig } from '../../src/config/config.js';
import { startFakeCse } from '../support/fake-cse.js';
import { startBridge, testConfig } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { waitUntil } from '../support/wait.js';

const TOKEN = 'x';

describe('admin door with --admin-token', () => {
  let run: Running;
  let admin: string;
  before(async () => {
    run = await startBridge({ adminToken: TOKEN });
    admin = `http://127.0.0.1:${run.addresses.admin.port}`;
  });
  after(async () => {
    await run.stop();
  });

  test('no Authorization header: 401 with a Bearer challenge and a reason, and nothing is listed or removed', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'untouched');
    const path = `/api/registrees/${encodeURIComponent(aei)}`;
    for (const r of [request(admin).get('/api/registrees'), request(admin).get(path), request(admin).delete(path)]) {
      const res = await r.expect(401);
      assert.match(String(res.headers['www-authenticate']), /^Bearer\b/);
      assert.match(String(res.body.error), /Authorization: Bearer/);
      assert.ok(!res.text.includes(aei), 'the 401 tells nothing about registrees');
    }
    // The DELETE above did not run: the registree is still registered and connected.
    const one = await request(admin).get(path).set('Authorization', `Bearer ${TOKEN}`).expect(200);
    assert.equal(one.body.online, true);
    assert.equal(ae.ws.readyState, WebSocket.OPEN);
    await ae.close();
  });

  test('a wrong token or one of another length: 401 with error="invalid_token"', async () => {
    for (const wrong of ['y', 'xx', 'X', `${TOKEN} ${TOKEN}`]) {
      const res = await request(admin).get('/api/registrees').set('Authorization', `Bearer ${wrong}`).expect(401);
      assert.match(String(res.headers['www-authenticate']), /^Bearer\b.*error="invalid_token"/, JSON.stringify(wrong));
    }
    await request(admin).delete('/api/registrees/nobody').set('Authorization', 'Bearer y').expect(401);
  });

  test('the token under another scheme, or bare, is refused', async () => {
    for (const header of [`Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`, `Basic ${TOKEN}`, `Token ${TOKEN}`, TOKEN, `Bearer`, `Bearer${TOKEN}`]) {
      await request(admin).get('/api/registrees').set('Authorization', header).expect(401);
    }
  });

  test('the right token: list 200, get 200, delete 204 (and the registree is gone); the scheme is case-insensitive', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'managed');
    const path = `/api/registrees/${encodeURIComponent(aei)}`;
    const list = await request(admin).get('/api/registrees').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    assert.ok((list.body as Array<{ id: string }>).some((r) => r.id === aei));
    const one = await request(admin).get(path).set('Authorization', `bearer ${TOKEN}`).expect(200);
    assert.equal(one.body.id, aei);
    await request(admin).delete(path).set('Authorization', `Bearer ${TOKEN}`).expect(204);
    assert.equal((await ae.closed).code, 4001);
    await request(admin).get(path).set('Authorization', `Bearer ${TOKEN}`).expect(404);
  });

  test('/metrics, /healthz and /readyz answer without a token', async () => {
    const metrics = await request(admin).get('/metrics').expect(200);
    assert.match(metrics.text, /^# TYPE onem2m_bridge_primitives_total counter$/m);
    await request(admin).get('/healthz').expect(200, { status: 'ok' });
    await request(admin).get('/readyz').expect(200);
  });

  test('any other path needs the token too, also /api spelled in capitals', async () => {
    await request(admin).get('/API/registrees').expect(401);
    // The status page's shell (/, /status.css, /status.js) is open (issue 20); nothing beside it is.
    await request(admin).get('/index.html').expect(401);
    await request(admin).get('/STATUS.JS').expect(401);
    await request(admin).get('/nothing-here').set('Authorization', `Bearer ${TOKEN}`).expect(404);
  });

  test('a plain fetch client: 401 without the header, 200 with it', async () => {
    const without = await fetch(`${admin}/api/registrees`);
    assert.equal(without.status, 401);
    assert.match(without.headers.get('www-authenticate') ?? '', /^Bearer\b/);
    await without.body?.cancel();
    const withToken = await fetch(`${admin}/api/registrees`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(withToken.status, 200);
    assert.ok(Array.isArray(await withToken.json()));
    const metrics = await fetch(`${admin}/metrics`);
    assert.equal(metrics.status, 200);
    await metrics.body?.cancel();
  });
});

test('without --admin-token the admin API stays open', async () => {
  const run = await startBridge();
  try {
    const admin = `http://127.0.0.1:${run.addresses.admin.port}`;
    const { ae, aei } = await registerAe(run.wsUrl, 'open');
    const list = await request(admin).get('/api/registrees').expect(200);
    assert.ok((list.body as Array<{ id: string }>).some((r) => r.id === aei));
    await request(admin).delete(`/api/registrees/${encodeURIComponent(aei)}`).expect(204);
    assert.equal((await ae.closed).code, 4001);
  } finally {
    await run.stop();
  }
});

// ------------------------------------------------------- the start warning

type Line = Record<string, unknown>;

/** Starts a bridge whose admin door listens on 0.0.0.0 and returns its log lines up to the end of start(). */
async function startLines(overrides: Partial<BridgeConfig>): Promise<Line[]> {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.length > 0) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  const cse = await startFakeCse();
  const bridge = createBridge(testConfig(cse.url, { logLevel: 'info', adminListen: { host: '0.0.0.0', port: 0 }, ...overrides }), { logger: pino({ level: 'info' }, sink) });
  try {
    await bridge.start();
    // The last line start() writes with the memory store: everything before it is in.
    await waitUntil(() => lines.some((l) => String(l.msg).startsWith('store is memory')), 2000, 'the end of start()');
  } finally {
    await bridge.stop();
    await cse.close();
  }
  return lines;
}

const WARN = 40;

test('admin door on 0.0.0.0 without a token: one warning that the API is open, naming --admin-token', async () => {
  const lines = await startLines({});
  const admin = lines.filter((l) => l.level === WARN && l.door === 'admin');
  assert.equal(admin.length, 1, JSON.stringify(admin));
  assert.match(String(admin[0].msg), /--admin-token/);
  assert.match(String(admin[0].msg), /open to anyone/);
  assert.match(String(admin[0].listen), /^0\.0\.0\.0:\d+$/);
});

test('admin door on 0.0.0.0 with a token: no warning about the token', async () => {
  const secret = 'tok-3f9a6c1e';
  const lines = await startLines({ adminToken: secret });
  const admin = lines.filter((l) => l.level === WARN && l.door === 'admin');
  for (const l of admin) {
    assert.doesNotMatch(String(l.msg), /admin-token/);
    assert.doesNotMatch(String(l.msg), /open to anyone/);
  }
  // Nor does any other line name it, and the token itself is never logged.
  for (const l of lines) {
    assert.doesNotMatch(String(l.msg), /--admin-token/);
    assert.ok(!JSON.stringify(l).includes(secret), `the token is logged: ${JSON.stringify(l)}`);
  }
});
