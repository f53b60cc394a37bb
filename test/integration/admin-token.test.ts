// Issue 12.6: the admin door's /api needs `Authorization: Bearer <token>` when
// --admin-token is set; /metrics, /healthz and /readyz stay open for probes and
// Prometheus.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import WebSocket from 'ws';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { registerAe } from '../support/register.js';

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
    await request(admin).get('/').expect(401);
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
