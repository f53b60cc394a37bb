// Registration storm (issue 19 item 2): N new registrees register at once.
// Registrations per second through the bridge (a WebSocket handshake and an
// AE CREATE each) with the memory, lmdb and redis stores, against the same
// AE CREATEs sent as direct HTTP (undici, keep-alive, the same concurrency)
// to the same CSE (bench/lib/tiny-cse.ts answers each with its aei). What
// the store costs per registration: bytes on disk (lmdb) or in Redis memory,
// the bridge's CPU per registration, and the rate against the memory store.
// The floor beside them: a minimal ws + undici forwarder
// (bench/lib/minimal-bridge.ts `create`) that accepts the same handshakes and
// forwards the same CREATEs to the same CSE, nothing else (no gate, no poa
// rewrite, no store, no log line, no metrics): bridge/minimal says what is ours.
// BENCH_REG_N (default 10000), BENCH_REG_CONCURRENCY (default 400), BENCH_REG_ROUNDS (default 2),
// BENCH_REG_STORES (default memory,lmdb,redis: the bridges to run).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis } from '../test/support/redis-server.js';
import { startBridgeProcess } from './lib/bridge-process.js';
import { cpuMicros } from './lib/cpu.js';
import { httpLoad } from './lib/http-load.js';
import { startLineProcess, startProcess } from './lib/process.js';

const N = Number(process.env.BENCH_REG_N ?? 10000);
const CONCURRENCY = Number(process.env.BENCH_REG_CONCURRENCY ?? 400);
const ROUNDS = Number(process.env.BENCH_REG_ROUNDS ?? 2);
const STORES = (process.env.BENCH_REG_STORES ?? 'memory,lmdb,redis').split(',') as Array<'memory' | 'lmdb' | 'redis'>;
/** Registrees per client process (one file descriptor each). */
const PER_PROCESS = 15000;

