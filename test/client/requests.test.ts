// Onem2mWsClient's request/response rules against a bare TS-0020 registrar:
// answers to incoming requests, timeouts, drops, reconnect by X-M2M-Origin.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Onem2mClientError, Onem2mWsClient } from '../../src/client/index.js';
import type { CloseInfo, OpenInfo, RequestPrimitive } from '../../src/client/index.js';
import { isValidTimestamp } from '../../src/primitive/timestamp.js';
import { waitUntil } from '../support/wait.js';
import { TestRegistrar } from '../support/ws-registrar.js';

const FAST_RECONNECT = { initialDelayMs: 5, maxDelayMs: 20 };

function isClientError(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof Onem2mClientError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  };
}

describe('answers to requests from the server', { timeout: 20_000 }, () => {
  let registrar: TestRegistrar;
  let client: Onem2mWsClient;
  before(async () => {
    registrar = await TestRegistrar.start();
    client = new Onem2mWsClient({ url: registrar.url, reconnect: false });
    await client.connect();
  });
  after(async () => {
    await client.close();
    await registrar.close();
  });

  test("the handler's answer goes back with the request's rqi, its rvi and an ot", async () => {
    client.onRequest(() => ({ rsc: 2000, rqi: 'something-else', pc: { 'm2m:dbg': 'seen' } }) as never);
    const conn = await registrar.waitForConnections(1);
    const rsp = await conn.request({ op: 5, to: 'Cme', fr: '/id-in', rqi: 'n-1', rvi: '4', pc: { 'm2m:sgn': { vrq: true } } });
    assert.equal(rsp.rsc, 2000);
    assert.equal(rsp.rqi, 'n-1');
    assert.equal(rsp.rvi, '4');
    assert.ok(isValidTimestamp(rsp.ot), `ot ${String(rsp.ot)}`);
    assert.deepEqual(rsp.pc, { 'm2m:dbg': 'seen' });
  });

  test('a handler that throws is answered 5000 with the reason', async () => {
    client.onRequest(() => {
      throw new Error('disk on fire');
    });
    const rsp = await registrar.current!.request({ op: 5, to: 'Cme', fr: '/id-in', pc: { 'm2m:sgn': {} } });
    assert.equal(rsp.rsc, 5000);
    assert.match(JSON.stringify(rsp.pc), /disk on fire/);
  });

  test('a request with rt.rtv = 5 gets no answer, the next one does', async () => {
    const seen: RequestPrimitive[] = [];
    client.onRequest((req) => {
      seen.push(req);
      return { rsc: 2000 };
    });
    const conn = registrar.current!;
    conn.send(conn.codec.encodeRequest({ op: 5, to: 'Cme', fr: '/id-in', rqi: 'quiet', rvi: '3', rt: { rtv: 5 }, pc: { 'm2m:sgn': {} } }));
    const loud = await conn.request({ op: 5, to: 'Cme', fr: '/id-in', rqi: 'loud', pc: { 'm2m:sgn': {} } });
    assert.equal(loud.rsc, 2000);
    assert.deepEqual(seen.map((r) => r.rqi), ['quiet', 'loud'], 'both reached the handler');
    assert.deepEqual(conn.stray, [], 'no answer to the noResponse request');
  });

  test('a message that is no primitive is answered 4000 with its rqi', async () => {
    const conn = registrar.current!;
    const strays = conn.stray.length;
    conn.send('{"rqi":"broken-1","op":"nope"');
    await waitUntil(() => conn.stray.length > strays, 5000, 'the 4000 answer');
    const answer = conn.stray[strays];
    assert.equal(answer?.rsc, 4000);
    assert.equal(answer?.rqi, 'broken-1');
  });

  test('a broken answer, or a message whose rqi cannot be read, gets no answer: two peers never trade error answers forever', async () => {
    client.onRequest(() => ({ rsc: 2000 }));
    const conn = registrar.current!;
    const strays = conn.stray.length;
    conn.send('{"rsc":4000,"pc":{"m2m:dbg":"request identifier parameter is mandatory"}}');
    conn.send('not a primitive at all');
    // The next request is answered, and nothing else came back before it.
    const rsp = await conn.request({ op: 5, to: 'Cme', fr: '/id-in', rqi: 'after-noise', pc: { 'm2m:sgn': {} } });
    assert.equal(rsp.rsc, 2000);
    assert.deepEqual(conn.stray.slice(strays), []);
  });
});

