// The --registration-ttl sweep over a large fleet (issue 19: bounded work per
// tick): N registrations (default 100,000) in lmdb and in Redis, none bound,
// the TTL long enough that none expires, so a sweep is pure reading — what
// every replica does every quarter TTL (at most once a minute) for ever.
// Side by side in one run, alternating: this tree's RegistrationExpiry (pages
// of 250, a turn between pages) and the one of BENCH_SWEEP_BASE (default
// e57a608, which listed every registration per sweep). For each: the first
// sweep (it notes every registree as away) and a second one (steady state):
// duration, and the event-loop delay while it runs (how late a 1 ms timer
// chain fires: p99 and max of its samples). Redis: bound() asks the real cluster
// ownership records (RedisCluster.owners, one MGET per 500 IDs), as a
// clustered bridge does.
// Knobs: BENCH_SWEEP_N (100000), BENCH_SWEEP_STORES (lmdb,redis),
// BENCH_SWEEP_ROUNDS (2), BENCH_SWEEP_BASE (git revision of the old file).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RegistrationExpiry } from '../src/bridge/registration-expiry.js';
import type { RegistrationExpiryOptions } from '../src/bridge/registration-expiry.js';
import { RedisCluster } from '../src/cluster/redis-cluster.js';
import { silentLogger } from '../src/log.js';
import { LmdbStore } from '../src/store/lmdb-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { Store } from '../src/store/store.js';
import { startRedis } from '../test/support/redis-server.js';

const N = Number(process.env.BENCH_SWEEP_N ?? 100_000);
const STORES = (process.env.BENCH_SWEEP_STORES ?? 'lmdb,redis').split(',').map((s) => s.trim());
const ROUNDS = Number(process.env.BENCH_SWEEP_ROUNDS ?? 2);
const BASE = process.env.BENCH_SWEEP_BASE ?? 'e57a608';
const TTL_MS = 7 * 86_400_000;

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

interface Sweeper {
  sweep(now: number): Promise<number>;
}
type SweeperClass = new (o: RegistrationExpiryOptions) => Sweeper;

/** The old file, as it was at BASE (it imports types only, so it runs from a temp copy). */
async function baseline(dir: string): Promise<SweeperClass> {
  const source = execFileSync('git', ['show', `${BASE}:src/bridge/registration-expiry.ts`], { encoding: 'utf8' });
  const file = join(dir, 'registration-expiry-base.ts');
  writeFileSync(file, source);
  const mod = (await import(pathToFileURL(file).href)) as { RegistrationExpiry: SweeperClass };
  return mod.RegistrationExpiry;
}

async function fill(store: Store): Promise<void> {
  const t0 = performance.now();
  const now = Date.now();
  for (let start = 0; start < N; start += 2000) {
    await Promise.all(
      Array.from({ length: Math.min(2000, N - start) }, (_, j) => {
        const id = `Csweep${start + j}`;
        return store.putRegistration({ id, key: randomBytes(12).toString('base64url'), kind: 'ae', ri: id, rn: id, createdAt: now });
      }),
    );
  }
  console.log(`  filled ${N} registrations in ${((performance.now() - t0) / 1000).toFixed(1)} s (load ${load()})`);
}

/**
 * Event-loop delay as a 1 ms timer sees it: each sample is how late the timer
 * fired. Stopped only after one more timer once the sweep is done, so a loop
 * held for the whole sweep is one late sample, not none.
 */
function loopProbe(): { stop(): Promise<number[]> } {
  const late: number[] = [];
  let running = true;
  let last = performance.now();
  let finished: (() => void) | undefined;
  const tick = () => {
    const t = performance.now();
    late.push(Math.max(0, t - last - 1));
    last = t;
    if (running) setTimeout(tick, 1);
    else finished?.();
  };
  setTimeout(tick, 1);
  return {
    stop: () =>
      new Promise((resolve) => {
        running = false;
        finished = () => resolve(late);
      }),
  };
}

async function measure(label: string, sweeper: Sweeper, now: number): Promise<string> {
  const probe = loopProbe();
  const t0 = performance.now();
  const expired = await sweeper.sweep(now);
  const ms = performance.now() - t0;
  const late = (await probe.stop()).sort((a, b) => a - b);
  if (expired !== 0) throw new Error(`${label}: ${expired} expired, expected none`);
  const p99 = late[Math.min(late.length - 1, Math.floor(0.99 * late.length))] ?? 0;
  const max = late[late.length - 1] ?? 0;
  return `${label.padEnd(22)} ${ms.toFixed(0).padStart(6)} ms   loop p99 ${p99.toFixed(1).padStart(6)} ms   max ${max.toFixed(1).padStart(6)} ms`;
}

async function compare(name: string, store: Store, bound: RegistrationExpiryOptions['bound'], Old: SweeperClass): Promise<void> {
  const options = (): RegistrationExpiryOptions => ({ ttlMs: TTL_MS, store, bound, logger: silentLogger() });
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating, fresh instances each round: first sweep notes everyone, the second is the steady state.
    for (const [impl, make] of [
      ['paged', () => new RegistrationExpiry(options())],
      [`base ${BASE}`, () => new Old(options())],
    ] as const) {
      const s = make();
      const now = Date.now();
      console.log(`  ${await measure(`${name} ${impl} first`, s, now)}   (load ${load()})`);
      console.log(`  ${await measure(`${name} ${impl} again`, s, now + 60_000)}   (load ${load()})`);
    }
  }
}

const work = await mkdtemp(join(tmpdir(), 'bench-sweep-'));
try {
  const Old = await baseline(work);
  console.log(`registration sweep: ${N} registrations, none bound, none due (load ${load()})`);
  for (const kind of STORES) {
    if (kind === 'lmdb') {
      const store = new LmdbStore(join(work, 'lmdb'));
      await store.open();
      try {
        await fill(store);
        await compare('lmdb', store, async () => new Set(), Old);
      } finally {
        await store.close();
      }
    } else if (kind === 'redis') {
      let redis;
      try {
        redis = await startRedis();
      } catch (err) {
        console.log(`  redis: skipped (${err instanceof Error ? err.message : String(err)})`);
        continue;
      }
      const store = new RedisStore(redis.url, { durability: 'applied' });
      const cluster = new RedisCluster({ url: redis.url, prefix: '', replicaId: 'bench', ownerTtlMs: 30_000, logger: silentLogger() });
      try {
        await store.open();
        await cluster.start({ deliver: async () => ({ rsc: 5103 }) as never, release: () => undefined, kick: () => undefined });
        await fill(store);
        const bound = async (ids: readonly string[]) => {
          const owners = await cluster.owners(ids);
          return new Set(ids.filter((id) => owners.has(id)));
        };
        await compare('redis', store, bound, Old);
      } finally {
        await cluster.stop();
        await store.close();
        await redis.stop();
      }
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
