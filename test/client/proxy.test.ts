// TS-0020 6.6: the client reaches the bridge through an HTTP proxy with
// CONNECT host:port, given as an option or by HTTPS_PROXY/HTTP_PROXY/NO_PROXY;
// wss:// with a client certificate goes through the tunnel too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { Onem2mClientError, Onem2mWsClient } from '../../src/client/index.js';
import type { JsonObject } from '../../src/client/index.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import type { ConnectProxy } from '../support/connect-proxy.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';

const tlsDir = 'test/fixtures/tls';
const pem = (name: string) => readFileSync(join(tlsDir, `${name}.pem`));

describe('through an HTTP CONNECT proxy', { timeout: 30_000 }, () => {
  let run: Running;
  let proxy: ConnectProxy;
  const savedEnv = { ...process.env };
  before(async () => {
    run = await startBridge({ allowOriginator: ['CAdmin'] });
    proxy = await startConnectProxy();
  });
  afterEach(() => {
    for (const name of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']) {
      if (savedEnv[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnv[name];
    }
    proxy.refuseWith = undefined;
  });
  after(async () => {
    await proxy.close();
    await run.stop();
  });

  test('the tunnel is asked for with CONNECT to the bridge host:port, proxy credentials included', async () => {
    const n = proxy.connects.length;
    const withCredentials = proxy.url.replace('http://', 'http://ops:s3cret@');
    const client = new Onem2mWsClient({ url: run.wsUrl, proxy: withCredentials, reconnect: false });
    await client.connect();
    try {
      assert.equal((await client.request({ op: 2, to: 'cse-in', fr: 'CAdmin' })).rsc, 2000);
      assert.deepEqual(proxy.connects.slice(n), [`127.0.0.1:${run.addresses.public.port}`]);
      assert.equal(proxy.authorizations[n], `Basic ${Buffer.from('ops:s3cret').toString('base64')}`);
    } finally {
      await client.close();
    }
  });

  test('HTTP_PROXY from the environment is used for ws://, and NO_PROXY bypasses it', async () => {
    process.env.HTTP_PROXY = proxy.url;
    const n = proxy.connects.length;
    const viaEnv = new Onem2mWsClient({ url: run.wsUrl, reconnect: false });
    assert.equal(viaEnv.proxy?.href, `${proxy.url}/`);
    await viaEnv.connect();
    await viaEnv.close();
    assert.equal(proxy.connects.length, n + 1);

    process.env.NO_PROXY = '127.0.0.1';
    const direct = new Onem2mWsClient({ url: run.wsUrl, reconnect: false });
    assert.equal(direct.proxy, undefined);
    await direct.connect();
    await direct.close();
    const explicitNone = new Onem2mWsClient({ url: run.wsUrl, proxy: false, reconnect: false });
    assert.equal(explicitNone.proxy, undefined);
    assert.equal(proxy.connects.length, n + 1, 'neither went through the proxy');
  });

  test('HTTPS_PROXY applies to wss:// only', () => {
    process.env.HTTPS_PROXY = proxy.url;
    assert.equal(new Onem2mWsClient({ url: 'wss://device-gw.example:443/' }).proxy?.href, `${proxy.url}/`);
    assert.equal(new Onem2mWsClient({ url: 'ws://device-gw.example/' }).proxy, undefined);
  });

  test('a proxy that refuses the tunnel for good rejects connect() with its status, even with retry', async () => {
    proxy.refuseWith = 403;
    const client = new Onem2mWsClient({ url: run.wsUrl, proxy: proxy.url, reconnect: { initialDelayMs: 1, maxDelayMs: 5 } });
    await assert.rejects(client.connect({ retry: true }), (err: unknown) => {
      assert.ok(err instanceof Onem2mClientError);
      assert.equal(err.code, 'ONEM2M_CLIENT_HANDSHAKE');
      assert.equal(err.status, 403);
      assert.match(err.message, /via proxy 127\.0\.0\.1:\d+/);
      return true;
    });
    await client.close();
  });

  test('connect({ retry: true }) rides out a proxy that refuses for a while', async () => {
    proxy.refuseWith = 503;
    const n = proxy.connects.length;
    const client = new Onem2mWsClient({ url: run.wsUrl, proxy: proxy.url, reconnect: { initialDelayMs: 1, maxDelayMs: 5 } });
    const errors: Onem2mClientError[] = [];
    client.on('error', (e) => errors.push(e));
    const connecting = client.connect({ retry: true });
    await waitUntil(() => proxy.connects.length >= n + 3, 10_000, 'three refused CONNECTs');
    proxy.refuseWith = undefined;
    await connecting;
    try {
      assert.ok(client.connected);
      assert.ok(errors.length >= 3 && errors.every((e) => e.status === 503), 'each refusal was reported');
    } finally {
      await client.close();
    }
  });
});

describe('wss:// with a client certificate through the proxy', { timeout: 30_000 }, () => {
  let run: Running;
  let proxy: ConnectProxy;
  before(async () => {
    run = await startBridge({ tlsCert: join(tlsDir, 'server.pem'), tlsKey: join(tlsDir, 'server-key.pem'), tlsCa: join(tlsDir, 'ca.pem'), tlsClientAuth: 'require' });
    proxy = await startConnectProxy();
  });
  after(async () => {
    await proxy.close();
    await run.stop();
  });

  test('TLS starts inside the tunnel and the bridge ties the registration to the certificate', async () => {
    const url = `wss://127.0.0.1:${run.addresses.public.port}/`;
    const client = new Onem2mWsClient({ url, proxy: proxy.url, tls: { ca: pem('ca'), cert: pem('client-a'), key: pem('client-a-key') }, reconnect: false });
    await client.connect();
    try {
      const rsp = await client.request({ op: 1, to: 'cse-in', fr: 'Csecure', ty: 2, pc: { 'm2m:ae': { rn: 'secure', api: 'Ns', rr: true, srv: ['3'] } } });
      assert.equal(rsp.rsc, 2001, JSON.stringify(rsp));
      assert.equal((rsp.pc?.['m2m:ae'] as JsonObject).aei, 'Csecure');
      assert.match(String((await run.bridge.store.getRegistration('Csecure'))?.identity), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.deepEqual(proxy.connects, [`127.0.0.1:${run.addresses.public.port}`]);
    } finally {
      await client.close();
    }
  });

  test('without a client certificate the TLS handshake fails with ONEM2M_CLIENT_CONNECT', async () => {
    const client = new Onem2mWsClient({ url: `wss://127.0.0.1:${run.addresses.public.port}/`, proxy: proxy.url, tls: { ca: pem('ca') }, reconnect: false });
    await assert.rejects(client.connect(), (err: unknown) => err instanceof Onem2mClientError && err.code === 'ONEM2M_CLIENT_CONNECT');
    await client.close();
  });
});
