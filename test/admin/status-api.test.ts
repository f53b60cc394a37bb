// Issue 20: the admin API behind the status page — GET /api/status, paged and
// filtered GET /api/registrees, one registree with its queue summary, and the
// token on all of them (the page's static shell stays open, with a strict CSP).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { request as undiciRequest } from 'undici';
import type { RequestPrimitive } from '../../src/primitive/types.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { offlineAe, registerAe } from '../support/register.js';

const HOUR = 3_600_000;
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Row {
  id: string;
  online: boolean;
  queuedMessages: number;
  queuedBytes: number;
  oldestQueuedAt?: string;
  subprotocol?: string;
  connectedSince?: string;
}

/** A NOTIFY to the downlink door, the way a CSE sends one. */
async function notify(run: Running, key: string, rqi: string, sur: string): Promise<void> {
  const res = await undiciRequest(`${run.downlinkUrl}/r/${key}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': rqi, 'x-m2m-rvi': '3' },
    body: JSON.stringify({ 'm2m:sgn': { sur, nev: { net: 3, rep: { 'm2m:cin': { con: rqi } } } } }),
  });
  await res.body.dump();
  assert.equal(res.headers['x-m2m-rsc'], '1000', `${rqi} stored`);
}

function notifyPrimitive(rqi: string): RequestPrimitive {
  return { op: 5, to: 'x', fr: '/id-in', rqi, pc: { 'm2m:sgn': { sur: '/id-in/s' } } };
}

/** Follows the Link rel="next" headers from `first` and returns every page. */
async function allPages(admin: string, first: string, token?: string): Promise<Row[][]> {
  const pages: Row[][] = [];
  let path: string | undefined = first;
  while (path !== undefined) {
    const req = request(admin).get(path);
    if (token !== undefined) req.set('Authorization', `Bearer ${token}`);
    const res = await req.expect(200);
    pages.push(res.body as Row[]);
    const link = res.headers.link as string | undefined;
    const m = link === undefined ? null : /^<([^>]+)>; rel="next"$/.exec(link);
    if (link !== undefined) assert.ok(m, `a Link header with rel="next": ${link}`);
    path = m?.[1];
    assert.ok(pages.length < 100, 'paging ends');
  }
  return pages;
}

describe('GET /api/registrees with paging, filter and online', () => {
  let run: Running;
  let admin: string;
  let online: string;
  before(async () => {
    run = await startBridge();
    admin = `http://127.0.0.1:${run.addresses.admin.port}`;
    // 30 registrations straight into the bridge's store, three of them with stored requests (2, 5 and 1)
    for (let i = 0; i < 30; i++) await run.bridge.store.putRegistration({ id: `Cdev-${String(i).padStart(2, '0')}`, key: `k${i}`, kind: 'ae', createdAt: 1_700_000_000_000 });
    const limits = { maxMessages: 100, maxBytes: 1_000_000, globalMaxBytes: 10_000_000 };
    for (const [id, n] of [['Cdev-20', 2], ['Cdev-07', 5], ['Cdev-13', 1]] as const) {
      for (let j = 0; j < n; j++) {
        const r = await run.bridge.store.enqueue(id, { request: notifyPrimitive(`${id}-${j}`), bytes: 10, expiresAt: Date.now() + HOUR, replaceSameSur: false }, limits);
        assert.equal(r.stored, true);
      }
    }
    const { aei } = await registerAe(run.wsUrl, 'Lamp-online');
    online = aei;
  });
  after(async () => {
    for (const s of run.bridge.registry.sessions()) s.close(1000, 'test over');
    await run.stop();
  });

  test('pages of 7 list every registree exactly once, what waits first (most first), then by ID; the last page has no Link', async () => {
    const pages = await allPages(admin, '/api/registrees?limit=7');
    assert.ok(pages.every((p) => p.length <= 7));
    assert.deepEqual(pages.map((p) => p.length), [7, 7, 7, 7, 3]);
    const ids = pages.flat().map((r) => r.id);
    assert.equal(new Set(ids).size, 31);
    assert.deepEqual(ids.slice(0, 3), ['Cdev-07', 'Cdev-20', 'Cdev-13']);
    assert.deepEqual(pages[0].slice(0, 3).map((r) => r.queuedMessages), [5, 2, 1]);
    const rest = ids.slice(3);
    assert.deepEqual(rest, [...rest].sort(), 'the rest in ID order');
    // the waiting rows carry their bytes and the age of the oldest stored request
    assert.equal(pages[0][0].queuedBytes, 50);
    assert.ok(pages[0][0].oldestQueuedAt !== undefined && Date.parse(pages[0][0].oldestQueuedAt) <= Date.now());
    assert.equal(pages[0][3].oldestQueuedAt, undefined);
  });

  test('without paging parameters the whole list comes as before (an array, no Link)', async () => {
    const res = await request(admin).get('/api/registrees').expect(200);
    assert.equal((res.body as Row[]).length, 31);
    assert.equal(res.headers.link, undefined);
  });

  test('q narrows by part of the ID, case-insensitively, and the next link keeps it', async () => {
    // the CSE names AEs (C + random): a part of the ID in the other case
    const part = online.slice(3, 9);
    const swapped = [...part].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
    const one = await request(admin).get(`/api/registrees?q=${encodeURIComponent(swapped)}`).expect(200);
    assert.deepEqual((one.body as Row[]).map((r) => r.id), [online]);
    const pages = await allPages(admin, '/api/registrees?limit=4&q=dev-1');
    assert.deepEqual(pages.flat().map((r) => r.id), ['Cdev-13', 'Cdev-10', 'Cdev-11', 'Cdev-12', 'Cdev-14', 'Cdev-15', 'Cdev-16', 'Cdev-17', 'Cdev-18', 'Cdev-19']);
    const none = await request(admin).get('/api/registrees?q=no-such-device').expect(200);
    assert.deepEqual(none.body, []);
  });

  test('online=true lists the connected registree only, online=false all the others', async () => {
    const on = await request(admin).get('/api/registrees?online=true').expect(200);
    assert.deepEqual((on.body as Row[]).map((r) => [r.id, r.online, r.subprotocol]), [[online, true, 'oneM2M.json']]);
    assert.ok((on.body as Row[])[0].connectedSince !== undefined);
    const off = await allPages(admin, '/api/registrees?online=false&limit=10');
    assert.equal(off.flat().length, 30);
    assert.ok(off.flat().every((r) => !r.online && r.id !== online));
  });

  test('bad paging parameters: 400 naming the parameter', async () => {
    for (const [path, name] of [
      ['/api/registrees?limit=0', 'limit'],
      ['/api/registrees?limit=1001', 'limit'],
      ['/api/registrees?limit=ten', 'limit'],
      ['/api/registrees?online=yes', 'online'],
      ['/api/registrees?after=not-a-cursor', 'after'],
      ['/api/registrees?q=a&q=b', 'q'],
      [`/api/registrees?q=${'x'.repeat(300)}`, 'q'],
    ] as const) {
      const res = await request(admin).get(path).expect(400);
      assert.match(String(res.body.error), new RegExp(`^${name}: `), path);
    }
  });
});

