// Uplink throughput and p50 latency by concurrency, bridge vs direct HTTP to
// the same CSE, measured side by side; writes docs/bench-concurrency.svg.
import { writeFileSync } from 'node:fs';
import { startBridgeProcess } from './lib/bridge-process.js';
import { httpLoad } from './lib/http-load.js';
import type { LoadResult } from './lib/http-load.js';
import { startProcess } from './lib/process.js';
import { openRegistrees, wsLoad } from './lib/ws-load.js';

const LEVELS = (process.env.BENCH_LEVELS ?? '1,4,16,32,64').split(',').map(Number);
const PER_LEVEL = Number(process.env.BENCH_REQUESTS_PER_LEVEL ?? 12000);
const OUT = process.env.BENCH_SVG ?? 'docs/bench-concurrency.svg';

interface Point {
  c: number;
  direct: LoadResult;
  bridge: LoadResult;
}

function chart(x0: number, title: string, unit: string, points: Point[], pick: (r: LoadResult) => number): string {
  const w = 340;
  const h = 200;
  const pad = 40;
  const max = Math.max(...points.flatMap((p) => [pick(p.direct), pick(p.bridge)])) * 1.1;
  const xs = (i: number) => x0 + pad + (i * (w - pad - 10)) / Math.max(1, points.length - 1);
  const ys = (v: number) => 30 + (h - 30 - pad) * (1 - v / max);
  const line = (sel: (p: Point) => LoadResult, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p, i) => `${xs(i).toFixed(1)},${ys(pick(sel(p))).toFixed(1)}`).join(' ')}"/>` +
    points.map((p, i) => `<circle cx="${xs(i).toFixed(1)}" cy="${ys(pick(sel(p))).toFixed(1)}" r="3" fill="${color}"/>`).join('');
  const ticks = points.map((p, i) => `<text x="${xs(i).toFixed(1)}" y="${h - pad + 15}" font-size="10" text-anchor="middle">${p.c}</text>`).join('');
  const yTicks = [0, 0.5, 1].map((f) => `<text x="${x0 + pad - 4}" y="${ys(max * f / 1.1 * 1.0).toFixed(1)}" font-size="10" text-anchor="end">${Math.round((max / 1.1) * f)}</text>`).join('');
  return (
    `<text x="${x0 + w / 2}" y="16" font-size="12" text-anchor="middle" font-weight="bold">${title}</text>` +
    `<line x1="${x0 + pad}" y1="${h - pad}" x2="${x0 + w - 10}" y2="${h - pad}" stroke="#999"/><line x1="${x0 + pad}" y1="30" x2="${x0 + pad}" y2="${h - pad}" stroke="#999"/>` +
    ticks + yTicks +
    `<text x="${x0 + w / 2}" y="${h - 8}" font-size="10" text-anchor="middle">concurrent clients</text>` +
    `<text x="${x0 + 10}" y="24" font-size="10">${unit}</text>` +
    line((p) => p.direct, '#1f77b4') + line((p) => p.bridge, '#d62728')
  );
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
const svg =
  `<svg xmlns="http://www.w3.org/2000/svg" width="700" height="230" font-family="sans-serif">` +
  `<rect width="700" height="230" fill="white"/>` +
  chart(0, 'Uplink throughput', 'req/s', points, (r) => r.rps) +
  chart(350, 'Uplink latency p50', 'µs', points, (r) => r.p50us) +
  `<rect x="250" y="212" width="10" height="3" fill="#1f77b4"/><text x="264" y="217" font-size="10">direct HTTP</text>` +
  `<rect x="350" y="212" width="10" height="3" fill="#d62728"/><text x="364" y="217" font-size="10">through the bridge</text>` +
  `</svg>\n`;
writeFileSync(OUT, svg);
console.log(`wrote ${OUT}`);
