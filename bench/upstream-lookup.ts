// What resolving the CSE's host name per connection costs (issue 22): an
// undici Pool like the bridge's against a CSE that closes every connection,
// upstream named `localhost`, with Node's lookup per connection vs the
// bridge's CachedLookup, alternating rounds in one process; CPU per request
// from process.cpuUsage() (all threads, so the thread pool's getaddrinfo too).
// Not part of `npm run bench`: npx tsx bench/upstream-lookup.ts
import { Pool } from 'undici';
import { CachedLookup } from '../src/http/cached-lookup.js';
import { startProcess } from './lib/process.js';

const PER_ROUND = Number(process.env.BENCH_LOOKUP_REQUESTS ?? 3000);
const CONCURRENCY = 8;
const ROUNDS = 5;

const cse = await startProcess('bench/lib/tiny-cse.ts', ['close']);
const origin = `http://localhost:${cse.port}`;

async function round(cached: boolean): Promise<number> {
  const names = new CachedLookup();
  const pool = new Pool(origin, { connections: 64, pipelining: 1, connect: cached ? { lookup: names.lookup } : {} });
  let sent = 0;
  const c0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < PER_ROUND) {
        sent++;
        const res = await pool.request({ method: 'GET', path: '/cse-in/ae/cnt', headers: { 'x-m2m-origin': 'Cbench', 'x-m2m-ri': 'r', 'x-m2m-rvi': '3' } });
        await res.body.dump();
      }
    }),
  );
  const c = process.cpuUsage(c0);
  await pool.close();
  return (c.user + c.system) / PER_ROUND;
}

await round(false);
await round(true);
const plain: number[] = [];
const cached: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  plain.push(await round(false));
  cached.push(await round(true));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`closing upstream by name: CPU per request with a lookup per connection ${median(plain).toFixed(0)} µs (${plain.map((x) => x.toFixed(0)).join(', ')}), cached ${median(cached).toFixed(0)} µs (${cached.map((x) => x.toFixed(0)).join(', ')}); cached/plain ${(median(cached) / median(plain)).toFixed(2)}`);
cse.proc.kill();
