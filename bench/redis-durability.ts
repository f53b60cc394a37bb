// Redis durability (issue 14 item 5): what acknowledging only what is on disk
// costs. The same NOTIFY-storing workload as bench/queue.ts (N offline
// registrees, every NOTIFY stored and answered 1000) against two bridges,
// each on its own redis-server (appendonly yes, files on this machine's disk):
//   applied  --redis-durability applied, Redis appendfsync everysec
//   fsync    --redis-durability fsync (the default), Redis appendfsync always
// in interleaved rounds, best round of each; prints both and fsync/applied.
// On Redis >= 7.2 fsync also sends WAITAOF after each stored request (one
// extra command in the same round trip); on an older Redis the two bridges
// run the same code and the difference is Redis's fsync per write. The
// output names the Redis version, so the figures say which one was measured.
import { spawnSync } from 'node:child_process';
import { startRedis } from '../test/support/redis-server.js';
import type { RedisServer } from '../test/support/redis-server.js';
import { startBridgeProcess } from './lib/bridge-process.js';
import type { BridgeProcess } from './lib/bridge-process.js';
import { httpLoad } from './lib/http-load.js';
import type { LoadResult } from './lib/http-load.js';
import { notifyRequests } from './lib/notify.js';
import { startLineProcess, startProcess } from './lib/process.js';

const N = Number(process.env.BENCH_CLIENTS ?? 32);
const TOTAL = Number(process.env.BENCH_DURABILITY_REQUESTS ?? 20000);
const ROUNDS = 3;
const best = (rs: LoadResult[]) => rs.reduce((a, b) => (b.rps > a.rps ? b : a));

interface Side {
  name: string;
  redis: RedisServer;
  bridge: BridgeProcess;
  bound: Array<{ aei: string; key: string }>;
  rounds: LoadResult[];
}

const version = /v=(\S+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
const cse = await startProcess('bench/lib/tiny-cse.ts');
const upstream = `http://127.0.0.1:${cse.port}`;
const caps = ['--queue-max-messages', '10000000', '--queue-max-bytes', '4GiB', '--queue-global-max-bytes', '8GiB'];
const sides: Side[] = [];

async function side(name: string, appendfsync: string, durability: string): Promise<Side> {
  const redis = await startRedis({ serverArgs: ['--appendonly', 'yes', '--appendfsync', appendfsync] });
  const bridge = await startBridgeProcess(upstream, ['--store', redis.url, '--redis-durability', durability, ...caps]);
  const s: Side = { name, redis, bridge, bound: [], rounds: [] };
  sides.push(s);
  // Register N registrees, then drop their connections: every NOTIFY for them is stored.
  const first = startLineProcess('bench/lib/registrees.ts', [`ws://127.0.0.1:${bridge.publicPort}/`, String(N), `Cd${name[0]}`]);
  s.bound = JSON.parse(await first.nextLine()) as Array<{ aei: string; key: string }>;
  first.stop();
  await new Promise((resolve) => first.proc.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 200));
  return s;
}

try {
  const applied = await side('applied', 'everysec', 'applied');
  const fsync = await side('fsync', 'always', 'fsync');
  const load = (s: Side, total: number) =>
    httpLoad(`http://127.0.0.1:${s.bridge.downlinkPort}`, N, total, notifyRequests((n) => `/r/${s.bound[n % N].key}/${s.bound[n % N].aei}`, { rqiPrefix: `${s.name[0]}`, ot: false }), '1000');
  for (const s of [applied, fsync]) await load(s, 2000);
  for (let i = 0; i < ROUNDS; i++) for (const s of [applied, fsync]) s.rounds.push(await load(s, TOTAL / ROUNDS));
  const [a, f] = [best(applied.rounds), best(fsync.rounds)];
  const wrong = [...applied.rounds, ...fsync.rounds].reduce((sum, r) => sum + r.unexpected, 0);
  console.log(
    `redis durability   ${N} offline registrees, Redis ${version}: applied + everysec ${a.rps.toFixed(0)} req/s (p50 ${a.p50us.toFixed(0)} µs, p99 ${a.p99us.toFixed(0)} µs)  ` +
      `fsync + always ${f.rps.toFixed(0)} req/s (p50 ${f.p50us.toFixed(0)} µs, p99 ${f.p99us.toFixed(0)} µs)  fsync/applied ${(f.rps / a.rps).toFixed(2)}` +
      (wrong > 0 ? `  (${wrong} answers not 1000!)` : ''),
  );
} finally {
  for (const s of sides) {
    await s.bridge.stop();
    await s.redis.stop();
  }
  cse.proc.kill();
}
