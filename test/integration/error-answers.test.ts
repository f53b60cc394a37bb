// Issue 21 item 1: no door answers with a stack trace, in any environment.
// Express sends stacks unless NODE_ENV=production, so NODE_ENV is unset here
// (as under `npm start`). Doors that speak oneM2M (downlink, uplink, public)
// answer failures with X-M2M-RSC and the request's X-M2M-RI.
delete process.env.NODE_ENV;

import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { createAdminServer } from '../../src/admin/admin-server.js';
import type { AdminApi } from '../../src/admin/admin-server.js';
import { createDownlinkServer } from '../../src/http/downlink-server.js';
import { createUplinkDoorServer } from '../../src/uplink-mode/uplink-door-server.js';
import type { JsonObject } from '../../src/primitive/types.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { WsRegistree } from '../support/ws-registree.js';

/** A stack frame as V8 prints it: `at fn (file:line:col)` or `at file:line:col`. */
const STACK_FRAME = /\bat [^\n]*:\d+:\d+/;

function assertNoStack(body: string): void {
  assert.doesNotMatch(body, STACK_FRAME, `stack trace in the answer: ${body}`);
  assert.doesNotMatch(body, /node:internal|\.ts:\d+|\.js:\d+/, `source location in the answer: ${body}`);
}

