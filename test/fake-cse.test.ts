// Tests of the fake CSE itself (test/support/fake-cse.ts): it has to behave like
// ACME, or the bridge tests built on it prove nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';
import { startFakeCse, parseM2mTimestamp, acmeToHttpUrl } from './support/fake-cse.js';
import type { FakeCse } from './support/fake-cse.js';
import type { JsonObject } from '../src/primitive/types.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  json: JsonObject | undefined;
  rsc: number;
}

interface CallOptions {
  method?: string;
  path: string;
  origin?: string | null;
  ri?: string | null;
  rvi?: string | null;
  contentType?: string;
  accept?: string;
  body?: JsonObject | Buffer;
}

async function call(cse: FakeCse, o: CallOptions): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (o.origin !== null && o.origin !== undefined) headers['X-M2M-Origin'] = o.origin;
  if (o.ri !== null) headers['X-M2M-RI'] = o.ri ?? randomUUID();
  if (o.rvi !== null) headers['X-M2M-RVI'] = o.rvi ?? '3';
  headers.Accept = o.accept ?? 'application/json';
  let payload: Buffer | undefined;
  if (o.body !== undefined) {
    payload = Buffer.isBuffer(o.body) ? o.body : Buffer.from(JSON.stringify(o.body));
    headers['Content-Type'] = o.contentType ?? 'application/json';
  } else if (o.contentType) {
    headers['Content-Type'] = o.contentType;
  }
  const res = await request(cse.url + o.path, { method: (o.method ?? 'GET') as 'GET', headers, body: payload });
  const body = Buffer.from(await res.body.arrayBuffer());
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
  let json: JsonObject | undefined;
  if (body.length > 0 && (h['content-type'] ?? '').startsWith('application/json')) json = JSON.parse(body.toString('utf8')) as JsonObject;
  return { status: res.statusCode, headers: h, body, json, rsc: Number(h['x-m2m-rsc']) };
}

function member(obj: JsonObject | undefined, key: string): JsonObject {
  const v = obj?.[key];
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `expected member ${key} in ${JSON.stringify(obj)}`);
  return v as JsonObject;
}

async function registerAe(cse: FakeCse, origin: string | undefined, ae: JsonObject): Promise<Answer> {
  return call(cse, { method: 'POST', path: '/cse-in', origin, contentType: 'application/json;ty=2', body: { 'm2m:ae': ae } });
}

interface Receiver {
  url: string;
  received: Array<{ method: string; path: string; headers: Record<string, string | string[] | undefined>; body: string }>;
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  close(): Promise<void>;
}

