// The offline fleet (issue 19 item 4): a store holding N registered
// registrees (default 100,000), 10% of them with stored NOTIFYs, plus a heap of
// stored NOTIFYs that have already expired (what a sweep has to remove). For
// lmdb and for redis, one after the other:
//   store size   lmdb: the directory on disk; redis: INFO used_memory and the AOF size
//   cold start   spawn of the built CLI (node dist/cli/main.js) until /readyz says 200
//   RSS          after ready, and with 10% of the fleet online (idle WebSockets)
//   purge        the first sweep (60 s after start) over the expired NOTIFYs: how
//                long it takes, the largest /healthz answer time and the p99 of a
//                prober asking every 5 ms meanwhile, and the bridge's own
//                event-loop delay (nodejs_eventloop_lag_p99/max_seconds) over it
// Targets (issue 19): cold start < 5 s, event-loop delay p99 < 50 ms.
// Knobs: BENCH_OFFLINE_N (100000), BENCH_OFFLINE_QUEUED (share with live NOTIFYs, 0.1),
// BENCH_OFFLINE_PER_QUEUE (3), BENCH_OFFLINE_EXPIRED (expired NOTIFYs, = N),
// BENCH_OFFLINE_ONLINE (share online, 0.1), BENCH_OFFLINE_STORES (lmdb,redis).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { LmdbStore } from '../src/store/lmdb-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { Store } from '../src/store/store.js';
import type { RequestPrimitive } from '../src/primitive/types.js';
import { startRedis } from '../test/support/redis-server.js';
import type { RedisServer } from '../test/support/redis-server.js';
import { startBridgeProcess } from './lib/bridge-process.js';
import type { BridgeProcess } from './lib/bridge-process.js';
import { startLineProcess, startProcess } from './lib/process.js';

const N = Number(process.env.BENCH_OFFLINE_N ?? 100_000);
const QUEUED = Math.round(N * Number(process.env.BENCH_OFFLINE_QUEUED ?? 0.1));
const PER_QUEUE = Number(process.env.BENCH_OFFLINE_PER_QUEUE ?? 3);
const EXPIRED = Number(process.env.BENCH_OFFLINE_EXPIRED ?? N);
const ONLINE = Math.round(N * Number(process.env.BENCH_OFFLINE_ONLINE ?? 0.1));
const STORES = (process.env.BENCH_OFFLINE_STORES ?? 'lmdb,redis').split(',').map((s) => s.trim());
/** The bridge's sweep interval (src/bridge/maintenance.ts). */
const SWEEP_AFTER_MS = 60_000;
const PREFIX = 'Coff';
const LIMITS = { maxMessages: 1_000_000, maxBytes: 1 << 30, globalMaxBytes: 8 * 2 ** 30 };

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a CSE sends for a new <contentInstance> (the same as bench/lib/notify.ts), one per stored request. */
function notify(n: number, to: string): RequestPrimitive {
  return {
    op: 5,
    to,
    fr: '/id-in',
    rqi: `off${n}`,
    rvi: '3',
    pc: { 'm2m:sgn': { nev: { net: 3, rep: { 'm2m:cin': { rn: `cin_${n}`, ty: 4, ri: `cin${n}`, con: '21', st: 1 } } }, sur: '/id-in/sub123' } },
  } as RequestPrimitive;
}

/** Registrations (registration i is `Coff<i>`), then the live and the expired NOTIFYs, in parallel batches. */
async function fill(store: Store): Promise<void> {
  const t0 = performance.now();
  const now = Date.now();
  const batch = async (count: number, one: (i: number) => Promise<unknown>) => {
    for (let start = 0; start < count; start += 2000) {
      await Promise.all(Array.from({ length: Math.min(2000, count - start) }, (_, j) => one(start + j)));
    }
  };
  await batch(N, (i) => store.putRegistration({ id: `${PREFIX}${i}`, key: randomBytes(12).toString('base64url'), kind: 'ae', ri: `${PREFIX}${i}`, rn: `${PREFIX}${i}`, createdAt: now }));
  // The queued registrees are the last QUEUED ones; the online ones the first ONLINE: an offline fleet stays offline.
  const queuedId = (i: number) => `${PREFIX}${N - 1 - (i % QUEUED)}`;
  const enqueue = (i: number, expiresAt: number) => {
    const id = queuedId(i);
    const req = notify(i, id);
    return store.enqueue(id, { request: req, bytes: JSON.stringify(req).length, expiresAt, replaceSameSur: false }, LIMITS);
  };
  await batch(QUEUED * PER_QUEUE, (i) => enqueue(i, now + 7 * 86_400_000));
  await batch(EXPIRED, (i) => enqueue(QUEUED * PER_QUEUE + i, now - 1));
  console.log(`  filled: ${N} registrations, ${QUEUED * PER_QUEUE} live NOTIFYs for ${QUEUED} registrees, ${EXPIRED} expired ones, in ${((performance.now() - t0) / 1000).toFixed(1)} s (load ${load()})`);
}

