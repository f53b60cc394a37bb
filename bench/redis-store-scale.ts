// What the redis store's costs grow with (issue 19), against one fresh
// redis-server, the store used in-process (no bridge around it):
//   sur backlog   one registree, K NOTIFYs of one subscription stored one after
//                 the other (K = 1k, 10k, 100k): the storing rate over all K and
//                 over the last 1,000, then the drain's acknowledgement rate
//                 (ackMany of 100, in queue order), then one ec=latest NOTIFY of
//                 a second subscription stored and replaced 1,000 times beside
//                 that backlog; a time budget per K stops a store that slows
//                 down (the old layout: a rewrite of the whole seq list per NOTIFY)
//   purge sweep   R registrees (default 100,000) with one stored NOTIFY each, a
//                 tenth of them expired: purgeExpired's time, the scripts and
//                 commands Redis ran for it (INFO commandstats; SLOWLOG over 1 ms), and this
//                 process's event-loop delay p99/max while it ran, beside 12 s
//                 of the same store idle (its stats refresh runs in that time)
//   conversion    with BENCH_MIGRATE_FROM (the path of an earlier redis-store.ts):
//                 R registrees with 3 stored NOTIFYs each and one with 10,000,
//                 written by that store, then the time this store's open()
//                 takes to convert them (once, before the bridge is ready)
// Knobs: BENCH_SUR_K (1000,10000,100000), BENCH_SUR_BUDGET_S (90 per K),
// BENCH_PURGE_R (100000), BENCH_REDIS_STORE (path of another redis-store.ts
// to measure instead, e.g. a copy of an older src/: the old figures),
// BENCH_MIGRATE_FROM (unset: no conversion row).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import type { RequestPrimitive } from '../src/primitive/types.js';
import type { QueueLimits, Store } from '../src/store/store.js';
import { startRedis } from '../test/support/redis-server.js';

const KS = (process.env.BENCH_SUR_K ?? '1000,10000,100000').split(',').map(Number).filter((k) => k > 0);
const BUDGET_MS = Number(process.env.BENCH_SUR_BUDGET_S ?? 90) * 1000;
const R = Number(process.env.BENCH_PURGE_R ?? 100_000);
const MODULE = process.env.BENCH_REDIS_STORE ?? '../src/store/redis-store.js';
const MIGRATE_FROM = process.env.BENCH_MIGRATE_FROM;
const LIMITS: QueueLimits = { maxMessages: 10_000_000, maxBytes: 2 ** 40, globalMaxBytes: 2 ** 40 };
const HOUR = 3_600_000;

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const rate = (n: number, ms: number) => `${Math.round((n * 1000) / ms).toLocaleString('en')}/s`;

type StoreClass = new (url: string, options: { prefix?: string; durability?: 'fsync' | 'applied' }) => Store;
const { RedisStore } = (await import(MODULE)) as { RedisStore: StoreClass };

function notify(n: number, sur: string): RequestPrimitive {
  return {
    op: 5,
    to: '/id-in/CAE1',
    fr: '/id-in',
    rqi: `r${n}`,
    rvi: '3',
    pc: { 'm2m:sgn': { nev: { net: 3, rep: { 'm2m:cin': { rn: `cin_${n}`, ty: 4, ri: `cin${n}`, con: '21', st: 1 } } }, sur } },
  } as RequestPrimitive;
}

/** Calls and microseconds per command Redis counted since the last CONFIG RESETSTAT. */
async function commandStats(raw: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of (await raw.info('commandstats')).matchAll(/^cmdstat_(\S+?):calls=(\d+),usec=(\d+)/gm)) {
    out.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return out;
}

async function usedMemory(raw: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await raw.info('memory'))?.[1] ?? NaN);
}

