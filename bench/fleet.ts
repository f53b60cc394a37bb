// The size of the fleet (issue 19 item 3): idle memory per registree and CPU
// per forwarded request at 1k, 10k, 50k and 100k connected, registered
// registrees in ONE bridge process, beside a bare ws forwarder at the same N
// (bench/lib/fleet-probe.ts measures each point in a fresh process). Prints a
// table and the ratios against the target (100k idle registrees at
// ≤ 1.3× the bare ws figure per connection) and writes docs/fleet-memory.svg.
//
// Each server process needs a file descriptor per connection: the bench
// raises its limit with prlimit (CI runs as root). Where the host refuses
// (no CAP_SYS_RESOURCE, hard limit below N), that point is skipped with a line
// saying so; BENCH_FLEET_LEVELS picks other points.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { lineChart, svgDocument } from './lib/svg-chart.js';

const LEVELS = (process.env.BENCH_FLEET_LEVELS ?? '1000,10000,50000,100000').split(',').map(Number);
/** memory, bare always; lmdb only up to this N (a row of its own, if cheap). */
const LMDB_MAX = Number(process.env.BENCH_FLEET_LMDB_MAX ?? 10000);
const OUT = process.env.BENCH_FLEET_SVG ?? 'docs/fleet-memory.svg';
const TARGET = 1.3;

interface Point {
  mode: string;
  n: number;
  rssKiB: number;
  heapKiB: number;
  registrationsPerSecond: number;
  idleMsPerSecond: number;
  idleUsPerRegistreePerRound: number;
  /** Largest event-loop delay while idle (the keepalive passes). */
  idleDelayMaxMs: number;
  cpuUsPerRequest: number;
  rps: number;
}

/** The hard limit on open files this process may give its children. */
function hardFileLimit(): number {
  const out = execFileSync('prlimit', ['--nofile', '--output', 'HARD', '--noheadings', '--pid', String(process.pid)], { encoding: 'utf8' }).trim();
  return out === 'unlimited' ? Infinity : Number(out);
}