async function dirBytes(dir: string): Promise<{ apparent: number; allocated: number }> {
  let apparent = 0;
  let allocated = 0;
  for (const name of await readdir(dir)) {
    const s = await stat(join(dir, name));
    apparent += s.size;
    allocated += s.blocks * 512;
  }
  return { apparent, allocated };
}

async function text(url: string): Promise<string> {
  const res = await request(url);
  return res.body.text();
}

function metric(metrics: string, name: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return Number(line?.split(' ').pop() ?? NaN);
}

async function status(admin: string): Promise<{ queue: { messages: number }; registrees: { online: number; offline: number } }> {
  return JSON.parse(await text(`${admin}/api/status`)) as { queue: { messages: number }; registrees: { online: number; offline: number } };
}

function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) * 1024;
}

async function runBridge(label: string, upstream: string, storeArgs: string[]): Promise<void> {
  const t0 = performance.now();
  const bridge: BridgeProcess = await startBridgeProcess(upstream, [...storeArgs, '--log-level', 'info']);
  const listening = performance.now();
  const admin = `http://127.0.0.1:${bridge.adminPort}`;
  let online: ReturnType<typeof startLineProcess> | undefined;
  let probe: ReturnType<typeof startLineProcess> | undefined;
  try {
    for (;;) {
      const res = await request(`${admin}/readyz`);
      await res.body.dump();
      if (res.statusCode === 200) break;
      await sleep(5);
    }
    const ready = performance.now();
    const pid = bridge.proc.pid!;
    const rssReady = rssOf(pid);
    const before = await status(admin);
    console.log(
      `  ${label} cold start: ${((ready - t0) / 1000).toFixed(2)} s from spawn to /readyz 200 (listening after ${((listening - t0) / 1000).toFixed(2)} s), ` +
        `RSS ${mib(rssReady)}, ${before.registrees.offline} offline, ${before.queue.messages} stored  (target < 5 s: ${((ready - t0) / 5000).toFixed(2)} of it; load ${load()})`,
    );

    online = startLineProcess('bench/lib/registrees.ts', [`ws://127.0.0.1:${bridge.publicPort}/`, String(ONLINE), PREFIX, 'oneM2M.json', 'rebind']);
    await online.nextLine();
    // bound once the registry says so (the binding follows the handshake)
    let s = await status(admin);
    while (s.registrees.online < ONLINE && performance.now() - listening < SWEEP_AFTER_MS - 5000) {
      await sleep(200);
      s = await status(admin);
    }
    const rssOnline = rssOf(pid);
    console.log(`  ${label} ${s.registrees.online} online / ${s.registrees.offline} offline: RSS ${mib(rssOnline)} (+${((rssOnline - rssReady) / 1024 / Math.max(1, s.registrees.online)).toFixed(2)} KiB per online registree; load ${load()})`);

    // The first sweep runs SWEEP_AFTER_MS after the doors listen: watch it from 1 s before,
    // and the same prober over 4 s of the idle bridge just before that, side by side.
    probe = startLineProcess('bench/lib/gap-probe.ts', [`${admin}/healthz`, '5']);
    await probe.nextLine();
    const idleFrom = listening + SWEEP_AFTER_MS - 5500 - performance.now();
    if (idleFrom > 0) await sleep(idleFrom);
    probe.send('start');
    await sleep(4000);
    probe.send('stop');
    const idle = JSON.parse(await probe.nextLine()) as { n: number; p50: number; p99: number; max: number };
    console.log(`  ${label} idle, before the sweep: /healthz every 5 ms: p50 ${idle.p50.toFixed(1)} ms, p99 ${idle.p99.toFixed(1)} ms, max ${idle.max.toFixed(1)} ms (${idle.n} probes; load ${load()})`);
    const wait = listening + SWEEP_AFTER_MS - 1000 - performance.now();
    if (wait > 0) await sleep(wait);
    await text(`${admin}/metrics`); // resets the bridge's event-loop delay histogram
    probe.send('start');
    const stored = (await status(admin)).queue.messages;
    const target = stored - EXPIRED;
    let firstDrop: number | undefined;
    let left = stored;
    // Done when the expired ones are gone, or nothing moved for 3 s after the sweep began.
    const deadline = performance.now() + 10 * 60_000;
    let done = performance.now();
    while (left > target && performance.now() < deadline) {
      await sleep(100);
      const now = (await status(admin)).queue.messages;
      if (now !== left) done = performance.now();
      left = now;
      if (firstDrop === undefined && left < stored) firstDrop = done;
      if (firstDrop !== undefined && performance.now() - done > 3000) break;
    }
    probe.send('stop');
    const gaps = JSON.parse(await probe.nextLine()) as { n: number; p50: number; p99: number; max: number };
    // The sweep counts what it removed once its last commit is through: scrape until then
    // (each scrape resets the histogram: p99 is the one over the sweep, max the largest seen).
    let m = await text(`${admin}/metrics`);
    const lagP99 = metric(m, 'onem2m_bridge_nodejs_eventloop_lag_p99_seconds') * 1000;
    let lagMax = metric(m, 'onem2m_bridge_nodejs_eventloop_lag_max_seconds') * 1000;
    let expired = metric(m, 'onem2m_bridge_queue_events_total{event="expired"}');
    for (let i = 0; i < 100 && !(expired >= EXPIRED); i++) {
      await sleep(100);
      m = await text(`${admin}/metrics`);
      lagMax = Math.max(lagMax, metric(m, 'onem2m_bridge_nodejs_eventloop_lag_max_seconds') * 1000);
      expired = metric(m, 'onem2m_bridge_queue_events_total{event="expired"}');
    }
    console.log(
      `  ${label} purge of ${stored - left} expired NOTIFYs (${Number.isNaN(expired) ? '?' : expired} counted expired): ` +
        `${firstDrop === undefined ? 'never started' : `${((done - firstDrop) / 1000).toFixed(2)} s from the first drop seen to the last`}; ` +
        `/healthz every 5 ms: p50 ${gaps.p50.toFixed(1)} ms, p99 ${gaps.p99.toFixed(1)} ms, max ${gaps.max.toFixed(1)} ms (${gaps.n} probes); ` +
        `bridge event-loop delay p99 ${lagP99.toFixed(1)} ms, max ${lagMax.toFixed(1)} ms  (target p99 < 50 ms; load ${load()})`,
    );
  } finally {
    probe?.stop();
    online?.stop();
    await bridge.stop();
  }
}

