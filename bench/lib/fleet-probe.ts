// One point of bench/fleet.ts, measured inside the server process (run with
// --expose-gc, under a raised file-descriptor limit): N idle registered
// registrees, then
//   - resident memory and JS heap per registree after full GCs (the idle-probe's method),
//   - idle CPU per second and per registree per keepalive round (pings and pongs),
//   - CPU per forwarded RETRIEVE while 32 active registrees send K of them,
//     with the N idle ones connected.
// Args: bare|memory|lmdb N tag. `bare` is the floor: a ws server that holds
// the socket, pings on the same interval, answers registrations itself and
// forwards every other request to the CSE with undici, the least a bridge
// does (bench/lib/minimal-bridge.ts). `tag` (1–250) picks the source
// addresses 127.<tag>.<p>.x of this point's client processes, so no point
// waits for the TIME_WAIT ports of the one before. Prints one JSON line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { Pool } from 'undici';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { createBridge } from '../../src/bridge/bridge.js';
import { configWith } from '../../src/config/config.js';
import { startLineProcess, startProcess } from './process.js';
import type { LineProcess } from './process.js';

const [mode, nText, tagText = '1'] = process.argv.slice(2);
const N = Number(nText);
const PER_PROCESS = Number(process.env.BENCH_FLEET_PER_PROCESS ?? 15000);
const PING_MS = Number(process.env.BENCH_FLEET_PING_MS ?? 10000);
const K = Number(process.env.BENCH_FLEET_REQUESTS ?? 20000);
const ACTIVE = 32;
const ROUNDS = 3;

const rssKiB = () => Number(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))?.split(/\s+/)[1]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const gc = async () => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with --expose-gc');
  collect();
  await sleep(200);
  collect();
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cse = await startProcess('bench/lib/tiny-cse.ts');
const upstream = `http://127.0.0.1:${cse.port}`;
let url: string;
let stop: () => Promise<void>;
if (mode === 'bare') {
  const pool = new Pool(upstream, { connections: 64, pipelining: 1 });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, handleProtocols: (p) => [...p][0] ?? false });
  const keep = new Set<WebSocket>();
  const server = createServer();
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      keep.add(ws);
      ws.on('close', () => keep.delete(ws));
      ws.on('message', (data: Buffer) => {
        const r = JSON.parse(data.toString()) as { op: number; to: string; fr: string; rqi: string };
        if (r.op === 1) {
          ws.send(`{"rsc":2001,"rqi":${JSON.stringify(r.rqi)},"rvi":"3","pc":{"m2m:ae":{"aei":${JSON.stringify(r.fr)}}}}`);
          return;
        }
        pool.request({ path: `/${r.to}`, method: 'GET', headers: { 'x-m2m-origin': r.fr, 'x-m2m-ri': r.rqi, 'x-m2m-rvi': '3', accept: 'application/json' } }).then(
          async (res) => ws.send(`{"rsc":${Number(res.headers['x-m2m-rsc'])},"rqi":${JSON.stringify(r.rqi)},"rvi":"3","pc":${await res.body.text()}}`),
          () => ws.send(`{"rsc":5103,"rqi":${JSON.stringify(r.rqi)}}`),
        );
      });
    }),
  );
  // The same keepalive as the bridge: a ping per socket per interval.
  const sweep = setInterval(() => {
    for (const ws of keep) ws.ping();
  }, PING_MS);
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  stop = async () => {
    clearInterval(sweep);
    for (const ws of keep) ws.terminate();
    server.close();
    await pool.close();
  };
} else {
  const dir = mode === 'lmdb' ? mkdtempSync(join(tmpdir(), 'fleet-lmdb-')) : '';
  const lo = { host: '127.0.0.1', port: 0 };
  const bridge = createBridge(
    configWith({
      upstream: new URL(upstream),
      listen: lo,
      downlinkListen: lo,
      adminListen: lo,
      store: mode === 'lmdb' ? `lmdb:${dir}` : 'memory',
      pingIntervalMs: PING_MS,
      // The default (100,000) would refuse the last of 100k plus the warm-up and active ones.
      maxConnections: N + 1000,
    }),
  );
  const at = await bridge.start();
  url = `ws://127.0.0.1:${at.public.port}/`;
  stop = async () => {
    await bridge.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  };
}

const children: LineProcess[] = [];
try {
  // Warm-up: JIT, pools and lazily created state are not counted per registree.
  const active = startLineProcess('bench/lib/fleet-active.ts', [url, String(ACTIVE)]);
  children.push(active);
  await active.nextLine();
  active.send(String(Math.max(2000, K / 4)));
  await active.nextLine();
  const warm = startLineProcess('bench/lib/fleet-clients.ts', [url, '100', 'Cwarm', `127.${tagText}.250.`]);
  children.push(warm);
  await warm.nextLine();
  await gc();
  const before = rssKiB();
  const heapBefore = process.memoryUsage().heapUsed;

  const parts = Math.ceil(N / PER_PROCESS);
  const idle = Array.from({ length: parts }, (_, p) =>
    startLineProcess('bench/lib/fleet-clients.ts', [url, String(Math.min(PER_PROCESS, N - p * PER_PROCESS)), `Cfleet${p}x`, `127.${tagText}.${p + 1}.`, String(Math.ceil(400 / parts))]),
  );
  children.push(...idle);
  const bound = (await Promise.all(idle.map((c) => c.nextLine()))).map((l) => JSON.parse(l) as { bound: number; failed: number; seconds: number; retries: number; why: string[] });
  // From the first handshake to the last registration, as the client processes saw it.
  const connectSeconds = Math.max(...bound.map((b) => b.seconds));
  const failed = bound.reduce((s, b) => s + b.failed, 0);
  const retries = bound.reduce((s, b) => s + b.retries, 0);
  if (retries > 0) process.stderr.write(`fleet probe ${mode} ${N}: ${retries} registrations tried again, e.g. ${JSON.stringify(bound.flatMap((b) => b.why).slice(0, 3))}\n`);
  if (failed > 0) throw new Error(`${failed} of ${N} registrees did not register after 3 retries: ${JSON.stringify(bound.flatMap((b) => b.why).slice(0, 3))}`);
  await sleep(1000);
  await gc();
  const rss = (rssKiB() - before) / N;
  const heap = (process.memoryUsage().heapUsed - heapBefore) / 1024 / N;

  // Idle: two keepalive rounds and whatever else runs on a timer; the event-loop delay meanwhile.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const idle0 = cpuUs();
  const idleT0 = process.hrtime.bigint();
  await sleep(2 * PING_MS);
  const idleUs = cpuUs() - idle0;
  const idleSeconds = Number(process.hrtime.bigint() - idleT0) / 1e9;
  delay.disable();

  const perRequest: number[] = [];
  const rps: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const c0 = cpuUs();
    active.send(String(K));
    const r = JSON.parse(await active.nextLine()) as { requests: number; rps: number };
    perRequest.push((cpuUs() - c0) / r.requests);
    rps.push(r.rps);
  }
  process.stdout.write(
    JSON.stringify({
      mode,
      n: N,
      rssKiB: rss,
      heapKiB: heap,
      registrationsPerSecond: N / connectSeconds,
      idleMsPerSecond: idleUs / 1000 / idleSeconds,
      idleDelayMaxMs: delay.max / 1e6,
      idleUsPerRegistreePerRound: idleUs / N / (idleSeconds / (PING_MS / 1000)),
      cpuUsPerRequest: median(perRequest),
      rps: median(rps),
    }) + '\n',
  );
} finally {
  for (const c of children) c.stop();
  await stop();
  cse.proc.kill();
}
process.exit(0);
