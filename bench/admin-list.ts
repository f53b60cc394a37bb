// The status page's list API with 100k registrees (issue 20): how long one
// page takes on each store — the first page (what waits first), pages deep in
// the ID-ordered part, a filter that matches few (the 5000-registration scan
// budget), online=true — and one registree's queue summary. In process, on the
// admin door over HTTP; registrations written straight into the store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createBridge } from '../src/bridge/bridge.js';
import type { Bridge } from '../src/bridge/bridge.js';
import { startFakeCse } from '../test/support/fake-cse.js';
import { testConfig } from '../test/support/harness.js';
import { startRedis } from '../test/support/redis-server.js';

const REGISTREES = Number(process.env.BENCH_ADMIN_REGISTREES ?? 100_000);
const WAITING = Number(process.env.BENCH_ADMIN_WAITING ?? 1000);
const ROUNDS = 20;
const LIMITS = { maxMessages: 1000, maxBytes: 1 << 30, globalMaxBytes: 1 << 30 };

async function timed(url: string): Promise<{ ms: number; rows: number; next?: string }> {
  const t0 = process.hrtime.bigint();
  const res = await request(url);
  const rows = ((await res.body.json()) as unknown[]).length;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const link = res.headers.link;
  const m = typeof link === 'string' ? /^<([^>]+)>/.exec(link) : null;
  return { ms, rows, next: m?.[1] };
}

/** Median of ROUNDS requests of `path`. */
async function median(base: string, path: string): Promise<{ ms: number; rows: number }> {
  const runs: number[] = [];
  let rows = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await timed(base + path);
    runs.push(r.ms);
    rows = r.rows;
  }
  runs.sort((x, y) => x - y);
  return { ms: runs[Math.floor(ROUNDS / 2)], rows };
}

async function fill(bridge: Bridge): Promise<void> {
  const store = bridge.store;
  for (let i = 0; i < REGISTREES; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(REGISTREES, i + 1000); j++) {
      batch.push(store.putRegistration({ id: `Cdev-${String(j).padStart(6, '0')}`, key: `k${j}`, kind: 'ae', createdAt: Date.now() }));
    }
    await Promise.all(batch);
  }
  for (let j = 0; j < WAITING; j++) {
    const id = `Cdev-${String((j * 97) % REGISTREES).padStart(6, '0')}`;
    for (let n = 0; n < 1 + (j % 5); n++) {
      await store.enqueue(id, { request: { op: 5, to: id, fr: '/id-in', rqi: `${id}-${n}`, pc: { 'm2m:sgn': { sur: `/id-in/sub-${n % 2}` } } }, bytes: 200, expiresAt: Date.now() + 3_600_000, sur: `/id-in/sub-${n % 2}`, replaceSameSur: false }, LIMITS);
    }
  }
}

async function run(name: string, store: string, extra: Record<string, unknown> = {}): Promise<void> {
  const cse = await startFakeCse();
  const bridge = createBridge(testConfig(cse.url, { store, ...extra }));
  const at = await bridge.start();
  try {
    const t0 = Date.now();
    await fill(bridge);
    const filled = (Date.now() - t0) / 1000;
    const base = `http://127.0.0.1:${at.admin.port}`;
    const first = await median(base, '/api/registrees?limit=50');
    // 40 pages on: past the waiting part, into the ID-ordered one
    let path: string | undefined = '/api/registrees?limit=50';
    for (let i = 0; i < 40 && path !== undefined; i++) path = (await timed(base + path)).next;
    const deep = await median(base, path ?? '/api/registrees?limit=50');
    const few = await median(base, '/api/registrees?limit=50&q=dev-09999');
    const online = await median(base, '/api/registrees?limit=50&online=true');
    const one = await median(base, `/api/registrees/${encodeURIComponent('Cdev-000097')}`);
    const status = await median(base, '/api/status');
    console.log(
      `admin list ${name.padEnd(6)} ${REGISTREES} registrees (${WAITING} with a queue; filled in ${filled.toFixed(1)} s), median of ${ROUNDS}: ` +
        `first page ${first.ms.toFixed(1)} ms  page 41 ${deep.ms.toFixed(1)} ms  q matching 10 ${few.ms.toFixed(1)} ms (${few.rows} rows)  ` +
        `online=true ${online.ms.toFixed(1)} ms (${online.rows} rows)  one registree ${one.ms.toFixed(1)} ms  /api/status ${status.ms.toFixed(1)} ms`,
    );
  } finally {
    await bridge.stop();
    await cse.close();
  }
}

await run('memory', 'memory');
const dir = await mkdtemp(join(tmpdir(), 'bench-admin-'));
try {
  await run('lmdb', `lmdb:${join(dir, 'data')}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
const redis = await startRedis();
try {
  await run('redis', redis.url, { redisPrefix: 'bench-admin:', redisDurability: 'applied' });
} finally {
  await redis.stop();
}
