// Issue 19: a drain sends each window of stored requests in one socket write
// (the session corks the socket for the window), and the order holds across
// windows. Real sockets: a ws server whose connection the session writes to
// through framedSocket, a real ws client as the registree; a real lmdb store.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { QueueDelivery } from '../../src/bridge/queue-delivery.js';
import { Registry } from '../../src/bridge/registry.js';
import { silentLogger } from '../../src/log.js';
import { codecFor } from '../../src/primitive/codecs.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { framedSocket } from '../../src/ws/framed-socket.js';
import { WsSession } from '../../src/ws/ws-session.js';
import { waitUntil } from '../support/wait.js';

const STORED = 150;
const WINDOW = 64;

test('issue 19: each window of stored requests leaves in one socket write; 150 stored arrive in order over three corked windows', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-cork-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new LmdbStore(dir);
  await store.open();
  t.after(() => store.close());
  const reg = { id: 'Ccork', key: 'k-cork', kind: 'ae' as const, createdAt: 0 };
  await store.putRegistration(reg);
  for (let i = 0; i < STORED; i++) {
    await store.enqueue(reg.id, { request: { op: 5, to: reg.id, fr: '/id-in', rqi: `n${i}`, rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/s', nev: { rep: { con: 'x'.repeat(i % 300) } } } } }, bytes: 10, expiresAt: Date.now() + 600_000, replaceSameSur: false }, { maxMessages: 1000, maxBytes: 1e7, globalMaxBytes: 1e8 });
  }

  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  // The registree: answers every request it gets at once, and notes the order.
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, 'oneM2M.json');
  const rqis: string[] = [];
  client.on('message', (data: Buffer) => {
    const rqi = (JSON.parse(data.toString('utf8')) as { rqi: string }).rqi;
    rqis.push(rqi);
    client.send(JSON.stringify({ rsc: 2000, rqi, rvi: '3' }));
  });
  const [server] = (await once(wss, 'connection')) as [WebSocket];
  await once(client, 'open');
  t.after(async () => {
    client.terminate();
    server.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });

  // Every time the server's socket hands bytes to the kernel (Node's Writable: _write, or _writev for several buffered chunks).
  type Writer = (this: Socket, ...args: unknown[]) => unknown;
  const raw = (server as unknown as { _socket: Socket & { _write: Writer; _writev: Writer } })._socket;
  let writes = 0;
  const write = raw._write;
  const writev = raw._writev;
  raw._write = function (...args) {
    writes++;
    return write.apply(this, args);
  };
  raw._writev = function (...args) {
    writes++;
    return writev.apply(this, args);
  };

  const session = new WsSession(framedSocket(server), { subprotocol: 'oneM2M.json', serialization: 'json', remoteAddress: '127.0.0.1' }, codecFor('json'), { onRequest: async () => null });
  server.on('message', (data: Buffer, isBinary: boolean) => session.handleMessage(data, isBinary));
  server.on('close', () => session.handleClose());
  new Registry(() => undefined).bind(session, reg);
  const delivery = new QueueDelivery({ store, logger: silentLogger(), timeoutMs: 30_000, window: WINDOW });
  delivery.kick(session);
  await waitUntil(() => store.totals().messages === 0 && !delivery.isDraining(session), 10_000, 'every stored request delivered and acknowledged');
  assert.deepEqual(rqis, Array.from({ length: STORED }, (_, i) => `n${i}`), 'in queue order');
  assert.equal(writes, Math.ceil(STORED / WINDOW), `${writes} socket writes for ${Math.ceil(STORED / WINDOW)} windows`);
});

test('issue 13 with issue 19: a corked window stops at --max-downlink-buffered; what is corked counts as unsent', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-cork-cap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new LmdbStore(dir);
  await store.open();
  t.after(() => store.close());
  const reg = { id: 'Ccap', key: 'k-cap', kind: 'ae' as const, createdAt: 0 };
  await store.putRegistration(reg);
  // 20 stored requests of about 1 KiB each; the cap is 2,500 bytes.
  const CAP = 2500;
  for (let i = 0; i < 20; i++) {
    await store.enqueue(reg.id, { request: { op: 5, to: reg.id, fr: '/id-in', rqi: `c${i}`, rvi: '3', pc: { 'm2m:sgn': { sur: '/id-in/s', nev: { rep: { con: 'y'.repeat(1000) } } } } }, bytes: 1100, expiresAt: Date.now() + 600_000, replaceSameSur: false }, { maxMessages: 1000, maxBytes: 1e7, globalMaxBytes: 1e8 });
  }
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, 'oneM2M.json');
  const rqis: string[] = [];
  client.on('message', (data: Buffer) => {
    const rqi = (JSON.parse(data.toString('utf8')) as { rqi: string }).rqi;
    rqis.push(rqi);
    client.send(JSON.stringify({ rsc: 2000, rqi, rvi: '3' }));
  });
  const [server] = (await once(wss, 'connection')) as [WebSocket];
  await once(client, 'open');
  t.after(async () => {
    client.terminate();
    server.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  // The largest number of bytes handed to the kernel in one write.
  type Writer = (this: Socket, ...args: unknown[]) => unknown;
  const raw = (server as unknown as { _socket: Socket & { _writev: Writer } })._socket;
  let largestWritev = 0;
  const writev = raw._writev;
  raw._writev = function (...args) {
    const chunks = args[0] as Array<{ chunk: Buffer }>;
    largestWritev = Math.max(largestWritev, chunks.reduce((n, c) => n + c.chunk.length, 0));
    return writev.apply(this, args);
  };
  const limits = { maxInFlight: 100, rateLimit: 0, maxDownlinkInflight: 1000, maxDownlinkBufferedBytes: CAP, maxUnboundMessageBytes: 65536 };
  const session = new WsSession(framedSocket(server), { subprotocol: 'oneM2M.json', serialization: 'json', remoteAddress: '127.0.0.1' }, codecFor('json'), { onRequest: async () => null }, limits);
  server.on('message', (data: Buffer, isBinary: boolean) => session.handleMessage(data, isBinary));
  server.on('close', () => session.handleClose());
  new Registry(() => undefined).bind(session, reg);
  const delivery = new QueueDelivery({ store, logger: silentLogger(), timeoutMs: 30_000, window: WINDOW });
  delivery.kick(session);
  await waitUntil(() => store.totals().messages === 0 && !delivery.isDraining(session), 10_000, 'every stored request delivered and acknowledged');
  assert.deepEqual(rqis, Array.from({ length: 20 }, (_, i) => `c${i}`), 'in queue order');
  // A request is written only while at most CAP bytes are unsent, so a window holds at most CAP plus one request.
  assert.ok(largestWritev > 0, 'windows left in writev');
  assert.ok(largestWritev <= CAP + 1200, `one write carried ${largestWritev} bytes: more than --max-downlink-buffered (${CAP}) plus one request`);
});
