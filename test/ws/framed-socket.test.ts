// framedSocket writes pre-framed messages past ws's sender; a real ws client
// must read them exactly as if ws had sent them, in every length encoding.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { framedSocket } from '../../src/ws/framed-socket.js';

async function pair(deflate: boolean): Promise<{ server: WebSocket; client: WebSocket; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
  await once(wss, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, { perMessageDeflate: deflate });
  const [server] = (await once(wss, 'connection')) as [WebSocket];
  await once(client, 'open');
  return {
    server,
    client,
    close: async () => {
      client.close();
      await once(client, 'close');
      wss.close();
    },
  };
}

function received(client: WebSocket, n: number): Promise<Array<{ data: Buffer; binary: boolean }>> {
  const out: Array<{ data: Buffer; binary: boolean }> = [];
  return new Promise((resolve) => {
    client.on('message', (data: Buffer, binary: boolean) => {
      out.push({ data, binary });
      if (out.length === n) resolve(out);
    });
  });
}

test('text and binary messages of every length encoding arrive intact and in order', async () => {
  const { server, client, close } = await pair(false);
  const sizes = [0, 1, 125, 126, 300, 65535, 65536, 200_000];
  const texts = sizes.map((n) => 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2));
  const binaries = sizes.map((n) => Buffer.alloc(n, n % 251));
  const got = received(client, sizes.length * 2);
  const socket = framedSocket(server);
  for (let i = 0; i < sizes.length; i++) {
    socket.send(texts[i], { binary: false });
    socket.send(binaries[i], { binary: true });
  }
  const messages = await got;
  for (let i = 0; i < sizes.length; i++) {
    assert.equal(messages[2 * i].binary, false);
    assert.equal(messages[2 * i].data.toString('utf8'), texts[i], `text of ${sizes[i]} bytes`);
    assert.equal(messages[2 * i + 1].binary, true);
    assert.ok(messages[2 * i + 1].data.equals(binaries[i]), `binary of ${sizes[i]} bytes`);
  }
  await close();
});

test('with permessage-deflate negotiated, messages go through ws (compressed) and still arrive intact', async () => {
  const { server, client, close } = await pair(true);
  assert.match(client.extensions, /permessage-deflate/);
  const got = received(client, 2);
  const socket = framedSocket(server);
  const big = 'z'.repeat(5000);
  socket.send(big, { binary: false });
  socket.send(Buffer.from([1, 2, 3]), { binary: true });
  const [a, b] = await got;
  assert.equal(a.data.toString(), big);
  assert.deepEqual([...b.data], [1, 2, 3]);
  await close();
});

/** Counts the times the socket hands bytes to the kernel (Node's Writable calls _write or, for several buffered chunks, _writev). */
function countWrites(ws: WebSocket): { writes: number } {
  type Writer = (this: Socket, ...args: unknown[]) => unknown;
  const raw = (ws as unknown as { _socket: Socket & { _write: Writer; _writev: Writer } })._socket;
  const seen = { writes: 0 };
  const write = raw._write;
  const writev = raw._writev;
  raw._write = function (this: Socket, ...args: unknown[]) {
    seen.writes++;
    return write.apply(this, args);
  };
  raw._writev = function (this: Socket, ...args: unknown[]) {
    seen.writes++;
    return writev.apply(this, args);
  };
  return seen;
}

test('issue 19: frames sent between cork() and uncork() leave in one socket write, intact and in order', async (t) => {
  const { server, client, close } = await pair(false);
  t.after(close); // also when an assertion fails midway
  const socket = framedSocket(server);
  const seen = countWrites(server);
  const texts = Array.from({ length: 64 }, (_, i) => `frame ${i} `.repeat(1 + (i % 40)));
  const got = received(client, 64 + 3);
  socket.cork!();
  for (const t of texts) socket.send(t, { binary: false });
  const writesWhileCorked = seen.writes;
  const bufferedWhileCorked = socket.bufferedAmount;
  socket.uncork!();
  assert.equal(writesWhileCorked, 0, 'nothing written while corked');
  // What waits for uncork() is unsent: the --max-downlink-buffered cap (issue 13) counts it.
  const framed = texts.reduce((n, t) => n + Buffer.byteLength(t) + (Buffer.byteLength(t) < 126 ? 2 : 4), 0);
  assert.equal(bufferedWhileCorked, framed, 'the corked frames count as unsent');
  assert.equal(seen.writes, 1, 'one write for the 64 frames');
  // Uncorked again: one write per frame, as before.
  for (const t of ['a', 'b', 'c']) socket.send(t, { binary: false });
  assert.equal(seen.writes, 4);
  const messages = await got;
  assert.deepEqual(messages.map((m) => m.data.toString('utf8')), [...texts, 'a', 'b', 'c']);
});