async function surBacklog(url: string, raw: Redis, k: number): Promise<void> {
  const memBefore = await usedMemory(raw);
  const store = new RedisStore(url, { prefix: `sur${k}:`, durability: 'applied' });
  await store.open();
  try {
    const sur = '/id-in/CAE1/cnt/sub-a';
    const bytes = JSON.stringify(notify(0, sur)).length;
    const t0 = performance.now();
    let lastThousand = t0;
    let stored = 0;
    let lastRate = '';
    while (stored < k) {
      await store.enqueue('CAE1', { request: notify(stored, sur), bytes, expiresAt: Date.now() + HOUR, sur, replaceSameSur: false }, LIMITS);
      stored++;
      if (stored % 1000 === 0) {
        const now = performance.now();
        lastRate = rate(1000, now - lastThousand);
        lastThousand = now;
        if (now - t0 > BUDGET_MS) break;
      }
    }
    const storeMs = performance.now() - t0;
    const reached = stored < k ? ` (stopped after ${stored.toLocaleString('en')} by the ${BUDGET_MS / 1000} s budget)` : '';
    const perRequest = ((await usedMemory(raw)) - memBefore) / stored;
    console.log(`  K=${k.toLocaleString('en')}: stored ${rate(stored, storeMs)} over all, ${lastRate} over the last 1,000${reached}; Redis used_memory +${perRequest.toFixed(0)} B per stored NOTIFY  (load ${load()})`);

    // ec=latest beside the backlog: 1,000 NOTIFYs of another subscription, each replacing the one before
    const t1 = performance.now();
    for (let i = 0; i < 1000; i++) {
      await store.enqueue('CAE1', { request: notify(i, '/id-in/sub-b'), bytes, expiresAt: Date.now() + HOUR, sur: '/id-in/sub-b', replaceSameSur: true }, LIMITS);
    }
    console.log(`  K=${k.toLocaleString('en')}: ec=latest beside it ${rate(1000, performance.now() - t1)}  (load ${load()})`);

    // the drain's acknowledgements, 100 at a time in queue order
    const t2 = performance.now();
    let acked = 0;
    let after = 0;
    while (performance.now() - t2 < BUDGET_MS) {
      const page = await store.peek('CAE1', after, 100);
      if (page.length === 0) break;
      after = page[page.length - 1].seq;
      await store.ackMany('CAE1', page.map((q) => q.seq));
      acked += page.length;
    }
    const left = store.queueStats('CAE1').messages;
    console.log(`  K=${k.toLocaleString('en')}: drained (peek + ackMany of 100) ${rate(acked, performance.now() - t2)}, ${acked.toLocaleString('en')} acknowledged${left > 0 ? `, ${left} left by the budget` : ''}  (load ${load()})`);
  } finally {
    await store.dropQueue('CAE1').catch(() => undefined);
    await store.close();
  }
}

/**
 * Runs `work` and says what Redis ran meanwhile (INFO commandstats; the
 * SLOWLOG with a threshold of 0 for how long each script held Redis, the
 * stats refresh's snapshot script told apart by its first key) and this
 * process's event-loop delay.
 */