/** Whether `prlimit --nofile=n:n` is allowed here (raising the hard limit needs CAP_SYS_RESOURCE). */
function canRaiseTo(n: number): boolean {
  try {
    execFileSync('prlimit', [`--nofile=${n}:${n}`, 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let tag = 0;
function probe(mode: string, n: number, files: number): Promise<Point> {
  tag++;
  return new Promise((resolve, reject) => {
    const p = spawn('prlimit', [`--nofile=${files}:${files}`, process.execPath, '--expose-gc', '--import', 'tsx', 'bench/lib/fleet-probe.ts', mode, String(n), String(tag)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!) as Point);
      else reject(new Error(`${mode} probe at ${n} exited with ${code}`));
    });
  });
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const hard = hardFileLimit();
const points: Point[] = [];
const skipped: number[] = [];
console.log(`fleet size         levels ${LEVELS.join(', ')}; load average ${load()} on ${cpus().length} cores; open files hard limit ${hard}`);
for (const n of LEVELS) {
  // The server holds n sockets (plus the warm-up and active registrees, the CSE pool, lmdb, stdio).
  const files = Math.max(n + 2000, Math.min(hard, 1 << 20));
  if (n + 2000 > hard && !canRaiseTo(files)) {
    skipped.push(n);
    console.log(`fleet size         ${n}: not run: a process here may open at most ${hard} files and the limit cannot be raised (prlimit needs CAP_SYS_RESOURCE)`);
    continue;
  }
  for (const mode of ['bare', 'memory', ...(n <= LMDB_MAX ? ['lmdb'] : [])]) {
    const p = await probe(mode, n, files);
    points.push(p);
    console.log(
      `fleet size         ${mode.padEnd(6)} ${String(n).padStart(6)}: RSS ${p.rssKiB.toFixed(2)} KiB/registree, heap ${p.heapKiB.toFixed(2)} KiB; ` +
        `${p.registrationsPerSecond.toFixed(0)} registrations/s; idle ${p.idleMsPerSecond.toFixed(1)} ms CPU/s (${p.idleUsPerRegistreePerRound.toFixed(1)} µs per registree per ping round, event-loop delay max ${p.idleDelayMaxMs.toFixed(0)} ms); ` +
        `${p.cpuUsPerRequest.toFixed(0)} µs CPU per forwarded request at ${p.rps.toFixed(0)} req/s  [load ${load()}]`,
    );
  }
}

const at = (mode: string, n: number) => points.find((p) => p.mode === mode && p.n === n);
const run = LEVELS.filter((n) => !skipped.includes(n));
console.log('');
console.log('| registrees | bridge RSS KiB each | bare ws RSS KiB each | RSS bridge/bare (target ≤ 1.3) | bridge heap KiB | bare heap KiB | CPU µs/request bridge | bare | bridge/bare | idle µs per registree per ping, bridge | bare | loop delay max while idle, bridge | bare | lmdb RSS KiB |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const n of run) {
  const b = at('memory', n)!;
  const w = at('bare', n)!;
  const l = at('lmdb', n);
  // RSS moves by whole pages and allocator arenas: at small N a difference can come out at or below zero.
  const ratio = w.rssKiB > 0 ? b.rssKiB / w.rssKiB : NaN;
  const verdict = Number.isNaN(ratio) ? 'n/a (too few to see in RSS)' : `**${ratio.toFixed(2)}** ${ratio <= TARGET ? 'met' : 'not met'}`;
  console.log(
    `| ${n} | ${b.rssKiB.toFixed(2)} | ${w.rssKiB.toFixed(2)} | ${verdict} | ${b.heapKiB.toFixed(2)} | ${w.heapKiB.toFixed(2)} | ` +
      `${b.cpuUsPerRequest.toFixed(0)} | ${w.cpuUsPerRequest.toFixed(0)} | ${(b.cpuUsPerRequest / w.cpuUsPerRequest).toFixed(2)} | ` +
      `${b.idleUsPerRegistreePerRound.toFixed(1)} | ${w.idleUsPerRegistreePerRound.toFixed(1)} | ${b.idleDelayMaxMs.toFixed(0)} ms | ${w.idleDelayMaxMs.toFixed(0)} ms | ${l === undefined ? '—' : l.rssKiB.toFixed(2)} |`,
  );
}
if (skipped.length > 0) console.log(`not run here: ${skipped.join(', ')} (open files limit ${hard})`);

if (run.length > 0) {
  const labels = run.map((n) => (n >= 1000 ? `${n / 1000}k` : String(n)));
  const bridge = { name: 'bridge (memory store)', color: '#d62728' };
  const bare = { name: 'bare ws', color: '#1f77b4' };
  const series = (pick: (p: Point) => number) => [
    { ...bare, values: run.map((n) => pick(at('bare', n)!)) },
    { ...bridge, values: run.map((n) => pick(at('memory', n)!)) },
  ];
  const svg = svgDocument(
    [
      // RSS moves by pages and arenas: a difference below zero (few registrees) is drawn as 0.
      lineChart({ x0: 0, title: 'Idle RSS per registree', unit: 'KiB', xLabel: 'connected registrees', labels, series: series((p) => Math.max(0, p.rssKiB)) }),
      lineChart({ x0: 350, title: 'Idle JS heap per registree', unit: 'KiB', xLabel: 'connected registrees', labels, series: series((p) => p.heapKiB) }),
      lineChart({ x0: 700, title: 'CPU per forwarded request', unit: 'µs', xLabel: 'connected registrees', labels, series: series((p) => p.cpuUsPerRequest) }),
    ],
    [bare, bridge],
  );
  writeFileSync(OUT, svg);
  console.log(`wrote ${OUT}`);
}