async function lmdbRun(upstream: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-offline-'));
  const data = join(dir, 'data');
  try {
    const store = new LmdbStore(data);
    await store.open();
    await fill(store);
    await store.close();
    const size = await dirBytes(data);
    console.log(`  lmdb store on disk: ${mib(size.allocated)} allocated (${mib(size.apparent)} apparent), ${(size.allocated / N).toFixed(0)} B per registree`);
    await runBridge('lmdb', upstream, ['--store', `lmdb:${data}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function redisRun(upstream: string): Promise<void> {
  let redis: RedisServer | undefined;
  try {
    redis = await startRedis();
  } catch (err) {
    console.log(`  redis: skipped (${err instanceof Error ? err.message : String(err)})`);
    return;
  }
  const raw = new Redis(redis.url);
  try {
    const store = new RedisStore(redis.url, { durability: 'applied' });
    await store.open();
    await fill(store);
    await store.close();
    const info = (section: string, field: string) =>
      raw.info(section).then((t) => Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(t)?.[1] ?? NaN));
    const used = await info('memory', 'used_memory');
    const aof = await info('persistence', 'aof_current_size');
    // Redis may be rewriting on its own already (auto-aof-rewrite-percentage): wait for that one, then rewrite.
    const rewriting = async () => (await info('persistence', 'aof_rewrite_in_progress')) === 1 || (await info('persistence', 'aof_rewrite_scheduled')) === 1;
    while (await rewriting()) await sleep(100);
    await raw.bgrewriteaof().catch((err: unknown) => console.log(`  BGREWRITEAOF: ${err instanceof Error ? err.message : String(err)}`));
    while ((await info('persistence', 'aof_rewrite_in_progress')) === 1 || (await info('persistence', 'aof_rewrite_scheduled')) === 1) await sleep(100);
    const rewritten = await info('persistence', 'aof_current_size');
    console.log(`  redis ${(await raw.info('server')).match(/redis_version:(\S+)/)?.[1]}: used_memory ${mib(used)} (${(used / N).toFixed(0)} B per registree), AOF ${mib(aof)} as written, ${mib(rewritten)} after BGREWRITEAOF`);
    await runBridge('redis', upstream, ['--store', redis.url, '--redis-durability', 'applied']);
  } finally {
    raw.disconnect();
    await redis.stop();
  }
}

console.log(`offline fleet: ${N} registrees, ${QUEUED} with ${PER_QUEUE} stored NOTIFYs each, ${EXPIRED} expired NOTIFYs, ${ONLINE} online (load ${load()})`);
const cse = await startProcess('bench/lib/tiny-cse.ts');
try {
  const upstream = `http://127.0.0.1:${cse.port}`;
  for (const kind of STORES) {
    if (kind === 'lmdb') await lmdbRun(upstream);
    else if (kind === 'redis') await redisRun(upstream);
    else console.log(`  unknown store ${kind} in BENCH_OFFLINE_STORES`);
  }
} finally {
  cse.proc.kill();
}
