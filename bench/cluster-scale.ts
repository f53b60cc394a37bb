// The cluster's curves (issue 19 item 5): two bridge replicas on one Redis,
// idle registrees spread evenly over both, at each N of BENCH_CLUSTER_NS
// (default 2000,10000,100000, added to the same fleet level by level):
//   Redis commands per second in steady state (INFO commandstats delta over
//   BENCH_CLUSTER_WINDOW_S, default 60 s: six ownership refresh periods of the
//   default --owner-ttl 30s, and one registration-count resync per replica),
//   with the commands that make it up;
//   Redis used_memory and bytes per registree (above the empty fleet);
//   each replica's RSS (and per registree, above the two empty replicas).
// The registrees come from 127.x.y.1 source addresses (bench/lib/spread-registrees.ts);
// every process the bench starts gets a raised file-descriptor limit (prlimit).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { startRedis } from '../test/support/redis-server.js';
import { startProcess } from './lib/process.js';

const NS = (process.env.BENCH_CLUSTER_NS ?? '2000,10000,100000').split(',').map(Number).sort((a, b) => a - b);
const WINDOW_S = Number(process.env.BENCH_CLUSTER_WINDOW_S ?? 60);
const OWNER_TTL = process.env.BENCH_CLUSTER_OWNER_TTL ?? '30s';
const FDS = Math.max(...NS) + 10_000;
const PREFIX = 'scale:';

interface Child {
  proc: ChildProcess;
  /** The first line it prints that `wanted` accepts; every line is read, so its stdout never blocks. */
  first(wanted: (line: string) => boolean): Promise<string>;
}

/** A node process with a raised descriptor limit; its stdout read line by line. */
function spawnNode(args: string[]): Child {
  const proc = spawn('prlimit', [`--nofile=${FDS}:${FDS}`, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const waiting: Array<{ wanted: (line: string) => boolean; resolve: (line: string) => void }> = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const i = waiting.findIndex((w) => w.wanted(line));
    if (i >= 0) waiting.splice(i, 1)[0].resolve(line);
  });
  return {
    proc,
    first: (wanted) =>
      new Promise((resolve, reject) => {
        waiting.push({ wanted, resolve });
        proc.once('exit', (code) => reject(new Error(`${args.join(' ').slice(0, 80)} exited with ${code}`)));
      }),
  };
}

async function startReplica(name: string, upstream: string, redisUrl: string): Promise<{ child: Child; publicPort: number }> {
  const child = spawnNode(['dist/cli/main.js', '--upstream', upstream, '--store', redisUrl, '--redis-prefix', PREFIX, '--replica-id', name, '--owner-ttl', OWNER_TTL,
    '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--max-connections', String(FDS)]);
  const line = await child.first((l) => l.includes('"bridge listening"'));
  return { child, publicPort: (JSON.parse(line) as { public: { port: number } }).public.port };
}

function rssMiB(pid: number | undefined): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

async function commandStats(r: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of (await r.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) out.set(m[1], Number(m[2]));
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const redis = await startRedis();
const raw = new Redis(redis.url);
const cse = await startProcess('bench/lib/tiny-cse.ts');
const upstream = `http://127.0.0.1:${cse.port}`;
const replicas = [await startReplica('A', upstream, redis.url), await startReplica('B', upstream, redis.url)];
const fleets: Child[] = [];
const rows: string[] = [];
try {
  const usedEmpty = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
  const rssEmpty = replicas.map((r) => rssMiB(r.child.proc.pid));
  let have = 0;
  let octet = 0;
  for (const n of NS) {
    const t0 = Date.now();
    const adding = n - have;
    const started = replicas.map((r, i) => {
      const part = i === 0 ? Math.ceil(adding / 2) : Math.floor(adding / 2);
      const c = spawnNode(['--import', 'tsx', 'bench/lib/spread-registrees.ts', `ws://127.0.0.1:${r.publicPort}/`, String(part), `Cs${n}r${i}x`, String(++octet)]);
      fleets.push(c);
      return c.first(() => true);
    });
    await Promise.all(started);
    have = n;
    const boundS = (Date.now() - t0) / 1000;
    // One refresh period for the claims to settle, then the window.
    await sleep(Math.max(1, parseDurationS(OWNER_TTL) / 3) * 1000);
    const before = await commandStats(raw);
    const w0 = Date.now();
    await sleep(WINDOW_S * 1000);
    const after = await commandStats(raw);
    const seconds = (Date.now() - w0) / 1000;
    const delta = [...after].map(([cmd, calls]) => [cmd, (calls - (before.get(cmd) ?? 0)) / seconds] as const).filter(([cmd, rate]) => cmd !== 'info' && rate > 0).sort((a, b) => b[1] - a[1]);
    const total = delta.reduce((s, [, rate]) => s + rate, 0);
    const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
    const [rssA, rssB] = replicas.map((r) => rssMiB(r.child.proc.pid));
    const perRegistreeKiB = (rss: number) => ((rss - rssEmpty[0] - rssEmpty[1]) * 1024) / n;
    const top = delta.slice(0, 6).map(([cmd, rate]) => `${cmd} ${rate.toFixed(1)}`).join(', ');
    console.log(
      `cluster scale ${n} idle registrees on 2 replicas (bound in ${boundS.toFixed(0)} s): Redis ${total.toFixed(1)} commands/s (${(total / n * 1000).toFixed(2)} per 1000 registrees; ${top})  ` +
        `Redis used_memory ${(used / 2 ** 20).toFixed(1)} MiB, ${((used - usedEmpty) / n).toFixed(0)} bytes per registree  RSS A ${rssA.toFixed(0)} MiB, B ${rssB.toFixed(0)} MiB (${perRegistreeKiB(rssA + rssB).toFixed(2)} KiB per registree above the empty replicas)  load ${load()}`,
    );
    rows.push(`| ${n.toLocaleString('en')} | ${total.toFixed(1)} | ${(used / 2 ** 20).toFixed(1)} MiB | ${((used - usedEmpty) / n).toFixed(0)} | ${rssA.toFixed(0)} / ${rssB.toFixed(0)} MiB (${perRegistreeKiB(rssA + rssB).toFixed(1)} KiB each) | ${load()} |`);
  }
  console.log('\n| idle registrees | Redis commands/s | Redis used_memory | bytes per registree | RSS A / B (per registree above empty) | load (1, 5, 15 min) |\n|---|---|---|---|---|---|\n' + rows.join('\n'));
} finally {
  for (const c of fleets) c.proc.kill();
  for (const r of replicas) r.child.proc.kill('SIGTERM');
  await Promise.all(replicas.map((r) => new Promise((resolve) => (r.child.proc.exitCode !== null ? resolve(undefined) : r.child.proc.once('exit', resolve)))));
  cse.proc.kill();
  raw.disconnect();
  await redis.stop();
}

function parseDurationS(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (m === null) throw new Error(`BENCH_CLUSTER_OWNER_TTL: ${text} is not a duration like 30s`);
  return Number(m[1]) * (m[2] === 'ms' ? 0.001 : m[2] === 'm' ? 60 : 1);
}
