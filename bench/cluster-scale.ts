// The cluster's curves (issue 19 item 5): bridge replicas (two, or as many
// as the descriptor limit needs) on one Redis, idle registrees spread evenly
// over them, at each N of BENCH_CLUSTER_NS (default 2000,10000,100000, added
// to the same fleet level by level):
//   Redis commands per second in steady state (INFO commandstats delta over
//   BENCH_CLUSTER_WINDOW_S, default 60 s: six ownership refresh periods of the
//   default --owner-ttl 30s, and one registration-count resync per replica),
//   with the commands that make it up;
//   Redis used_memory and bytes per registree (above the empty fleet);
//   each replica's RSS (and per registree, above the empty replicas).
// The registrees come from 127.x.y.1 source addresses (bench/lib/spread-registrees.ts);
// every process the bench starts gets the hard descriptor limit as its soft
// one (prlimit). Where the hard limit is lower than N/2 connections (a
// container without CAP_SYS_RESOURCE cannot raise it), more replicas share
// the fleet (BENCH_CLUSTER_REPLICAS overrides) and the bench says so.
import { execSync, spawn } from 'node:child_process';
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
const PREFIX = 'scale:';
/** The hard descriptor limit: what prlimit may give each process. */
const FDS = Number(execSync('ulimit -Hn', { shell: '/bin/sh' }).toString().trim()) || 1024;
/** Connections one process holds at most (the rest: Redis, the CSE pool, listeners). */
const PER_PROCESS = Math.min(15_000, FDS - 1000);
const REPLICAS = Number(process.env.BENCH_CLUSTER_REPLICAS ?? Math.max(2, Math.ceil(Math.max(...NS) / PER_PROCESS)));
if (Math.ceil(Math.max(...NS) / REPLICAS) > FDS - 1000) {
  console.error(`cluster-scale: ${Math.max(...NS)} registrees over ${REPLICAS} replicas need more than the hard descriptor limit ${FDS} per replica; raise it or BENCH_CLUSTER_REPLICAS`);
  process.exit(1);
}

const children: ChildProcess[] = [];

interface Child {
  proc: ChildProcess;
  /** The first line it prints that `wanted` accepts; every line is read, so its stdout never blocks. */
  first(wanted: (line: string) => boolean): Promise<string>;
}

/** A node process with a raised descriptor limit; its stdout read line by line. */
function spawnNode(args: string[]): Child {
  const proc = spawn('prlimit', [`--nofile=${FDS}:${FDS}`, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  const waiting: Array<{ wanted: (line: string) => boolean; resolve: (line: string) => void }> = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const i = waiting.findIndex((w) => w.wanted(line));
    if (i >= 0) waiting.splice(i, 1)[0].resolve(line);
  });
  return {
    proc,
    first: (wanted) => {
      const line = new Promise<string>((resolve, reject) => {
        waiting.push({ wanted, resolve });
        proc.once('exit', (code) => reject(new Error(`${args.join(' ').slice(0, 80)} exited with ${code}`)));
      });
      // Exits after the bench stopped waiting (its cleanup) are not errors.
      line.catch(() => undefined);
      return line;
    },
  };
}