// The bridge and the client processes hold a socket per registree: raise this
// process's soft limit to its hard limit (children inherit it).
try {
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${N + 2000}:${N + 2000}`], { stdio: 'ignore' });
} catch {
  execFileSync('sh', ['-c', `prlimit --pid ${process.pid} --nofile=$(prlimit --pid ${process.pid} --nofile --output HARD --noheadings):`], { stdio: 'ignore' });
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Bytes a directory's files take on disk (allocated blocks: lmdb's map file is sparse). */
const allocated = (dir: string) => readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).blocks * 512, 0);

interface Storm {
  perSecond: number;
  /** Bridge CPU per registration, µs (0 for direct). */
  cpuUs: number;
  /** CSE CPU per registration, µs. */
  cseCpuUs: number;
}

const cse = await startProcess('bench/lib/tiny-cse.ts');
const csePid = cse.proc.pid!;
const upstream = `http://127.0.0.1:${cse.port}`;
let run = 0;

/** N registrees over WebSockets through the bridge, CONCURRENCY handshakes at a time. */
async function throughBridge(port: number, bridgePid: number): Promise<Storm> {
  run++;
  const parts = Math.ceil(N / PER_PROCESS);
  const c0 = cpuMicros(bridgePid);
  const s0 = cpuMicros(csePid);
  const clients = Array.from({ length: parts }, (_, p) =>
    startLineProcess('bench/lib/fleet-clients.ts', [`ws://127.0.0.1:${port}/`, String(Math.min(PER_PROCESS, N - p * PER_PROCESS)), `Cstorm${run}x${p}x`, `127.${100 + run}.${p + 1}.`, String(Math.ceil(CONCURRENCY / parts))]),
  );
  try {
    const results = (await Promise.all(clients.map((c) => c.nextLine()))).map((l) => JSON.parse(l) as { bound: number; failed: number; seconds: number; retries: number; why: string[] });
    const failed = results.reduce((s, r) => s + r.failed, 0);
    const retries = results.reduce((s, r) => s + r.retries, 0);
    if (retries > 0) console.log(`registration storm ${retries} registrations tried again, e.g. ${JSON.stringify(results.flatMap((r) => r.why).slice(0, 3))}`);
    if (failed > 0) throw new Error(`${failed} of ${N} registrations failed after 3 retries`);
    // The client processes start at the same moment; the storm lasts until the last one is done.
    return { perSecond: N / Math.max(...results.map((r) => r.seconds)), cpuUs: (cpuMicros(bridgePid) - c0) / N, cseCpuUs: (cpuMicros(csePid) - s0) / N };
  } finally {
    for (const c of clients) c.stop();
  }
}

async function direct(): Promise<Storm> {
  run++;
  const r = run;
  const s0 = cpuMicros(csePid);
  const res = await httpLoad(
    upstream,
    CONCURRENCY,
    N,
    (n) => ({
      method: 'POST',
      path: '/cse-in',
      headers: { 'x-m2m-origin': `Cdirect${r}x${n}`, 'x-m2m-ri': `reg${n}`, 'x-m2m-rvi': '3', 'content-type': 'application/json;ty=2', accept: 'application/json' },
      body: `{"m2m:ae":{"rn":"Cdirect${r}x${n}","api":"Nfleet","rr":true,"srv":["3"],"poa":["http://127.0.0.1:1/r/k${n}"]}}`,
    }),
    '2001',
  );
  if (res.unexpected > 0) throw new Error(`${res.unexpected} direct AE CREATEs were not answered 2001`);
  return { perSecond: res.rps, cpuUs: 0, cseCpuUs: (cpuMicros(csePid) - s0) / N };
}

const redis = await startRedis();
const raw = new Redis(redis.url);
const lmdbDir = mkdtempSync(join(tmpdir(), 'reg-storm-'));
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
const storeArgs = { memory: [], lmdb: ['--store', `lmdb:${lmdbDir}`], redis: ['--store', redis.url] };
const bridges: Partial<Record<'memory' | 'lmdb' | 'redis', Awaited<ReturnType<typeof startBridgeProcess>>>> = {};
for (const name of STORES) bridges[name] = await startBridgeProcess(upstream, [...storeArgs[name], '--max-connections', String(N * ROUNDS + 1000)]);
const minimal = await startProcess('bench/lib/minimal-bridge.ts', [upstream, 'create']);
const results: Record<'direct' | 'minimal' | 'memory' | 'lmdb' | 'redis', Storm[]> = { direct: [], minimal: [], memory: [], lmdb: [], redis: [] };
const bytes = { lmdb: [] as number[], redis: [] as number[] };
try {
  console.log(`registration storm ${N} new registrees, ${CONCURRENCY} at a time, ${ROUNDS} rounds; load average ${load()}`);
  // Warm-up: JIT, pools, the store's first pages.
  const warmN = 500;
  await httpLoad(upstream, 50, warmN, (n) => ({ method: 'POST', path: '/cse-in', headers: { 'x-m2m-origin': `Cwarm${n}`, 'x-m2m-ri': `w${n}`, 'x-m2m-rvi': '3', 'content-type': 'application/json;ty=2' }, body: '{"m2m:ae":{"rn":"w","api":"Nw","rr":true}}' }));
  const warmPorts: Array<[string, number]> = [...Object.entries(bridges).map(([name, b]): [string, number] => [name, b.publicPort]), ['minimal', minimal.port]];
  for (const [name, port] of warmPorts) {
    const w = startLineProcess('bench/lib/fleet-clients.ts', [`ws://127.0.0.1:${port}/`, String(warmN), `Cwarm${name}x`, '127.99.1.', '50']);
    await w.nextLine();
    w.stop();
  }
  for (let i = 0; i < ROUNDS; i++) {
    results.direct.push(await direct());
    results.minimal.push(await throughBridge(minimal.port, minimal.proc.pid!));
    for (const name of STORES) {
      const b = bridges[name]!;
      const l0 = name === 'lmdb' ? allocated(lmdbDir) : 0;
      const r0 = name === 'redis' ? await usedMemory() : 0;
      results[name].push(await throughBridge(b.publicPort, b.proc.pid!));
      if (name === 'lmdb') bytes.lmdb.push((allocated(lmdbDir) - l0) / N);
      if (name === 'redis') bytes.redis.push(((await usedMemory()) - r0) / N);
    }
    console.log(
      `registration storm round ${i + 1}: direct ${results.direct[i].perSecond.toFixed(0)}/s, minimal forwarder ${results.minimal[i].perSecond.toFixed(0)}/s, ${STORES.map((name) => `bridge ${name} ${results[name][i].perSecond.toFixed(0)}/s`).join(', ')}  [load ${load()}]`,
    );
  }
  const d = median(results.direct.map((r) => r.perSecond));
  const floor = median(results.minimal.map((r) => r.perSecond));
  const floorCpu = median(results.minimal.map((r) => r.cpuUs));
  console.log(`registration storm minimal forwarder ${floor.toFixed(0)} registrations/s, floor/direct ${(floor / d).toFixed(2)}; its CPU ${floorCpu.toFixed(0)} µs per registration (handshake, one CREATE forwarded)`);
  const m = STORES.includes('memory') ? median(results.memory.map((r) => r.perSecond)) : NaN;
  for (const name of STORES) {
    const rs = results[name];
    const rate = median(rs.map((r) => r.perSecond));
    const store = name === 'memory' ? '' : `, ${median(bytes[name]).toFixed(0)} bytes ${name === 'lmdb' ? 'on disk' : 'of Redis memory'} per registration, rate ${(rate / m).toFixed(2)} of the memory store's`;
    const cpu = median(rs.map((r) => r.cpuUs));
    console.log(
      `registration storm bridge (${name.padEnd(6)}) ${rate.toFixed(0)} registrations/s, bridge/direct ${(rate / d).toFixed(2)} (rounds ${rs.map((r, i) => (r.perSecond / results.direct[i].perSecond).toFixed(2)).join(', ')}), ` +
        `bridge/minimal ${(rate / floor).toFixed(2)} (rounds ${rs.map((r, i) => (r.perSecond / results.minimal[i].perSecond).toFixed(2)).join(', ')}); ` +
        `bridge CPU ${cpu.toFixed(0)} µs per registration, ${(cpu / floorCpu).toFixed(2)}× the minimal forwarder's${store}`,
    );
  }
  console.log(`registration storm direct HTTP AE CREATE ${d.toFixed(0)}/s (keep-alive pool of ${CONCURRENCY}); CSE CPU ${median(results.direct.map((r) => r.cseCpuUs)).toFixed(0)} µs per CREATE direct, ${median(results.memory.map((r) => r.cseCpuUs)).toFixed(0)} µs through the bridge  [load ${load()}]`);
} finally {
  for (const b of Object.values(bridges)) await b.stop();
  minimal.proc.kill();
  raw.disconnect();
  await redis.stop();
  cse.proc.kill();
  rmSync(lmdbDir, { recursive: true, force: true });
}
