// Resident memory per idle registered WebSocket connection, measured inside
// the server process after full garbage collections (run with --expose-gc).
// Args: bare|bridge N. Prints KiB per connection: resident, then JS heap.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { createBridge } from '../../src/bridge/bridge.js';
import { configWith } from '../../src/config/config.js';
import { startLineProcess, startProcess } from './process.js';

const [mode, nText] = process.argv.slice(2);
const N = Number(nText);
const rssKiB = () => Number(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))?.split(/\s+/)[1]);
const gc = async () => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with --expose-gc');
  collect();
  await new Promise((resolve) => setTimeout(resolve, 200));
  collect();
};

let url: string;
let stop: () => Promise<void>;
if (mode === 'bare') {
  // The floor: a ws server that answers the registration and keeps the socket.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const keep = new Set<WebSocket>();
  const server = createServer();
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      keep.add(ws);
      ws.on('message', (d: Buffer) => ws.send(JSON.stringify({ rsc: 2001, rqi: /"rqi":"([^"]*)"/.exec(d.toString())?.[1] ?? '', rvi: '3', pc: { 'm2m:ae': { poa: ['http://127.0.0.1/r/key'] } } })));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  stop = async () => void server.close();
} else {
  const cse = await startProcess('bench/lib/tiny-cse.ts');
  const lo = { host: '127.0.0.1', port: 0 };
  const bridge = createBridge(configWith({ upstream: new URL(`http://127.0.0.1:${cse.port}`), listen: lo, downlinkListen: lo, adminListen: lo, store: 'memory' }));
  const at = await bridge.start();
  url = `ws://127.0.0.1:${at.public.port}/`;
  stop = async () => {
    await bridge.stop();
    cse.proc.kill();
  };
}
// Warm up lazily created state so it is not counted per connection.
const warm = startLineProcess('bench/lib/registrees.ts', [url, '100', 'Cwarm']);
await warm.nextLine();
await gc();
const before = rssKiB();
const heapBefore = process.memoryUsage().heapUsed;
const idle = startLineProcess('bench/lib/registrees.ts', [url, String(N), 'Cidle']);
await idle.nextLine();
await new Promise((resolve) => setTimeout(resolve, 1000));
await gc();
// RSS per connection, then the JS heap's share of it.
process.stdout.write(`${((rssKiB() - before) / N).toFixed(2)} ${((process.memoryUsage().heapUsed - heapBefore) / 1024 / N).toFixed(2)}\n`);
idle.stop();
warm.stop();
await stop();
process.exit(0);