describe('GET /api/registrees/<id> and GET /api/status', () => {
  let run: Running;
  let admin: string;
  before(async () => {
    run = await startBridge();
    admin = `http://127.0.0.1:${run.addresses.admin.port}`;
  });
  after(async () => {
    await run.stop();
  });

  test('one offline registree: its registration without the key, and its queue by sur (count, bytes, oldest, next expiry)', async () => {
    const { aei, key } = await offlineAe(run, 'Sleeper');
    await notify(run, key, 'n1', '/id-in/sub-a');
    await notify(run, key, 'n2', '/id-in/sub-b');
    await notify(run, key, 'n3', '/id-in/sub-a');
    const res = await request(admin).get(`/api/registrees/${encodeURIComponent(aei)}`).expect(200);
    assert.ok(!res.text.includes(key), 'the downlink key is not shown');
    assert.equal(res.body.online, false);
    assert.equal(res.body.queuedMessages, 3);
    assert.equal(res.body.registration.rn, 'Sleeper');
    assert.equal(res.body.registration.kind, 'ae');
    assert.equal(res.body.registration.key, undefined);
    const q = res.body.queue;
    assert.equal(q.messages, 3);
    assert.equal(q.bytes, run.bridge.store.queueStats(aei).bytes);
    assert.ok(Date.parse(q.oldestStoredAt) <= Date.now());
    // --queue-ttl (24 h by default): expiry lies ahead
    assert.ok(Date.parse(q.nextExpiresAt) > Date.now() + HOUR);
    assert.deepEqual(q.bySur.map((s: { sur: string; messages: number }) => [s.sur, s.messages]), [['/id-in/sub-a', 2], ['/id-in/sub-b', 1]]);
  });

  test('/api/status: version, replica, store and upstream state, connections by subprotocol, registrees, rates, queue totals', async () => {
    const { ae } = await registerAe(run.wsUrl, 'Viewer', {}, 'oneM2M.cbor');
    const s = (await request(admin).get('/api/status').expect(200)).body;
    assert.equal(s.version, VERSION);
    assert.equal(s.replica, 'local');
    assert.equal(s.clustered, false);
    assert.ok(s.uptimeSeconds >= 0);
    assert.deepEqual(s.store, { description: 'memory', up: true });
    assert.deepEqual(s.upstream, { url: run.cse.url.replace(/\/?$/, '/'), up: true });
    assert.deepEqual(s.connections, { total: 1, bySubprotocol: { 'oneM2M.cbor': 1 } });
    assert.deepEqual(s.registrees, { online: 1, offline: 1 });
    assert.deepEqual(s.queue, { messages: 3, bytes: run.bridge.store.totals().bytes });
    // registrations went up, NOTIFYs came down: both rates are above zero
    assert.ok(s.requestsPerSecond.uplink > 0, JSON.stringify(s.requestsPerSecond));
    assert.ok(s.requestsPerSecond.downlink > 0, JSON.stringify(s.requestsPerSecond));
    await ae.close();
    // the upstream probe of /readyz: the CSE gone, the status says so
    await run.cse.close();
    const down = (await request(admin).get('/api/status').expect(200)).body;
    assert.equal(down.upstream.up, false);
    assert.equal(down.ready, false);
  });
});

