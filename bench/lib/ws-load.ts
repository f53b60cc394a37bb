// Closed-loop WebSocket load: each registree keeps one request in flight.
import WebSocket from 'ws';
import { summarize } from './http-load.js';
import type { LoadResult } from './http-load.js';

export interface WsClient {
  ws: WebSocket;
  send(text: string): Promise<string>;
}

/** `first`: index of the first registree's name (Cbench<first>…), so several bridges on one store get distinct names. */
export async function openRegistrees(url: string, n: number, subprotocol = 'oneM2M.json', first = 0): Promise<WsClient[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, j) => {
      const i = first + j;
      const ws = new WebSocket(url, subprotocol, { perMessageDeflate: false });
      let waiter: ((s: string) => void) | undefined;
      ws.on('message', (data: Buffer) => {
        const w = waiter;
        waiter = undefined;
        w?.(data.toString());
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const client: WsClient = {
        ws,
        send: (text) =>
          new Promise((resolve) => {
            waiter = resolve;
            ws.send(text);
          }),
      };
      const reg = await client.send(JSON.stringify({ op: 1, to: 'cse-in', fr: `Cbench${i}`, rqi: `reg${i}`, rvi: '3', ty: 2, pc: { 'm2m:ae': { rn: `ae${i}`, api: 'Nbench', rr: true, srv: ['3'] } } }));
      if (!reg.includes('"rsc":2001')) throw new Error(`registration failed: ${reg}`);
      return client;
    }),
  );
}

export async function wsLoad(clients: WsClient[], total: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let sent = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (c, i) => {
      while (sent < total) {
        const n = sent++;
        const t0 = process.hrtime.bigint();
        await c.send(`{"op":2,"to":"cse-in/ae/cnt","fr":"Cbench${i}","rqi":"r${n}","rvi":"3"}`);
        latencies.push(Number(process.hrtime.bigint() - t0));
      }
    }),
  );
  return summarize(latencies, Number(process.hrtime.bigint() - started) / 1e9);
}