/** An Error whose message is harmless but whose stack is long, as any bug's is. */
function bug(): Error {
  return new Error('something inside broke');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('no stack traces to clients (NODE_ENV unset)', () => {
  test('admin door: a failing handler is a 500 without details, not Express\'s stack page', async () => {
    const failing: AdminApi = {
      ready: () => Promise.reject(bug()),
      metrics: () => Promise.reject(bug()),
      listRegistrees: () => Promise.reject(bug()),
      status: () => Promise.reject(bug()),
      listRegistreesPage: () => Promise.reject(bug()),
      getRegistree: () => Promise.reject(bug()),
      deleteRegistree: () => Promise.reject(bug()),
    };
    const logged: unknown[] = [];
    const server = createAdminServer(failing, { onError: (err) => logged.push(err) });
    const url = await listen(server);
    try {
      for (const [method, path] of [['GET', '/readyz'], ['GET', '/metrics'], ['GET', '/api/status'], ['GET', '/api/registrees'], ['GET', '/api/registrees?limit=5'], ['GET', '/api/registrees/Cx'], ['DELETE', '/api/registrees/Cx']] as const) {
        const res = await request(url + path, { method });
        const body = await res.body.text();
        assert.equal(res.statusCode, 500, `${method} ${path}`);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assertNoStack(body);
        assert.doesNotMatch(body, /something inside broke/, 'internal details stay in the log');
      }
      assert.equal(logged.length, 7, 'every failure reaches the log');
    } finally {
      await close(server);
    }
  });

  test('admin door: a malformed JSON body on a route that reads none is not a stack either', async () => {
    const api: AdminApi = {
      ready: async () => ({ ready: true, checks: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      listRegistrees: async () => [],
      status: () => Promise.reject(bug()),
      listRegistreesPage: async () => ({ registrees: [] }),
      getRegistree: async () => undefined,
      deleteRegistree: async () => false,
    };
    const server = createAdminServer(api);
    const url = await listen(server);
    try {
      const res = await request(url + '/api/registrees/Cx', { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: '{"broken' });
      const body = await res.body.text();
      assert.equal(res.statusCode, 404);
      assertNoStack(body);
    } finally {
      await close(server);
    }
  });

  test('downlink door: a failing handler is answered in oneM2M terms (X-M2M-RSC 5000, X-M2M-RI echoed), no stack', async () => {
    const server = createDownlinkServer(() => Promise.reject(bug()), { maxBodyBytes: 1 << 20 });
    const throwing = createDownlinkServer(() => {
      throw bug();
    }, { maxBodyBytes: 1 << 20 });
    for (const s of [server, throwing]) {
      const url = await listen(s);
      try {
        const res = await request(url + '/r/somekey/Cae', { method: 'POST', headers: { 'content-type': 'application/json;ty=4', 'x-m2m-ri': 'ri-500', 'x-m2m-origin': '/id-in' }, body: '{}' });
        const body = await res.body.text();
        assert.equal(res.statusCode, 500);
        assert.equal(res.headers['x-m2m-rsc'], '5000');
        assert.equal(res.headers['x-m2m-ri'], 'ri-500');
        assertNoStack(body);
      } finally {
        await close(s);
      }
    }
  });

  test('uplink door: a failing handler is answered in oneM2M terms (X-M2M-RSC 5000, X-M2M-RI echoed), no stack', async () => {
    const server = createUplinkDoorServer(() => Promise.reject(bug()), 1 << 20);
    const url = await listen(server);
    try {
      const res = await request(url + '/~/id-in/cse-in', { method: 'GET', headers: { 'x-m2m-ri': 'ri-up', 'x-m2m-origin': '/id-mn' } });
      const body = await res.body.text();
      assert.equal(res.statusCode, 500);
      assert.equal(res.headers['x-m2m-rsc'], '5000');
      assert.equal(res.headers['x-m2m-ri'], 'ri-up');
      assertNoStack(body);
    } finally {
      await close(server);
    }
  });

  describe('a running bridge', () => {
    let run: Running;
    let ae: WsRegistree;
    let aei: string;
    let key: string;
    before(async () => {
      run = await startBridge();
      ae = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
      const rsp = await ae.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'errs', api: 'Nerrs', rr: true, srv: ['3'] } } });
      aei = (rsp.pc?.['m2m:ae'] as JsonObject).aei as string;
      key = run.bridge.registry.sessionForId(aei)?.registration?.key as string;
    });
    after(async () => {
      await ae.close();
      await run.stop();
    });

    test('downlink door: a malformed JSON body is 4000 with its X-M2M-RI, no stack', async () => {
      const res = await request(`${run.downlinkUrl}/r/${key}/${aei}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-m2m-ri': 'bad-json', 'x-m2m-origin': '/id-in' }, body: '{"m2m:sgn": {' });
      const body = await res.body.text();
      assert.equal(res.statusCode, 400);
      assert.equal(res.headers['x-m2m-rsc'], '4000');
      assert.equal(res.headers['x-m2m-ri'], 'bad-json');
      assertNoStack(body);
    });

    test('downlink door: a path outside /r/ is 404 with X-M2M-RSC 4004, no stack', async () => {
      const res = await request(`${run.downlinkUrl}/nothing-here`, { headers: { 'x-m2m-ri': 'lost' } });
      const body = await res.body.text();
      assert.equal(res.statusCode, 404);
      assert.equal(res.headers['x-m2m-rsc'], '4004');
      assert.equal(res.headers['x-m2m-ri'], 'lost');
      assertNoStack(body);
    });

    test('admin door: a malformed percent-encoding in a registree ID is a clear 404, no stack', async () => {
      const res = await request(`http://127.0.0.1:${run.addresses.admin.port}/api/registrees/%E0%A4%A`);
      const body = await res.body.text();
      assert.equal(res.statusCode, 404);
      assertNoStack(body);
    });

    test('public door: a malformed JSON body passed through gets the CSE\'s answer, no stack', async () => {
      const res = await request(`http://127.0.0.1:${run.addresses.public.port}/cse-in`, { method: 'POST', headers: { 'content-type': 'application/json;ty=4', 'x-m2m-ri': 'pt-bad', 'x-m2m-origin': aei, 'x-m2m-rvi': '3' }, body: '{"m2m:cin": {' });
      const body = await res.body.text();
      assert.equal(res.headers['x-m2m-ri'], 'pt-bad');
      assert.ok(res.statusCode >= 400, `status ${res.statusCode}`);
      assertNoStack(body);
    });
  });
});