async function watched(raw: Redis, label: string, work: () => Promise<number | undefined>): Promise<void> {
  // 1 ms: every script that holds Redis that long (0 would log each command inside the scripts too, and overflow)
  await raw.config('SET', 'slowlog-log-slower-than', '1000');
  await raw.config('SET', 'slowlog-max-len', '200000');
  await raw.slowlog('RESET');
  await raw.config('RESETSTAT');
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const t0 = performance.now();
  const purged = await work();
  const ms = performance.now() - t0;
  delay.disable();
  const stats = await commandStats(raw);
  const log = (await raw.call('SLOWLOG', 'GET', '-1')) as Array<[number, number, number, string[]]>;
  await raw.config('SET', 'slowlog-log-slower-than', '10000');
  await raw.slowlog('RESET');
  let calls = 0;
  for (const [name, st] of stats) if (name !== 'info' && name !== 'config|resetstat' && name !== 'config|set' && name !== 'slowlog|reset') calls += st.calls;
  // every script call but the stats refresh's (one SMEMBERS inside each before, one SSCAN step now) is the sweep's
  const scripts = (stats.get('evalsha')?.calls ?? 0) + (stats.get('eval')?.calls ?? 0);
  const snapshots = (stats.get('smembers')?.calls ?? 0) + (stats.get('sscan')?.calls ?? 0);
  const snapshot: number[] = [];
  const other: number[] = [];
  for (const [, , usec, args] of log) {
    const cmd = String(args[0]).toLowerCase();
    if (cmd !== 'evalsha' && cmd !== 'eval') continue;
    (String(args[3]).endsWith(':queues') ? snapshot : other).push(usec / 1000);
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const max = (xs: number[]) => (xs.length === 0 ? 0 : Math.max(...xs));
  const removed = purged === undefined ? '' : `${purged.toLocaleString('en')} expired removed, `;
  console.log(
    `  ${label}: ${removed}${(ms / 1000).toFixed(2)} s; Redis ran ${calls.toLocaleString('en')} commands (counting those inside scripts); ` +
      `${(scripts - snapshots).toLocaleString('en')} sweep script calls (${other.length.toLocaleString('en')} of them over 1 ms: ${sum(other).toFixed(0)} ms in all, the longest ${max(other).toFixed(1)} ms), ` +
      `${snapshots} stats-refresh calls (${snapshot.length} over 1 ms: ${sum(snapshot).toFixed(0)} ms in all, the longest ${max(snapshot).toFixed(1)} ms); ` +
      `event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms  (load ${load()})`,
  );
}

async function purgeSweep(url: string, raw: Redis): Promise<void> {
  const store = new RedisStore(url, { prefix: 'purge:', durability: 'applied' });
  await store.open();
  try {
    const t0 = performance.now();
    const now = Date.now();
    for (let start = 0; start < R; start += 2000) {
      await Promise.all(
        Array.from({ length: Math.min(2000, R - start) }, (_, j) => {
          const i = start + j;
          const req = notify(i, '/id-in/sub-a');
          // every tenth one expired already
          const expiresAt = i % 10 === 0 ? now - 1 : now + HOUR;
          return store.enqueue(`Cpurge${i}`, { request: req, bytes: 300, expiresAt, sur: '/id-in/sub-a', replaceSameSur: false }, LIMITS);
        }),
      );
    }
    console.log(`  ${R.toLocaleString('en')} queued registrees filled in ${((performance.now() - t0) / 1000).toFixed(1)} s  (load ${load()})`);
    // 12 s with nothing to sweep beside the sweep itself: what the store costs at this size anyway
    // (its stats refresh, one snapshot script a second), measured the same way.
    await watched(raw, 'idle, 12 s', async () => {
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      return undefined;
    });
    await watched(raw, `purge over ${R.toLocaleString('en')} queued registrees`, () => store.purgeExpired(Date.now()));
  } finally {
    await store.close();
  }
}

async function conversion(url: string, from: string): Promise<void> {
  const { RedisStore: Earlier } = (await import(from)) as { RedisStore: StoreClass };
  const earlier = new Earlier(url, { prefix: 'conv:', durability: 'applied' });
  await earlier.open();
  const t0 = performance.now();
  const one = (id: string, n: number) =>
    earlier.enqueue(id, { request: notify(n, '/id-in/sub-a'), bytes: 300, expiresAt: Date.now() + HOUR, sur: '/id-in/sub-a', replaceSameSur: false }, LIMITS);
  for (let start = 0; start < R * 3; start += 3000) {
    await Promise.all(Array.from({ length: Math.min(3000, R * 3 - start) }, (_, j) => one(`Cconv${(start + j) % R}`, start + j)));
  }
  // the backlog of one subscription (sequential: the earlier layout appends to one list)
  for (let n = 0; n < 10_000; n++) await one('Cbacklog', n);
  await earlier.close();
  console.log(`  ${R.toLocaleString('en')} registrees x 3 + 1 x 10,000 written by ${from} in ${((performance.now() - t0) / 1000).toFixed(1)} s  (load ${load()})`);
  const store = new RedisStore(url, { prefix: 'conv:', durability: 'applied' });
  const t1 = performance.now();
  await store.open();
  const ms = performance.now() - t1;
  const backlog = await store.peek('Cbacklog', 0, 20_000);
  console.log(
    `  conversion at open: ${(ms / 1000).toFixed(2)} s for ${(R * 3 + 10_000).toLocaleString('en')} stored requests of ${(R + 1).toLocaleString('en')} registrees ` +
      `(${store.totals().messages.toLocaleString('en')} stored after it, ${backlog.length.toLocaleString('en')} in the backlog)  (load ${load()})`,
  );
  await store.close();
}

console.log(`redis store scale (${MODULE}; load ${load()})`);
const redis = await startRedis();
const raw = new Redis(redis.url);
try {
  console.log(`  redis ${(await raw.info('server')).match(/redis_version:(\S+)/)?.[1]}, appendfsync everysec, --redis-durability applied`);
  for (const k of KS) await surBacklog(redis.url, raw, k);
  if (R > 0) await purgeSweep(redis.url, raw);
  if (MIGRATE_FROM !== undefined) await conversion(redis.url, MIGRATE_FROM);
} finally {
  raw.disconnect();
  await redis.stop();
}
