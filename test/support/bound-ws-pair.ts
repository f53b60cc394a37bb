// A registree's connection for drain tests below the bridge: a real ws server
// on port 0 whose connection a WsSession writes to through framedSocket, a
// real ws client as the registree, the session bound to a registration.
// Closed in t.after, clients first (a ws server's close waits for them).
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import type { TestContext } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { Registry } from '../../src/bridge/registry.js';
import { codecFor } from '../../src/primitive/codecs.js';
import type { Registration } from '../../src/store/store.js';
import { framedSocket } from '../../src/ws/framed-socket.js';
import { WsSession } from '../../src/ws/ws-session.js';
import type { SessionLimits } from '../../src/ws/ws-session.js';

export interface BoundWsPair {
  /** The registree's side. */
  client: WebSocket;
  /** The bridge's side of the connection, under the session. */
  server: WebSocket;
  session: WsSession;
}

export async function boundWsPair(t: TestContext, reg: Registration, limits?: SessionLimits): Promise<BoundWsPair> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, 'oneM2M.json');
  const [server] = (await once(wss, 'connection')) as [WebSocket];
  await once(client, 'open');
  t.after(async () => {
    client.terminate();
    server.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  const session = new WsSession(framedSocket(server), { subprotocol: 'oneM2M.json', serialization: 'json', remoteAddress: '127.0.0.1' }, codecFor('json'), { onRequest: async () => null }, limits);
  server.on('message', (data: Buffer, isBinary: boolean) => session.handleMessage(data, isBinary));
  server.on('close', () => session.handleClose());
  new Registry(() => undefined).bind(session, reg);
  return { client, server, session };
}

/** The registree answers every request with 2000 at once; `seen` gets each rqi in arrival order. */
export function answerEvery(client: WebSocket, seen: string[] = []): string[] {
  client.on('message', (data: Buffer) => {
    const rqi = (JSON.parse(data.toString('utf8')) as { rqi: string }).rqi;
    seen.push(rqi);
    client.send(JSON.stringify({ rsc: 2000, rqi, rvi: '3' }));
  });
  return seen;
}

/** Calls `onWrite(chunks)` each time the server socket hands bytes to the kernel (Node's Writable: _write, or _writev for several). */
export function onSocketWrite(server: WebSocket, onWrite: (chunks: Buffer[]) => void): void {
  type Writer = (this: Socket, ...args: unknown[]) => unknown;
  const raw = (server as unknown as { _socket: Record<'_write' | '_writev', Writer> })._socket;
  const write = raw._write;
  const writev = raw._writev;
  raw._write = function (this: Socket, ...args: unknown[]) {
    onWrite([args[0] as Buffer]);
    return write.apply(this, args);
  };
  raw._writev = function (this: Socket, ...args: unknown[]) {
    onWrite((args[0] as Array<{ chunk: Buffer }>).map((c) => c.chunk));
    return writev.apply(this, args);
  };
}
