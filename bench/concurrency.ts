// Uplink throughput and p50 latency by concurrency, bridge vs direct HTTP to
// the same CSE, measured side by side; writes docs/bench-concurrency.svg.
import { writeFileSync } from 'node:fs';
import { startBridgeProcess } from './lib/bridge-process.js';
import { httpLoad } from './lib/http-load.js';
import type { LoadResult } from './lib/http-load.js';
import { startProcess } from './lib/process.js';
import { openRegistrees, wsLoad } from './lib/ws-load.js';
import { lineChart, svgDocument } from './lib/svg-chart.js';

const LEVELS = (process.env.BENCH_LEVELS ?? '1,4,16,32,64').split(',').map(Number);
const PER_LEVEL = Number(process.env.BENCH_REQUESTS_PER_LEVEL ?? 12000);
const OUT = process.env.BENCH_SVG ?? 'docs/bench-concurrency.svg';

interface Point {
  c: number;
  direct: LoadResult;
  bridge: LoadResult;
}

const cse = await startProcess('bench/lib/tiny-cse.ts');
const upstream = `http://127.0.0.1:${cse.port}`;
const bridge = await startBridgeProcess(upstream);
const points: Point[] = [];
try {
  const clients = await openRegistrees(`ws://127.0.0.1:${bridge.publicPort}/`, Math.max(...LEVELS));
  await wsLoad(clients, 4000);
  await httpLoad(upstream, 32, 4000);
  for (const c of LEVELS) {
    const direct = await httpLoad(upstream, c, PER_LEVEL);
    const viaBridge = await wsLoad(clients.slice(0, c), PER_LEVEL);
    points.push({ c, direct, bridge: viaBridge });
    console.log(`concurrency ${String(c).padStart(3)}: direct ${direct.rps.toFixed(0).padStart(6)} req/s p50 ${direct.p50us.toFixed(0).padStart(5)} µs   bridge ${viaBridge.rps.toFixed(0).padStart(6)} req/s p50 ${viaBridge.p50us.toFixed(0).padStart(5)} µs   ratio ${(viaBridge.rps / direct.rps).toFixed(2)}`);
  }
  for (const c of clients) c.ws.close();
} finally {
  await bridge.stop();
  cse.proc.kill();
}
const labels = points.map((p) => String(p.c));
const direct = { name: 'direct HTTP', color: '#1f77b4' };
const viaBridge = { name: 'through the bridge', color: '#d62728' };
const chart = (x0: number, title: string, unit: string, pick: (r: LoadResult) => number) =>
  lineChart({ x0, title, unit, xLabel: 'concurrent clients', labels, series: [{ ...direct, values: points.map((p) => pick(p.direct)) }, { ...viaBridge, values: points.map((p) => pick(p.bridge)) }] });
const svg = svgDocument([chart(0, 'Uplink throughput', 'req/s', (r) => r.rps), chart(350, 'Uplink latency p50', 'µs', (r) => r.p50us)], [direct, viaBridge]);
writeFileSync(OUT, svg);
console.log(`wrote ${OUT}`);