async function startReplica(name: string, upstream: string, redisUrl: string): Promise<{ child: Child; publicPort: number }> {
  const child = spawnNode(['dist/cli/main.js', '--upstream', upstream, '--store', redisUrl, '--redis-prefix', PREFIX, '--replica-id', name, '--owner-ttl', OWNER_TTL,
    '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--max-connections', String(FDS),
    // Keepalive costs no Redis; on a loaded machine a generator late with one pong loses its registree (seen at load 35).
    '--ping-interval', '0']);
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

/** Ownership records in Redis: the registrees bound on some replica. */
async function ownerRecords(r: Redis): Promise<number> {
  let n = 0;
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${PREFIX}owner:*`, 'COUNT', 1000);
    n += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return n;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const redis = await startRedis();
const raw = new Redis(redis.url);
let cse: { proc: ChildProcess } | undefined;
const rows: string[] = [];
try {
  const tiny = await startProcess('bench/lib/tiny-cse.ts');
  cse = tiny;
  const upstream = `http://127.0.0.1:${tiny.port}`;
  const replicas: Array<{ child: Child; publicPort: number }> = [];
  for (let i = 0; i < REPLICAS; i++) replicas.push(await startReplica(String.fromCharCode(65 + i), upstream, redis.url));
  if (REPLICAS > 2) console.log(`cluster scale: ${REPLICAS} replicas, not 2: the hard descriptor limit here is ${FDS} per process`);
  const usedEmpty = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
  const rssEmpty = replicas.map((r) => rssMiB(r.child.proc.pid));
  let have = 0;
  let octet = 0;
  for (const n of NS) {
    const t0 = Date.now();
    const adding = n - have;
    const started: Array<Promise<string>> = [];
    replicas.forEach((r, i) => {
      // Each replica's share, in generator processes of at most PER_PROCESS connections.
      let part = Math.floor(adding / REPLICAS) + (i < adding % REPLICAS ? 1 : 0);
      for (let chunk = 0; part > 0; chunk++) {
        const k = Math.min(part, PER_PROCESS);
        part -= k;
        const c = spawnNode(['--import', 'tsx', 'bench/lib/spread-registrees.ts', `ws://127.0.0.1:${r.publicPort}/`, String(k), `Cs${n}r${i}c${chunk}x`, String(++octet)]);
        started.push(c.first(() => true));
      }
    });
    await Promise.all(started);
    have = n;
    const boundS = (Date.now() - t0) / 1000;
    // One refresh period for the claims to settle, then the window.
    await sleep(Math.max(1, parseDurationS(OWNER_TTL) / 3) * 1000);
    const bound = await ownerRecords(raw);
    if (bound !== n) console.log(`cluster scale: ${bound} of ${n} registrees bound (dropped connections): the figures below are for ${bound}`);
    const before = await commandStats(raw);
    const w0 = Date.now();
    await sleep(WINDOW_S * 1000);
    const after = await commandStats(raw);
    const seconds = (Date.now() - w0) / 1000;
    const delta = [...after].map(([cmd, calls]) => [cmd, (calls - (before.get(cmd) ?? 0)) / seconds] as const).filter(([cmd, rate]) => cmd !== 'info' && rate > 0).sort((a, b) => b[1] - a[1]);
    const total = delta.reduce((s, [, rate]) => s + rate, 0);
    const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
    const rss = replicas.map((r) => rssMiB(r.child.proc.pid));
    const rssSum = rss.reduce((a, b) => a + b, 0);
    const perRegistreeKiB = ((rssSum - rssEmpty.reduce((a, b) => a + b, 0)) * 1024) / n;
    const top = delta.slice(0, 6).map(([cmd, rate]) => `${cmd} ${rate.toFixed(1)}`).join(', ');
    const rssText = rss.map((m) => m.toFixed(0)).join(' / ');
    console.log(
      `cluster scale ${n} idle registrees on ${REPLICAS} replicas (bound in ${boundS.toFixed(0)} s): Redis ${total.toFixed(1)} commands/s (${((total / n) * 1000).toFixed(2)} per 1000 registrees; ${top})  ` +
        `Redis used_memory ${(used / 2 ** 20).toFixed(1)} MiB, ${((used - usedEmpty) / n).toFixed(0)} bytes per registree  RSS ${rssText} MiB (${perRegistreeKiB.toFixed(2)} KiB per registree above the empty replicas)  load ${load()}`,
    );
    rows.push(`| ${n.toLocaleString('en')} | ${REPLICAS} | ${total.toFixed(1)} | ${(used / 2 ** 20).toFixed(1)} MiB | ${((used - usedEmpty) / n).toFixed(0)} | ${rssText} MiB (${perRegistreeKiB.toFixed(1)} KiB each) | ${load()} |`);
  }
  console.log('\n| idle registrees | replicas | Redis commands/s | Redis used_memory | bytes per registree | replica RSS (per registree above empty) | load (1, 5, 15 min) |\n|---|---|---|---|---|---|---|\n' + rows.join('\n'));
} finally {
  // Generators first, then the replicas (SIGTERM: they remove their records and lease), then the rest.
  const exited = (p: ChildProcess) => new Promise((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve(undefined) : p.once('exit', resolve)));
  for (const p of children) p.kill('SIGTERM');
  await Promise.all(children.map(exited));
  cse?.proc.kill();
  raw.disconnect();
  await redis.stop();
}

function parseDurationS(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (m === null) throw new Error(`BENCH_CLUSTER_OWNER_TTL: ${text} is not a duration like 30s`);
  return Number(m[1]) * (m[2] === 'ms' ? 0.001 : m[2] === 'm' ? 60 : 1);
}
