// Cluster mode (DESIGN 6): two replicas on one Redis, side by side with one.
//   downlink: NOTIFYs to registrees bound on replica A, sent to A's downlink
//             door (local) and to B's (routed to A over Redis), and directly
//             to an HTTP receiver, interleaved;
//   uplink:   32 registrees on one replica vs 16 on each of two;
//   Redis:    memory per registered registree, and the commands per second
//             that idle registrees cost (ownership refresh).
import { Redis } from 'ioredis';
import { startRedis } from '../test/support/redis-server.js';
import { startBridgeProcess } from './lib/bridge-process.js';
import { httpLoad } from './lib/http-load.js';
import { notifyRequests } from './lib/notify.js';
import type { LoadResult } from './lib/http-load.js';
import { startLineProcess, startProcess } from './lib/process.js';
import { openRegistrees, wsLoad } from './lib/ws-load.js';

const N = Number(process.env.BENCH_CLIENTS ?? 32);
const TOTAL = Number(process.env.BENCH_REQUESTS ?? 30000);
const IDLE = Number(process.env.BENCH_CLUSTER_IDLE ?? 2000);
const ROUNDS = 3;
const best = (rs: LoadResult[]) => rs.reduce((a, b) => (b.rps > a.rps ? b : a));


const redis = await startRedis();
const raw = new Redis(redis.url);
const cse = await startProcess('bench/lib/tiny-cse.ts');
const receiver = await startProcess('bench/lib/tiny-receiver.ts');
const upstream = `http://127.0.0.1:${cse.port}`;
const a = await startBridgeProcess(upstream, ['--store', redis.url, '--redis-prefix', 'bench:', '--replica-id', 'A']);
const b = await startBridgeProcess(upstream, ['--store', redis.url, '--redis-prefix', 'bench:', '--replica-id', 'B']);
const registrees = startLineProcess('bench/lib/registrees.ts', [`ws://127.0.0.1:${a.publicPort}/`, String(N), 'Cdl']);
try {
  // --- downlink: local vs routed
  const bound = JSON.parse(await registrees.nextLine()) as Array<{ aei: string; key: string }>;
  const viaBridge = notifyRequests((n) => `/r/${bound[n % N].key}/${bound[n % N].aei}`);
  const direct = notifyRequests((n) => `/n/${bound[n % N].aei}`);
  const origin = (port: number) => `http://127.0.0.1:${port}`;
  for (const [o, mk] of [[origin(a.downlinkPort), viaBridge], [origin(b.downlinkPort), viaBridge], [origin(receiver.port), direct]] as const) await httpLoad(o, N, 3000, mk, '2000');
  const d: LoadResult[] = [];
  const local: LoadResult[] = [];
  const routed: LoadResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    d.push(await httpLoad(origin(receiver.port), N, TOTAL / ROUNDS, direct, '2000'));
    local.push(await httpLoad(origin(a.downlinkPort), N, TOTAL / ROUNDS, viaBridge, '2000'));
    routed.push(await httpLoad(origin(b.downlinkPort), N, TOTAL / ROUNDS, viaBridge, '2000'));
  }
  const [x, l, r] = [best(d), best(local), best(routed)];
  const wrong = [...local, ...routed].reduce((s, q) => s + q.unexpected, 0);
  console.log(
    `cluster downlink ${N} registrees on A: direct ${x.rps.toFixed(0)} req/s  to A (local) ${l.rps.toFixed(0)} req/s (p50 ${l.p50us.toFixed(0)} µs)  ` +
      `to B (routed to A) ${r.rps.toFixed(0)} req/s (p50 ${r.p50us.toFixed(0)} µs, p99 ${r.p99us.toFixed(0)} µs)  routed/local ${(r.rps / l.rps).toFixed(2)}  routed/direct ${(r.rps / x.rps).toFixed(2)}  routing adds ${(r.p50us - l.p50us).toFixed(0)} µs p50` +
      (wrong > 0 ? `  (${wrong} answers not 2000!)` : ''),
  );

  // One request at a time: what routing itself adds, without queueing.
  const lone: LoadResult[] = [];
  const loneRouted: LoadResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    lone.push(await httpLoad(origin(a.downlinkPort), 1, 2000, viaBridge, '2000'));
    loneRouted.push(await httpLoad(origin(b.downlinkPort), 1, 2000, viaBridge, '2000'));
  }
  const p50 = (rs: LoadResult[]) => [...rs.map((q) => q.p50us)].sort((m, n) => m - n)[Math.floor(rs.length / 2)];
  console.log(`cluster downlink 1 request at a time: local p50 ${p50(lone).toFixed(0)} µs  routed p50 ${p50(loneRouted).toFixed(0)} µs  routing adds ${(p50(loneRouted) - p50(lone)).toFixed(0)} µs`);

  // --- uplink: one replica vs two
  const one = await openRegistrees(`ws://127.0.0.1:${a.publicPort}/`, N, 'oneM2M.json', 1000);
  const half = N / 2;
  const two = [
    ...(await openRegistrees(`ws://127.0.0.1:${a.publicPort}/`, half, 'oneM2M.json', 2000)),
    ...(await openRegistrees(`ws://127.0.0.1:${b.publicPort}/`, N - half, 'oneM2M.json', 3000)),
  ];
  await wsLoad(one, 3000);
  await wsLoad(two, 3000);
  const u1: LoadResult[] = [];
  const u2: LoadResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    u1.push(await wsLoad(one, TOTAL / ROUNDS));
    u2.push(await wsLoad(two, TOTAL / ROUNDS));
  }
  const [p, q] = [best(u1), best(u2)];
  console.log(`cluster uplink ${N} registrees: one replica ${p.rps.toFixed(0)} req/s (p50 ${p.p50us.toFixed(0)} µs)  two replicas ${q.rps.toFixed(0)} req/s (p50 ${q.p50us.toFixed(0)} µs)  two/one ${(q.rps / p.rps).toFixed(2)} (all processes share ${(await import('node:os')).availableParallelism()} cores)`);
  for (const c of [...one, ...two]) c.ws.close();

  // --- Redis: memory per registree and the idle cost of ownership
  const usedBefore = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
  const idle = startLineProcess('bench/lib/registrees.ts', [`ws://127.0.0.1:${b.publicPort}/`, String(IDLE), 'Cidle']);
  await idle.nextLine();
  const usedAfter = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
  const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await raw.info('stats'))?.[1]);
  const c0 = await commands();
  const t0 = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const perSecond = ((await commands()) - c0) / ((Date.now() - t0) / 1000);
  console.log(`cluster Redis: ${((usedAfter - usedBefore) / IDLE).toFixed(0)} bytes per registree (registration, key index, owner record, epoch counter)  idle: ${perSecond.toFixed(1)} commands/s for ${IDLE} bound registrees on 2 replicas (owner refresh, queue stats)`);
  idle.stop();
} finally {
  registrees.stop();
  await a.stop();
  await b.stop();
  cse.proc.kill();
  receiver.proc.kill();
  raw.disconnect();
  await redis.stop();
}