describe('a CBOR connection to a server that sends JSON text frames (ACME)', { timeout: 20_000 }, () => {
  test('a request in a text frame is read as JSON and answered in CBOR', async () => {
    const registrar = await TestRegistrar.start({ accept: ['onem2m.cbor'] });
    const client = new Onem2mWsClient({ url: registrar.url, serialization: 'cbor', reconnect: false });
    client.onRequest(() => ({ rsc: 2000 }));
    try {
      await client.connect();
      const conn = await registrar.waitForConnections(1);
      assert.equal(conn.subprotocol, 'oneM2M.cbor');
      conn.ws.send(JSON.stringify({ op: 5, to: 'Cme', fr: '/id-in', rqi: 'text-1', rvi: '3', pc: { 'm2m:sgn': { vrq: true } } }), { binary: false });
      await waitUntil(() => conn.stray.some((r) => r.rqi === 'text-1'), 5000, 'the CBOR answer');
      assert.equal(conn.stray.find((r) => r.rqi === 'text-1')?.rsc, 2000);
    } finally {
      await client.close();
      await registrar.close();
    }
  });
});

describe('requests and the connection', { timeout: 20_000 }, () => {
  let registrar: TestRegistrar;
  before(async () => {
    registrar = await TestRegistrar.start();
  });
  after(async () => {
    await registrar.close();
  });

  test('requests that arrive before a handler is registered are answered once it is', async () => {
    const client = new Onem2mWsClient({ url: registrar.url, reconnect: false });
    const connections = registrar.connections.length;
    await client.connect();
    try {
      const conn = await registrar.waitForConnections(connections + 1);
      const early = conn.request({ op: 5, to: 'Cme', fr: '/id-in', rqi: 'early', pc: { 'm2m:sgn': {} } });
      await new Promise((resolve) => setImmediate(resolve));
      client.onRequest(() => ({ rsc: 2004 }));
      assert.equal((await early).rsc, 2004);
    } finally {
      await client.close();
    }
  });

  test('a request nobody answers rejects with ONEM2M_CLIENT_TIMEOUT', async () => {
    registrar.handler = () => null;
    const client = new Onem2mWsClient({ url: registrar.url, reconnect: false });
    await client.connect();
    try {
      await assert.rejects(client.request({ op: 2, to: 'cse-in', fr: 'Cme' }, { timeoutMs: 50 }), isClientError('ONEM2M_CLIENT_TIMEOUT'));
    } finally {
      registrar.handler = (req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' });
      await client.close();
    }
  });

  test('request() before connect() and after close() reject with a clear code', async () => {
    const client = new Onem2mWsClient({ url: registrar.url });
    await assert.rejects(client.request({ op: 2, to: 'cse-in' }), isClientError('ONEM2M_CLIENT_NOT_CONNECTED'));
    await client.connect();
    await client.close();
    await assert.rejects(client.request({ op: 2, to: 'cse-in' }), isClientError('ONEM2M_CLIENT_CLOSED'));
    await assert.rejects(client.connect(), isClientError('ONEM2M_CLIENT_CLOSED'));
  });

  test('a second request with an rqi still waiting is refused, the first still gets its answer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    registrar.handler = async (req) => {
      await gate;
      return { rsc: 2000, rqi: req.rqi, rvi: '3' };
    };
    const client = new Onem2mWsClient({ url: registrar.url, reconnect: false });
    await client.connect();
    try {
      const first = client.request({ op: 2, to: 'cse-in', rqi: 'same' });
      await assert.rejects(client.request({ op: 2, to: 'cse-in', rqi: 'same' }), isClientError('ONEM2M_CLIENT_BAD_REQUEST'));
      release();
      assert.equal((await first).rsc, 2000);
      await assert.rejects(client.request({ op: 2, to: 'cse-in', rt: { rtv: 5 } }), isClientError('ONEM2M_CLIENT_BAD_REQUEST'));
    } finally {
      registrar.handler = (req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' });
      await client.close();
    }
  });

  test('a drop fails the requests in flight, the client reconnects naming its registree and traffic goes on', async () => {
    registrar.handler = (req) => {
      if (req.op === 1 && req.ty === 2) return { rsc: 2001, rqi: req.rqi, rvi: '3', pc: { 'm2m:ae': { rn: 'dev', aei: 'Cdev-42' } } };
      if (req.to === 'cse-in/hang') return null;
      return { rsc: 2000, rqi: req.rqi, rvi: '3' };
    };
    const client = new Onem2mWsClient({ url: registrar.url, reconnect: FAST_RECONNECT });
    const opens: OpenInfo[] = [];
    const closes: CloseInfo[] = [];
    client.on('open', (i) => opens.push(i));
    client.on('close', (i) => closes.push(i));
    const first = registrar.connections.length;
    await client.connect();
    try {
      const reg = await client.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'dev', api: 'Nx', rr: true } } });
      assert.equal(reg.rsc, 2001);
      assert.equal(registrar.connections[first]!.origin, undefined, 'the first handshake names nobody');
      const hanging = client.request({ op: 2, to: 'cse-in/hang' });
      await registrar.waitForRequests(registrar.connections.flatMap((c) => c.received).length);
      registrar.dropAll();
      await assert.rejects(hanging, isClientError('ONEM2M_CLIENT_CONNECTION_LOST'));
      // Sent while reconnecting: waits for the new connection.
      const after = await client.request({ op: 2, to: 'cse-in' });
      assert.equal(after.rsc, 2000);
      const second = registrar.connections[first + 1]!;
      assert.equal(second.origin, 'Cdev-42', 'the reconnect carries X-M2M-Origin from the registration');
      assert.equal(second.received.at(-1)?.fr, 'Cdev-42');
      assert.deepEqual(opens.map((o) => o.reconnected), [false, true]);
      assert.equal(closes[0]?.reconnecting, true);
    } finally {
      registrar.handler = (req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' });
      await client.close();
    }
  });

  test('with reconnect: false a drop leaves the client disconnected and says so', async () => {
    const client = new Onem2mWsClient({ url: registrar.url, reconnect: false, origin: 'Cstatic' });
    const closes: CloseInfo[] = [];
    client.on('close', (i) => closes.push(i));
    const n = registrar.connections.length;
    await client.connect();
    const conn = await registrar.waitForConnections(n + 1);
    assert.equal(conn.origin, 'Cstatic');
    conn.ws.close(1001, 'going away');
    await conn.closed;
    await waitUntil(() => closes.length > 0, 5000, 'the close event');
    assert.deepEqual(closes, [{ code: 1001, reason: 'going away', reconnecting: false }]);
    assert.equal(client.connected, false);
    await assert.rejects(client.request({ op: 2, to: 'cse-in' }), isClientError('ONEM2M_CLIENT_NOT_CONNECTED'));
    await client.close();
  });

  test('the client picks the serialization the server accepts from its preference list', async () => {
    const picky = await TestRegistrar.start({ accept: ['onem2m.cbor'] });
    const client = new Onem2mWsClient({ url: picky.url, serialization: ['json', 'cbor'], reconnect: false });
    try {
      await client.connect();
      assert.equal(client.subprotocol, 'oneM2M.cbor');
      assert.equal((await client.request({ op: 2, to: 'cse-in', fr: 'Cx' })).rsc, 2000);
      assert.equal((await picky.waitForConnections(1)).codec.serialization, 'cbor');
    } finally {
      await client.close();
      await picky.close();
    }
  });

  test('a port nobody listens on rejects connect() with ONEM2M_CLIENT_CONNECT', async () => {
    const gone = await TestRegistrar.start();
    const url = gone.url;
    await gone.close();
    const client = new Onem2mWsClient({ url, reconnect: false });
    await assert.rejects(client.connect(), (err: unknown) => isClientError('ONEM2M_CLIENT_CONNECT')(err) && /ECONNREFUSED/.test((err as Error).message));
  });
});
