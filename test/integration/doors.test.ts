// The public door's HTTP passthrough and the admin door (DESIGN 1, 7).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { request as httpRequest } from 'undici';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { waitUntil } from '../support/wait.js';

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!wanted.every((w) => line.includes(w))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * DESIGN 7's metric names, as dashboards, alert rules and operators' queries
 * spell them: literals, not the bridge's own constants, so a rename fails here.
 */
const DESIGN_7_METRICS = [
  'onem2m_bridge_ws_connections',
  'onem2m_bridge_ws_handshakes_total',
  'onem2m_bridge_primitives_total',
  'onem2m_bridge_request_duration_seconds',
  'onem2m_bridge_upstream_errors_total',
  'onem2m_bridge_registrees',
  'onem2m_bridge_queue_messages',
  'onem2m_bridge_queue_bytes',
  'onem2m_bridge_queue_events_total',
  'onem2m_bridge_passthrough_requests_total',
  'onem2m_bridge_store_up',
  'onem2m_bridge_cluster_routes_total',
  'onem2m_bridge_upstream_up',
  'onem2m_bridge_build_info',
  'onem2m_bridge_upstream_connections_opened_total',
] as const;

describe('public door passthrough', () => {
  let run: Running;
  let closed: Running;
  before(async () => {
    run = await startBridge();
    closed = await startBridge({ passthrough: false });
  });
  after(async () => {
    await run.stop();
    await closed.stop();
  });

  test('a plain HTTP request reaches the CSE unchanged and its answer comes back unchanged', async () => {
    const body = JSON.stringify({ 'm2m:ae': { rn: 'httpAE', api: 'Nhttp', rr: false, srv: ['3'] } });
    const res = await httpRequest(`http://127.0.0.1:${run.addresses.public.port}/cse-in?rcn=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json;ty=2', 'x-m2m-origin': 'Chttp', 'x-m2m-ri': 'pt-1', 'x-m2m-rvi': '3', 'x-custom': 'kept' },
      body,
    });
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['x-m2m-rsc'], '2001');
    assert.equal(res.headers['x-m2m-ri'], 'pt-1');
    const answer = (await res.body.json()) as { 'm2m:ae': { aei: string } };
    assert.equal(answer['m2m:ae'].aei, 'Chttp');
    const seen = run.cse.requests.find((r) => r.headers['x-m2m-ri'] === 'pt-1');
    assert.ok(seen);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, '/cse-in?rcn=1');
    assert.equal(seen.headers['content-type'], 'application/json;ty=2');
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers.host, `127.0.0.1:${run.addresses.public.port}`);
    assert.equal(seen.body.toString(), body);
  });

  test('with --no-passthrough plain HTTP gets 404', async () => {
    await request(`http://127.0.0.1:${closed.addresses.public.port}`).get('/cse-in').expect(404);
  });

  test('an unreachable CSE gives 502 with X-M2M-RSC 5103 and the request identifier', async () => {
    await run.cse.setDown();
    try {
      const res = await request(`http://127.0.0.1:${run.addresses.public.port}`).get('/cse-in').set('X-M2M-RI', 'pt-down').expect(502);
      assert.equal(res.headers['x-m2m-rsc'], '5103');
      assert.equal(res.headers['x-m2m-ri'], 'pt-down');
    } finally {
      await run.cse.setUp();
    }
  });
});

describe('admin door', () => {
  let run: Running;
  let admin: string;
  before(async () => {
    run = await startBridge({ allowOriginator: ['CAdmin'] });
    admin = `http://127.0.0.1:${run.addresses.admin.port}`;
  });
  after(async () => {
    await run.stop();
  });

  test('/healthz answers ok; /readyz follows the upstream CSE', async () => {
    await request(admin).get('/healthz').expect(200, { status: 'ok' });
    const ready = await request(admin).get('/readyz').expect(200);
    assert.deepEqual(ready.body.checks, { upstream: true, store: true });
    await run.cse.setDown();
    try {
      const down = await request(admin).get('/readyz').expect(503);
      assert.equal(down.body.checks.upstream, false);
    } finally {
      await run.cse.setUp();
    }
  });

  test('/metrics exports every DESIGN 7 metric and the counters move with traffic', async () => {
    const before = (await request(admin).get('/metrics').expect(200)).text;
    for (const name of DESIGN_7_METRICS) assert.ok(before.includes(`# TYPE ${name} `), name);
    assert.ok(before.includes('onem2m_bridge_process_cpu_seconds_total'), 'default process metrics');

    const { ae, aei } = await registerAe(run.wsUrl, 'metered');
    await ae.request({ op: 2, to: 'cse-in/metered', fr: aei });
    await ae.request({ op: 2, to: 'cse-in/nothing-here', fr: aei });
    const text = (await request(admin).get('/metrics').expect(200)).text;
    assert.equal(metricValue(text, 'onem2m_bridge_primitives_total', { direction: 'uplink', op: '2', rsc: '2000' }) - metricValue(before, 'onem2m_bridge_primitives_total', { direction: 'uplink', op: '2', rsc: '2000' }), 1);
    assert.equal(metricValue(text, 'onem2m_bridge_primitives_total', { direction: 'uplink', op: '1', rsc: '2001' }), 1);
    assert.ok(metricValue(text, 'onem2m_bridge_primitives_total', { direction: 'uplink', op: '2', rsc: '4004' }) >= 1);
    assert.equal(metricValue(text, 'onem2m_bridge_request_duration_seconds_count', { direction: 'uplink', op: '2' }), 2);
    assert.equal(metricValue(text, 'onem2m_bridge_ws_connections', { subprotocol: 'oneM2M.json' }), 1);
    assert.equal(metricValue(text, 'onem2m_bridge_registrees', { state: 'online' }), 1);
    assert.ok(metricValue(text, 'onem2m_bridge_ws_handshakes_total', { result: 'accepted' }) >= 1);

    // Offline: a stored notification shows in the queue gauges and events.
    const key = run.bridge.registry.sessionForId(aei)?.registration?.key as string;
    await ae.close();
    await waitUntil(() => run.bridge.registry.sessionForId(aei) === undefined, 2000, 'unbound');
    const res = await httpRequest(`${run.downlinkUrl}/r/${key}/${aei}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'm1', 'x-m2m-rvi': '3' },
      body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/s' } }),
    });
    await res.body.dump();
    const after = (await request(admin).get('/metrics').expect(200)).text;
    assert.equal(metricValue(after, 'onem2m_bridge_queue_messages'), 1);
    assert.ok(metricValue(after, 'onem2m_bridge_queue_bytes') > 0);
    assert.equal(metricValue(after, 'onem2m_bridge_queue_events_total', { event: 'stored' }), 1);
    assert.equal(metricValue(after, 'onem2m_bridge_registrees', { state: 'offline' }), 1);
    assert.equal(metricValue(after, 'onem2m_bridge_primitives_total', { direction: 'downlink', op: '5', rsc: '1000' }), 1);
  });

  test('/api/registrees lists registrees; GET and DELETE work on one', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'listed', {}, 'oneM2M.cbor');
    const list = await request(admin).get('/api/registrees').expect(200);
    const mine = (list.body as Array<{ id: string }>).find((r) => r.id === aei);
    assert.ok(mine);
    const one = await request(admin).get(`/api/registrees/${encodeURIComponent(aei)}`).expect(200);
    assert.equal(one.body.online, true);
    assert.equal(one.body.kind, 'ae');
    assert.equal(one.body.subprotocol, 'oneM2M.cbor');
    assert.equal(one.body.queuedMessages, 0);
    // Any form of the ID names it (canonical IDs): the SP-relative one too.
    const spRelative = await request(admin).get(`/api/registrees/${encodeURIComponent(`/id-in/${aei}`)}`).expect(200);
    assert.equal(spRelative.body.id, aei);
    await request(admin).delete(`/api/registrees/${encodeURIComponent(aei)}`).expect(204);
    const closed = await ae.closed;
    assert.equal(closed.code, 4001);
    await request(admin).get(`/api/registrees/${encodeURIComponent(aei)}`).expect(404);
    await request(admin).delete('/api/registrees/nobody').expect(404);
  });
});
