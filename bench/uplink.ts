// Uplink: N registrees sending RETRIEVEs through the bridge to a fast CSE in
// its own process, against the same load as direct HTTP keep-alive to that
// CSE, interleaved in one run. Also the added latency at one client.
import { httpLoad } from './lib/http-load.js';
import type { LoadResult } from './lib/http-load.js';
import { startBridgeProcess } from './lib/bridge-process.js';
import { startProcess } from './lib/process.js';
import { openRegistrees, wsLoad } from './lib/ws-load.js';

const N = Number(process.env.BENCH_CLIENTS ?? 32);
const TOTAL = Number(process.env.BENCH_REQUESTS ?? 60000);
const ROUNDS = 3;

const cse = await startProcess('bench/lib/tiny-cse.ts');
const upstream = `http://127.0.0.1:${cse.port}`;
const bridge = await startBridgeProcess(upstream);
// The floor on this machine: a bare ws+http bridge (bench/lib/minimal-bridge.ts).
const minimal = await startProcess('bench/lib/minimal-bridge.ts', [upstream]);
const best = (rs: LoadResult[]) => rs.reduce((a, b) => (b.rps > a.rps ? b : a));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const clients = await openRegistrees(`ws://127.0.0.1:${bridge.publicPort}/`, N);
  const floorClients = await openRegistrees(`ws://127.0.0.1:${minimal.port}/`, N);
  await wsLoad(clients, 5000);
  await wsLoad(floorClients, 5000);
  await httpLoad(upstream, N, 5000);
  const direct: LoadResult[] = [];
  const viaBridge: LoadResult[] = [];
  const viaMinimal: LoadResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    direct.push(await httpLoad(upstream, N, TOTAL / ROUNDS));
    viaBridge.push(await wsLoad(clients, TOTAL / ROUNDS));
    viaMinimal.push(await wsLoad(floorClients, TOTAL / ROUNDS));
  }
  const d = best(direct);
  const b = best(viaBridge);
  const m = best(viaMinimal);
  console.log(`uplink throughput  ${N} clients: direct ${d.rps.toFixed(0)} req/s (p50 ${d.p50us.toFixed(0)} µs, p99 ${d.p99us.toFixed(0)} µs)  bridge ${b.rps.toFixed(0)} req/s (p50 ${b.p50us.toFixed(0)} µs, p99 ${b.p99us.toFixed(0)} µs)  bridge/direct ${(b.rps / d.rps).toFixed(2)}`);
  console.log(`uplink floor       ${N} clients: minimal ws+http bridge ${m.rps.toFixed(0)} req/s (p50 ${m.p50us.toFixed(0)} µs)  minimal/direct ${(m.rps / d.rps).toFixed(2)}  bridge/minimal ${(b.rps / m.rps).toFixed(2)}`);

  const one = clients.slice(0, 1);
  const floorOne = floorClients.slice(0, 1);
  const dl: number[] = [];
  const bl: number[] = [];
  const ml: number[] = [];
  const d99: number[] = [];
  const b99: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const x = await httpLoad(upstream, 1, 4000);
    const y = await wsLoad(one, 4000);
    ml.push((await wsLoad(floorOne, 4000)).p50us);
    dl.push(x.p50us);
    bl.push(y.p50us);
    d99.push(x.p99us);
    b99.push(y.p99us);
  }
  console.log(`added latency      1 client: direct p50 ${median(dl).toFixed(0)} µs  bridge p50 ${median(bl).toFixed(0)} µs  added p50 ${(median(bl) - median(dl)).toFixed(0)} µs  added p99 ${(median(b99) - median(d99)).toFixed(0)} µs  (minimal bridge adds ${(median(ml) - median(dl)).toFixed(0)} µs p50)`);
  for (const c of [...clients, ...floorClients]) c.ws.close();
} finally {
  await bridge.stop();
  minimal.proc.kill();
  cse.proc.kill();
}
