// What starting a bridge costs for each store (issue 19: ioredis is loaded
// only for a redis store): the built CLI (node dist/cli/main.js) is spawned
// until its "bridge listening" line, and its RSS read from /proc at that
// moment. Several CLIs side by side, alternating, so a before/after pair is
// measured under the same load: BENCH_START_CLIS="before=/path/dist/cli/main.js,after=..."
// (default: this tree's build). BENCH_START_RUNS (7) runs per CLI and store,
// BENCH_START_STORES (lmdb,memory). Prints the median and the range.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { builtCli } from '../test/support/built-cli.js';

const RUNS = Number(process.env.BENCH_START_RUNS ?? 7);
const STORES = (process.env.BENCH_START_STORES ?? 'lmdb,memory').split(',').map((s) => s.trim());
const CLIS: Array<[string, string]> = process.env.BENCH_START_CLIS
  ? process.env.BENCH_START_CLIS.split(',').map((pair) => pair.split('=', 2) as [string, string])
  : [['this tree', await builtCli()]];

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}

/** ms from spawn to "bridge listening", and the RSS then. */
async function startOnce(cli: string, store: string): Promise<{ ms: number; rss: number }> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [cli, '--store', store, '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:9'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    return await new Promise((resolve, reject) => {
      createInterface({ input: proc.stdout }).on('line', (line) => {
        if (!line.includes('"bridge listening"')) return;
        resolve({ ms: performance.now() - t0, rss: rssMiB(proc.pid!) });
      });
      void exited.then(() => reject(new Error(`${cli} exited before listening`)));
    });
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const range = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

const work = await mkdtemp(join(tmpdir(), 'bench-start-'));
try {
  console.log(`start cost: ${RUNS} runs per CLI and store, alternating (load ${load()})`);
  for (const store of STORES) {
    const results = new Map<string, Array<{ ms: number; rss: number }>>(CLIS.map(([label]) => [label, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const [label, cli] of CLIS) {
        const spec = store === 'lmdb' ? `lmdb:${join(work, `${run}-${label.replace(/\W/g, '_')}`)}` : store;
        results.get(label)!.push(await startOnce(cli, spec));
      }
    }
    for (const [label, rs] of results) {
      const ms = rs.map((r) => r.ms);
      const rss = rs.map((r) => r.rss);
      console.log(`  --store ${store.padEnd(6)} ${label.padEnd(10)} start ${median(ms).toFixed(0)} ms (${range(ms, 0)})   RSS ${median(rss).toFixed(1)} MiB (${range(rss, 1)})   (load ${load()})`);
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