/** An HTTP notification receiver that answers like a well-behaved AE (2000, echoed RI) unless told otherwise. */
async function startReceiver(): Promise<Receiver> {
  const r: Receiver = {
    url: '',
    received: [],
    handler: (req, res) => {
      res.writeHead(200, { 'X-M2M-RSC': '2000', 'X-M2M-RI': String(req.headers['x-m2m-ri'] ?? ''), 'X-M2M-RVI': '3' });
      res.end();
    },
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      r.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      r.handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  r.url = `http://127.0.0.1:${addr.port}`;
  r.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return r;
}

describe('fake CSE (ACME-like)', () => {
  let cse: FakeCse;
  let rx: Receiver;

  before(async () => {
    cse = await startFakeCse();
    rx = await startReceiver();
  });
  after(async () => {
    await cse.close();
    await rx.close();
  });

  it('answers a CSEBase RETRIEVE by the admin with m2m:cb and the oneM2M response headers', async () => {
    const a = await call(cse, { path: '/cse-in', origin: 'CAdmin', ri: 'req-1', rvi: '4' });
    assert.equal(a.status, 200);
    assert.equal(a.rsc, 2000);
    assert.equal(a.headers['x-m2m-ri'], 'req-1');
    assert.equal(a.headers['x-m2m-rvi'], '4');
    assert.match(a.headers['x-m2m-ot'], /^\d{8}T\d{6},\d{6}$/);
    assert.equal(a.headers['content-type'], 'application/json');
    const cb = member(a.json, 'm2m:cb');
    assert.equal(cb.ri, 'id-in');
    assert.equal(cb.csi, '/id-in');
    assert.equal(cb.ty, 5);
    assert.deepEqual(cb.srv, ['2a', '3', '4', '5']);
    assert.deepEqual(cb.poa, [cse.url]);
  });

  it('AE registration without originator assigns a C-prefixed aei', async () => {
    const a = await registerAe(cse, undefined, { rn: 'anonAE', api: 'Nanon', rr: false, srv: ['3'] });
    assert.equal(a.status, 201);
    assert.equal(a.rsc, 2001);
    const ae = member(a.json, 'm2m:ae');
    assert.match(String(ae.aei), /^C.+/);
    assert.equal(ae.ri, ae.aei);
    assert.equal(ae.pi, 'id-in');
    assert.equal(ae.ty, 2);
    assert.equal(ae.rr, false);
    assert.ok(ae.ct && ae.lt && ae.et);
    assert.equal(a.headers['content-location'], undefined, 'ACME sends Content-Location only for rcn 2/3');
    assert.ok(cse.resources.aes().includes(String(ae.aei)));
  });

  it('AE registration with originator C… uses it as aei; rcn=3 gives m2m:rce with unprefixed key and Content-Location', async () => {
    const a = await call(cse, {
      method: 'POST', path: '/cse-in?rcn=3', origin: 'Cregtest', contentType: 'application/json;ty=2',
      body: { 'm2m:ae': { rn: 'regtest', api: 'Nregtest', rr: true, poa: ['http://example.invalid/p'] } },
    });
    assert.equal(a.rsc, 2001);
    const rce = member(a.json, 'm2m:rce');
    assert.equal(rce.uri, 'cse-in/regtest');
    assert.equal(member(rce, 'ae').aei, 'Cregtest');
    assert.equal(a.headers['content-location'], 'cse-in/regtest');
  });

  it('second registration with the same originator is 4117 ORIGINATOR_HAS_ALREADY_REGISTERED (HTTP 403)', async () => {
    const a = await registerAe(cse, 'Cregtest', { rn: 'regtest2', api: 'Nregtest', rr: true });
    assert.equal(a.status, 403);
    assert.equal(a.rsc, 4117);
    assert.equal(typeof a.json?.['m2m:dbg'], 'string');
  });

  it('AE registration without rr or without api is 4000', async () => {
    assert.equal((await registerAe(cse, 'Cnorr', { api: 'Nx1', srv: ['3'] })).rsc, 4000);
    assert.equal((await registerAe(cse, 'Cnoapi', { rr: true })).rsc, 4000);
  });

  it('request without X-M2M-RVI is 4001 RELEASE_VERSION_NOT_SUPPORTED (HTTP 501)', async () => {
    const a = await call(cse, { path: '/cse-in', origin: 'CAdmin', rvi: null, ri: 'no-rvi' });
    assert.equal(a.status, 501);
    assert.equal(a.rsc, 4001);
    assert.equal(a.headers['x-m2m-ri'], 'no-rvi');
  });

  it('request without X-M2M-RI is 4000', async () => {
    const a = await call(cse, { path: '/cse-in', origin: 'CAdmin', ri: null });
    assert.equal(a.rsc, 4000);
  });

  it('invalid X-M2M-OT is 4000; X-M2M-RET in the past is 4008', async () => {
    const res = await request(`${cse.url}/cse-in`, { headers: { 'X-M2M-Origin': 'CAdmin', 'X-M2M-RI': 'ot', 'X-M2M-RVI': '3', 'X-M2M-OT': 'yesterday' } });
    await res.body.dump();
    assert.equal(res.headers['x-m2m-rsc'], '4000');
    const old = await request(`${cse.url}/cse-in`, { headers: { 'X-M2M-Origin': 'CAdmin', 'X-M2M-RI': 'ret', 'X-M2M-RVI': '3', 'X-M2M-RET': '20200101T000000' } });
    await old.body.dump();
    assert.equal(old.headers['x-m2m-rsc'], '4008');
    assert.equal(old.statusCode, 504);
  });

  it('charset parameter in Content-Type is 4000 (ACME reads it as ty)', async () => {
    const a = await call(cse, {
      method: 'POST', path: '/cse-in', origin: 'Ccharset', contentType: 'application/json; charset=utf-8',
      body: { 'm2m:ae': { api: 'Ncharset', rr: true } },
    });
    assert.equal(a.status, 400);
    assert.equal(a.rsc, 4000);
    assert.match(String(a.json?.['m2m:dbg']), /integer/);
    const b = await call(cse, {
      method: 'POST', path: '/cse-in', origin: 'Ccharset', contentType: 'application/json;ty=2;charset=utf-8',
      body: { 'm2m:ae': { api: 'Ncharset', rr: true } },
    });
    assert.equal(b.rsc, 4000);
  });

  it('POST without ty is a NOTIFY: to the CSEBase it is answered 2000', async () => {
    const a = await call(cse, { method: 'POST', path: '/cse-in', origin: 'CAdmin', body: { 'm2m:sgn': { sur: '/id-in/x', vrq: true } } });
    assert.equal(a.rsc, 2000);
  });

  describe('resources of a registered AE', () => {
    const aei = 'Ccntae';
    before(async () => {
      const a = await registerAe(cse, aei, { rn: 'cntAE', api: 'Ncnt', rr: false, srv: ['3'] });
      assert.equal(a.rsc, 2001);
    });

    it('CREATE CNT and CINs updates cni/cbs, and RETRIEVE rcn=4 nests the children', async () => {
      const c = await call(cse, { method: 'POST', path: '/cse-in/cntAE', origin: aei, contentType: 'application/json;ty=3', body: { 'm2m:cnt': { rn: 'data', mni: 10, lbl: ['room1'] } } });
      assert.equal(c.rsc, 2001);
      const cnt = member(c.json, 'm2m:cnt');
      assert.equal(cnt.cni, 0);
      assert.equal(cnt.st, 0);
      for (const con of ['21', '22']) {
        const i = await call(cse, { method: 'POST', path: '/cse-in/cntAE/data', origin: aei, contentType: 'application/json;ty=4', body: { 'm2m:cin': { con, cnf: 'text/plain:0' } } });
        assert.equal(i.rsc, 2001);
        assert.equal(member(i.json, 'm2m:cin').cs, 2);
      }
      const r = await call(cse, { path: '/cse-in/cntAE/data?rcn=4', origin: aei });
      assert.equal(r.rsc, 2000);
      const got = member(r.json, 'm2m:cnt');
      assert.equal(got.cni, 2);
      assert.equal(got.cbs, 4);
      const cins = got['m2m:cin'];
      assert.ok(Array.isArray(cins));
      assert.deepEqual(cins.map((x) => (x as JsonObject).con), ['21', '22']);
      const la = await call(cse, { path: '/cse-in/cntAE/data/la', origin: aei });
      assert.equal(member(la.json, 'm2m:cin').con, '22');
      const ol = await call(cse, { path: '/cse-in/cntAE/data/ol', origin: aei });
      assert.equal(member(ol.json, 'm2m:cin').con, '21');
    });

    it('addresses the same resource SP-relative, absolute, unstructured and via "-"', async () => {
      const structured = await call(cse, { path: '/cse-in/cntAE/data', origin: aei });
      const ri = String(member(structured.json, 'm2m:cnt').ri);
      for (const path of ['/~/id-in/cse-in/cntAE/data', '/_/acme.example.com/id-in/cse-in/cntAE/data', `/${ri}`, `/~/id-in/${ri}`, '/-/cntAE/data']) {
        const a = await call(cse, { path, origin: aei });
        assert.equal(a.rsc, 2000, path);
        assert.equal(member(a.json, 'm2m:cnt').ri, ri, path);
      }
      assert.equal((await call(cse, { path: '/~/id-other/cse-in', origin: aei })).rsc, 4004);
      assert.equal((await call(cse, { path: '/cse-in/cntAE/nothing', origin: aei })).rsc, 4004);
    });

    it('discovery with fu=1 filters by ty, lbl and lim and answers m2m:uril', async () => {
      const byTy = await call(cse, { path: '/cse-in/cntAE?fu=1&ty=4', origin: aei });
      assert.equal(byTy.rsc, 2000);
      const uril = byTy.json?.['m2m:uril'];
      assert.ok(Array.isArray(uril));
      assert.equal(uril.length, 2);
      assert.ok(uril.every((u) => String(u).startsWith('cse-in/cntAE/data/')));
      const both = await call(cse, { path: '/cse-in?fu=1&ty=3+4&lbl=room1', origin: aei });
      assert.deepEqual(both.json?.['m2m:uril'], ['cse-in/cntAE/data']);
      const repeated = await call(cse, { path: '/cse-in/cntAE?fu=1&ty=3&ty=4&lim=2', origin: aei });
      assert.equal((repeated.json?.['m2m:uril'] as string[]).length, 2);
      const unstructured = await call(cse, { path: '/cse-in/cntAE?fu=1&ty=3&drt=2', origin: aei });
      assert.match(String((unstructured.json?.['m2m:uril'] as string[])[0]), /^cnt\d+$/);
    });

    it('UPDATE merges, null deletes an attribute, lt changes', async () => {
      const before = member((await call(cse, { path: '/cse-in/cntAE/data', origin: aei })).json, 'm2m:cnt');
      const u = await call(cse, { method: 'PUT', path: '/cse-in/cntAE/data', origin: aei, body: { 'm2m:cnt': { lbl: null, mni: 5 } } });
      assert.equal(u.rsc, 2004);
      assert.equal(u.status, 200);
      const after = member(u.json, 'm2m:cnt');
      assert.equal(after.mni, 5);
      assert.equal('lbl' in after, false);
      assert.ok(String(after.lt) >= String(before.lt));
      assert.equal((await call(cse, { method: 'PUT', path: '/cse-in/cntAE/data', origin: aei, body: { 'm2m:cnt': { ri: 'x' } } })).rsc, 4000);
    });

    it('unknown originator is 4103; another AE may RETRIEVE but not UPDATE or DELETE', async () => {
      const unknown = await call(cse, { path: '/cse-in/cntAE/data', origin: 'Cstranger' });
      assert.equal(unknown.status, 403);
      assert.equal(unknown.rsc, 4103);
      const missing = await call(cse, { path: '/cse-in/cntAE/data' });
      assert.equal(missing.rsc, 4000, 'ACME: from/originator parameter is mandatory');
      assert.equal((await registerAe(cse, 'Cother', { api: 'Nother', rr: false })).rsc, 2001);
      assert.equal((await call(cse, { path: '/cse-in/cntAE/data', origin: 'Cother' })).rsc, 2000);
      assert.equal((await call(cse, { path: '/cse-in/cntAE/data', origin: '/id-in/Cother' })).rsc, 2000);
      assert.equal((await call(cse, { method: 'PUT', path: '/cse-in/cntAE/data', origin: 'Cother', body: { 'm2m:cnt': { mni: 1 } } })).rsc, 4103);
      assert.equal((await call(cse, { method: 'DELETE', path: '/cse-in/cntAE', origin: 'Cother' })).rsc, 4103);
    });

    it('CBOR request body and CBOR response when Accept is application/cbor', async () => {
      const body = Buffer.from(cborEncode({ 'm2m:cin': { con: 'cbor!' } }));
      const a = await call(cse, { method: 'POST', path: '/cse-in/cntAE/data', origin: aei, contentType: 'application/cbor;ty=4', accept: 'application/cbor', body });
      assert.equal(a.rsc, 2001);
      assert.equal(a.headers['content-type'], 'application/cbor');
      const decoded = cborDecode(a.body) as JsonObject;
      assert.equal(member(decoded, 'm2m:cin').con, 'cbor!');
      const j = await call(cse, { path: '/cse-in/cntAE/data/la', origin: aei });
      assert.equal(member(j.json, 'm2m:cin').con, 'cbor!');
    });
  });

  describe('subscriptions and notifications', () => {
    const aei = 'Cnotifae';
    let rx2: Receiver;
    before(async () => {
      rx2 = await startReceiver();
      const a = await registerAe(cse, aei, { rn: 'notifAE', api: 'Nnotif', rr: true, srv: ['3'], poa: [`${rx2.url}/n`] });
      assert.equal(a.rsc, 2001);
      const c = await call(cse, { method: 'POST', path: '/cse-in/notifAE', origin: aei, contentType: 'application/json;ty=3', body: { 'm2m:cnt': { rn: 'box' } } });
      assert.equal(c.rsc, 2001);
    });
    after(async () => {
      await rx2.close();
    });

    it('SUB with a URL nu sends a verification request; a 2000 answer makes the CREATE 2001', async () => {
      const start = rx.received.length;
      const s = await call(cse, {
        method: 'POST', path: '/cse-in/notifAE/box', origin: aei, contentType: 'application/json;ty=23',
        body: { 'm2m:sub': { rn: 'urlSub', nu: [`${rx.url}/hook`], enc: { net: [3] } } },
      });
      assert.equal(s.rsc, 2001);
      const sub = member(s.json, 'm2m:sub');
      assert.equal(sub.nct, 1);
      assert.equal(rx.received.length, start + 1);
      const v = rx.received[start];
      assert.equal(v.path, '/hook');
      assert.deepEqual(JSON.parse(v.body), { 'm2m:sgn': { vrq: true, sur: `/id-in/${String(sub.ri)}`, cr: aei } });
      const rec = cse.notifications.find((n) => n.kind === 'verification' && n.subscription === sub.ri);
      assert.ok(rec);
      assert.equal(rec.accepted, true);
      assert.equal(rec.result, 2000);
    });

    it('a refused verification (4101) makes the SUB CREATE fail with 5204 (HTTP 500) and stores nothing', async () => {
      const r = await startReceiver();
      r.handler = (req, res) => {
        res.writeHead(403, { 'X-M2M-RSC': '4101', 'X-M2M-RI': String(req.headers['x-m2m-ri']) });
        res.end();
      };
      try {
        const s = await call(cse, {
          method: 'POST', path: '/cse-in/notifAE/box', origin: aei, contentType: 'application/json;ty=23',
          body: { 'm2m:sub': { rn: 'refusedSub', nu: [`${r.url}/x`] } },
        });
        assert.equal(s.status, 500);
        assert.equal(s.rsc, 5204);
        assert.equal(r.received.length, 1);
        assert.equal(cse.resources.get('cse-in/notifAE/box/refusedSub'), undefined);
      } finally {
        await r.close();
      }
    });

    it('an unreachable verification target also gives 5204', async () => {
      const r = await startReceiver();
      const deadUrl = r.url;
      await r.close();
      const s = await call(cse, {
        method: 'POST', path: '/cse-in/notifAE/box', origin: aei, contentType: 'application/json;ty=23',
        body: { 'm2m:sub': { nu: [`${deadUrl}/x`] } },
      });
      assert.equal(s.rsc, 5204);
      const rec = cse.notifications.at(-1);
      assert.equal(rec?.result, 5103);
    });

    it('nu equal to the originator skips verification; a new CIN is POSTed to poa/<aei> with ACME headers', async () => {
      const start = rx2.received.length;
      const s = await call(cse, {
        method: 'POST', path: '/cse-in/notifAE/box', origin: aei, contentType: 'application/json;ty=23',
        body: { 'm2m:sub': { rn: 'aeSub', nu: [aei], enc: { net: [3] }, cr: null } },
      });
      assert.equal(s.rsc, 2001);
      const sub = member(s.json, 'm2m:sub');
      assert.equal(sub.cr, aei);
      assert.equal(rx2.received.length, start, 'no verification request to the originator itself');

      const cin = await cse.createContentInstance('cse-in/notifAE/box', '42');
      await cse.idle();
      const rec = cse.notifications.find((n) => n.subscription === sub.ri && n.kind === 'notification');
      assert.ok(rec);
      assert.equal(rec.url, `${rx2.url}/n/${aei}`);
      assert.equal(rec.accepted, true);
      assert.equal(rec.result, 2000);
      assert.equal(rec.headers['x-m2m-origin'], '/id-in');

      const got = rx2.received[start];
      assert.equal(got.method, 'POST');
      assert.equal(got.path, `/n/${aei}`);
      assert.equal(got.headers['content-type'], 'application/json');
      assert.equal(got.headers['x-m2m-origin'], '/id-in');
      assert.equal(got.headers['x-m2m-rvi'], '3', 'the AE srv decides the release version');
      assert.equal(got.headers['cache-control'], 'no-cache');
      assert.equal(got.headers['user-agent'], 'FakeCSE');
      assert.equal(got.headers.accept, undefined);
      assert.ok(got.headers['x-m2m-ri']);
      assert.ok(parseM2mTimestamp(String(got.headers['x-m2m-ot'])) !== undefined);
      const sgn = member(JSON.parse(got.body) as JsonObject, 'm2m:sgn');
      assert.equal(sgn.sur, `/id-in/${String(sub.ri)}`);
      assert.equal(sgn.cr, aei);
      const nev = member(sgn, 'nev');
      assert.equal(nev.net, 3);
      assert.equal(member(member(nev, 'rep'), 'm2m:cin').ri, cin.ri);
    });

    it('an SP-relative AE-ID in nu is delivered to poa/~/id-in/<aei> (ACME toHttpUrl)', async () => {
      assert.equal(acmeToHttpUrl('http://h:1/n//id-in/Cx'), 'http://h:1/n/~/id-in/Cx');
      assert.equal(acmeToHttpUrl('http://h:1/n///sp/id-in/Cx'), 'http://h:1/n/_/sp/id-in/Cx');
      const s = await call(cse, {
        method: 'POST', path: '/cse-in/notifAE/box', origin: 'CAdmin', contentType: 'application/json;ty=23',
        body: { 'm2m:sub': { rn: 'spSub', nu: [`/id-in/${aei}`], enc: { net: [1] } } },
      });
      assert.equal(s.rsc, 2001);
      const v = cse.notifications.at(-1);
      assert.equal(v?.kind, 'verification');
      assert.equal(v?.url, `${rx2.url}/n/~/id-in/${aei}`);
      assert.equal(v?.result, 2000);
      assert.equal(member(v?.body, 'm2m:sgn').cr, 'CAdmin');
    });

    it('an answer with a wrong X-M2M-RI is recorded as rejected (4000), a missing X-M2M-RSC as 5000', async () => {
      const r = await startReceiver();
      try {
        const s = await call(cse, {
          method: 'POST', path: '/cse-in/notifAE', origin: aei, contentType: 'application/json;ty=23',
          body: { 'm2m:sub': { rn: 'badRiSub', nu: [`${r.url}/bad`], enc: { net: [3] } } },
        });
        assert.equal(s.rsc, 2001);
        r.handler = (_req, res) => {
          res.writeHead(200, { 'X-M2M-RSC': '2000', 'X-M2M-RI': 'not-the-same' });
          res.end();
        };
        const subRi = String(member(s.json, 'm2m:sub').ri);
        const mine = (): typeof cse.notifications => cse.notifications.filter((n) => n.subscription === subRi && n.kind === 'notification');
        await call(cse, { method: 'POST', path: '/cse-in/notifAE', origin: aei, contentType: 'application/json;ty=3', body: { 'm2m:cnt': { rn: 'trigger1' } } });
        await cse.idle();
        const rec = mine()[0];
        assert.ok(rec);
        assert.equal(rec.rsc, 2000);
        assert.equal(rec.ri, 'not-the-same');
        assert.equal(rec.accepted, false);
        assert.equal(rec.result, 4000);

        r.handler = (req, res) => {
          res.writeHead(200, { 'X-M2M-RI': String(req.headers['x-m2m-ri']) });
          res.end();
        };
        await call(cse, { method: 'POST', path: '/cse-in/notifAE', origin: aei, contentType: 'application/json;ty=3', body: { 'm2m:cnt': { rn: 'trigger2' } } });
        await cse.idle();
        assert.equal(mine()[1].accepted, true);
        assert.equal(mine()[1].result, 5000);
      } finally {
        await r.close();
      }
    });

    it('a verification answer with the wrong X-M2M-RI fails the SUB CREATE with 5204', async () => {
      const r = await startReceiver();
      r.handler = (_req, res) => {
        res.writeHead(200, { 'X-M2M-RSC': '2000', 'X-M2M-RI': 'wrong' });
        res.end();
      };
      try {
        const s = await call(cse, {
          method: 'POST', path: '/cse-in/notifAE/box', origin: aei, contentType: 'application/json;ty=23',
          body: { 'm2m:sub': { nu: [`${r.url}/v`] } },
        });
        assert.equal(s.rsc, 5204);
      } finally {
        await r.close();
      }
    });

    it('an AE without rr or http poa is not reachable: verification fails with 5204', async () => {
      assert.equal((await registerAe(cse, 'Cnopoa', { api: 'Nnopoa', rr: true, poa: ['ws://default'] })).rsc, 2001);
      const s = await call(cse, {
        method: 'POST', path: '/cse-in/notifAE/box', origin: aei, contentType: 'application/json;ty=23',
        body: { 'm2m:sub': { nu: ['Cnopoa'] } },
      });
      assert.equal(s.rsc, 5204);
      assert.match(String(cse.notifications.at(-1)?.error), /poa/);
    });

    it('a NOTIFY addressed to a registered AE is forwarded to its poa and the answer comes back', async () => {
      const start = rx2.received.length;
      const n = await call(cse, { method: 'POST', path: `/~/id-in/${aei}`, origin: 'CAdmin', body: { 'm2m:sgn': { sur: '/id-in/elsewhere', nev: { net: 1 } } } });
      assert.equal(n.rsc, 2000);
      const got = rx2.received[start];
      assert.equal(got.path, `/n/~/id-in/${aei}`);
      assert.equal(got.headers['x-m2m-origin'], '/id-in/CAdmin');
      const rec = cse.notifications.at(-1);
      assert.equal(rec?.kind, 'forward');
    });

    it('UPDATE of the AE poa redirects later notifications', async () => {
      const rx3 = await startReceiver();
      try {
        const u = await call(cse, { method: 'PUT', path: '/cse-in/notifAE', origin: aei, body: { 'm2m:ae': { poa: [`${rx3.url}/moved`] } } });
        assert.equal(u.rsc, 2004);
        assert.deepEqual(member(u.json, 'm2m:ae').poa, [`${rx3.url}/moved`]);
        const count = cse.notifications.length;
        await cse.createContentInstance('cse-in/notifAE/box', 'after-move');
        await cse.waitForNotifications(count + 1);
        await cse.idle();
        assert.ok(rx3.received.some((x) => x.path === `/moved/${aei}`));
      } finally {
        await rx3.close();
      }
    });

    it('deleting a SUB sends sud to su; deleting the AE unregisters it', async () => {
      const s = await call(cse, {
        method: 'POST', path: '/cse-in/notifAE/box', origin: aei, contentType: 'application/json;ty=23',
        body: { 'm2m:sub': { rn: 'suSub', nu: [aei], su: `${rx.url}/su` } },
      });
      assert.equal(s.rsc, 2001);
      const ri = String(member(s.json, 'm2m:sub').ri);
      const count = cse.notifications.length;
      const d = await call(cse, { method: 'DELETE', path: '/cse-in/notifAE/box/suSub', origin: aei });
      assert.equal(d.rsc, 2002);
      await cse.waitForNotifications(count + 1);
      await cse.idle();
      const sud = cse.notifications.find((n) => n.kind === 'deletion' && n.subscription === ri);
      assert.ok(sud);
      assert.deepEqual(sud.body, { 'm2m:sgn': { sud: true, sur: `/id-in/${ri}` } });
      assert.equal(sud.url, `${rx.url}/su`);

      const del = await call(cse, { method: 'DELETE', path: '/cse-in/notifAE', origin: aei });
      assert.equal(del.rsc, 2002);
      assert.equal(cse.resources.aes().includes(aei), false);
      assert.equal(cse.resources.get('cse-in/notifAE'), undefined);
      assert.equal((await call(cse, { path: '/cse-in', origin: aei })).rsc, 4103);
      assert.equal((await registerAe(cse, aei, { rn: 'notifAE', api: 'Nnotif', rr: false })).rsc, 2001);
    });
  });

  it('remoteCSE registration uses csi as registree ID; entities under it are allowed', async () => {
    const a = await call(cse, {
      method: 'POST', path: '/cse-in', origin: '/id-mn', contentType: 'application/json;ty=16',
      body: { 'm2m:csr': { rn: 'mn', csi: '/id-mn', cb: '/id-mn/cse-mn', rr: true, poa: ['http://example.invalid/mn'], srv: ['3'] } },
    });
    assert.equal(a.rsc, 2001);
    assert.equal(member(a.json, 'm2m:csr').csi, '/id-mn');
    assert.deepEqual(cse.resources.cses(), ['/id-mn']);
    assert.equal((await call(cse, { path: '/cse-in', origin: '/id-mn/Cbehind' })).rsc, 2000);
    const again = await call(cse, {
      method: 'POST', path: '/cse-in', origin: '/id-mn', contentType: 'application/json;ty=16',
      body: { 'm2m:csr': { csi: '/id-mn', cb: '/id-mn/cse-mn', rr: true } },
    });
    assert.equal(again.rsc, 4117);
  });

  it('a receiver that never answers times out after notifyTimeoutMs: recorded as 4008, SUB CREATE 5204', async () => {
    const quick = await startFakeCse({ notifyTimeoutMs: 200, cseId: 'id-quick', csebaseName: 'cse-quick' });
    const silent = await startReceiver();
    silent.handler = () => undefined;
    try {
      const s = await call(quick, {
        method: 'POST', path: '/cse-quick', origin: 'CAdmin', contentType: 'application/json;ty=23',
        body: { 'm2m:sub': { nu: [`${silent.url}/never`] } },
      });
      assert.equal(s.rsc, 5204);
      const rec = quick.notifications[0];
      assert.equal(rec.result, 4008);
      assert.equal(rec.accepted, false);
      assert.match(String(member(rec.body, 'm2m:sgn').sur), /^\/id-quick\//);
    } finally {
      await silent.close();
      await quick.close();
    }
  });

  it('verifySubscriptions=false creates subscriptions without verification requests', async () => {
    const lax = await startFakeCse({ verifySubscriptions: false });
    try {
      const s = await call(lax, {
        method: 'POST', path: '/cse-in', origin: 'CAdmin', contentType: 'application/json;ty=23',
        body: { 'm2m:sub': { nu: ['http://127.0.0.1:9/unused'] } },
      });
      assert.equal(s.rsc, 2001);
      assert.equal(lax.notifications.length, 0);
    } finally {
      await lax.close();
    }
  });

  it('setDelay holds answers back; setDown refuses connections; setUp serves again', async () => {
    cse.setDelay(50);
    const a = await call(cse, { path: '/cse-in', origin: 'CAdmin' });
    assert.equal(a.rsc, 2000);
    cse.setDelay(0);
    await cse.setDown();
    await assert.rejects(call(cse, { path: '/cse-in', origin: 'CAdmin' }));
    await cse.setUp();
    assert.equal((await call(cse, { path: '/cse-in', origin: 'CAdmin' })).rsc, 2000);
  });

  it('logs every received request with lower-case headers and the raw body', () => {
    const last = cse.requests.at(-1);
    assert.ok(last);
    assert.equal(last.method, 'GET');
    assert.equal(last.path, '/cse-in');
    assert.equal(last.headers['x-m2m-origin'], 'CAdmin');
    assert.ok(Buffer.isBuffer(last.body));
  });
});
