// The connection drops in the middle of traffic (a NAT box forgets the
// tunnel): the client reconnects with backoff, the bridge binds the new
// connection by X-M2M-Origin without a new registration, and what the CSE
// sent meanwhile arrives (TS-0020 6.4, 6.5).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Onem2mClientError, Onem2mWsClient } from '../../src/client/index.js';
import type { JsonObject, OpenInfo, RequestPrimitive } from '../../src/client/index.js';
import { startConnectProxy } from '../support/connect-proxy.js';
import type { ConnectProxy } from '../support/connect-proxy.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';

function sgnCon(req: RequestPrimitive): unknown {
  const rep = ((req.pc?.['m2m:sgn'] as JsonObject | undefined)?.nev as JsonObject | undefined)?.rep as JsonObject | undefined;
  return (rep?.['m2m:cin'] as JsonObject | undefined)?.con;
}

describe('reconnect during traffic', { timeout: 30_000 }, () => {
  let run: Running;
  let proxy: ConnectProxy;
  before(async () => {
    run = await startBridge();
    proxy = await startConnectProxy();
  });
  after(async () => {
    await proxy.close();
    await run.stop();
  });

  test('requests either get their answer or fail with a connection code, and traffic resumes on the rebound connection', async () => {
    const received: RequestPrimitive[] = [];
    const opens: OpenInfo[] = [];
    const client = new Onem2mWsClient({ url: run.wsUrl, proxy: proxy.url, serialization: 'cbor', reconnect: { initialDelayMs: 5, maxDelayMs: 50 }, requestTimeoutMs: 5000 });
    client.onRequest((req) => {
      received.push(req);
      return { rsc: 2000 };
    });
    client.on('open', (info) => opens.push(info));
    await client.connect();
    try {
      const reg = await client.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'roamer', api: 'Nr', rr: true, srv: ['3'] } } });
      assert.equal(reg.rsc, 2001);
      const aei = client.origin!;
      assert.equal((await client.request({ op: 1, to: 'cse-in/roamer', ty: 3, pc: { 'm2m:cnt': { rn: 'data' } } })).rsc, 2001);
      assert.equal((await client.request({ op: 1, to: 'cse-in/roamer/data', ty: 23, pc: { 'm2m:sub': { rn: 'sub', nu: [aei], enc: { net: [3] } } } })).rsc, 2001);

      // Eight workers keep requests going; the tunnel is cut once answers flow.
      const outcomes: Array<'ok' | string> = [];
      let stop = false;
      let okAfterReconnect = 0;
      const worker = async () => {
        while (!stop) {
          try {
            const rsp = await client.request({ op: 2, to: 'cse-in/roamer/data' });
            assert.equal(rsp.rsc, 2000, JSON.stringify(rsp));
            outcomes.push('ok');
            if (opens.length > 1) okAfterReconnect++;
          } catch (err) {
            assert.ok(err instanceof Onem2mClientError, String(err));
            outcomes.push(err.code);
            // A client that failed requests at once in a loop would starve the event loop: yield, and let the count below catch it.
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
      };
      const workers = Array.from({ length: 8 }, worker);
      await waitUntil(() => outcomes.length >= 40, 10_000, 'traffic before the drop');
      proxy.dropTunnels();
      await waitUntil(() => okAfterReconnect >= 40, 10_000, 'traffic after the reconnect');
      stop = true;
      await Promise.all(workers);

      const failures = outcomes.filter((o) => o !== 'ok');
      for (const f of failures) assert.ok(f === 'ONEM2M_CLIENT_CONNECTION_LOST' || f === 'ONEM2M_CLIENT_NOT_CONNECTED', f);
      assert.ok(failures.length <= 8, `only requests in flight at the drop fail (${failures.length})`);
      assert.deepEqual(opens.map((o) => o.reconnected), [false, true]);
      assert.equal(proxy.connects.length, 2);
      assert.ok(run.bridge.registry.sessionForId(aei) !== undefined, 'the bridge bound the new connection to the registree');

      // Offline: the CSE's notification is stored by the bridge and arrives after the next reconnect.
      proxy.refuseWith = 503;
      proxy.dropTunnels();
      await waitUntil(() => run.bridge.registry.sessionForId(aei) === undefined, 5000, 'the bridge to see the registree offline');
      await run.cse.createContentInstance('cse-in/roamer/data', 'while away');
      await run.cse.idle();
      assert.equal(received.some((r) => sgnCon(r) === 'while away'), false);
      proxy.refuseWith = undefined;
      await waitUntil(() => received.some((r) => sgnCon(r) === 'while away'), 10_000, 'the stored notification');
      assert.equal(opens.length, 3);
    } finally {
      await client.close();
    }
  });
});