describe('the status page and the admin token', () => {
  let run: Running;
  let admin: string;
  const TOKEN = 'page-token';
  before(async () => {
    run = await startBridge({ adminToken: TOKEN });
    admin = `http://127.0.0.1:${run.addresses.admin.port}`;
  });
  after(async () => {
    await run.stop();
  });

  test('/, /status.css and /status.js need no token and carry a strict Content-Security-Policy', async () => {
    for (const [path, type] of [['/', /^text\/html/], ['/status.css', /^text\/css/], ['/status.js', /^text\/javascript/]] as const) {
      const res = await request(admin).get(path).expect(200);
      assert.match(String(res.headers['content-type']), type);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /connect-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
    const html = (await request(admin).get('/').expect(200)).text;
    // nothing inline, nothing from elsewhere
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(html, /\sstyle=|\son[a-z]+=/i);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  });

  test('/api/status and the paged list need the token; with it they answer', async () => {
    for (const path of ['/api/status', '/api/registrees?limit=5', '/API/status']) {
      const res = await request(admin).get(path).expect(401);
      assert.match(String(res.headers['www-authenticate']), /^Bearer\b/);
    }
    await request(admin).get('/api/status').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    const list = await request(admin).get('/api/registrees?limit=5').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    assert.ok(Array.isArray(list.body));
    await request(admin).get('/api/registrees?limit=5').set('Authorization', 'Bearer wrong').expect(401);
  });
});
