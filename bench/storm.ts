// Reconnect storm (issue 19 item 1, and item 5's two-replica storm): N
// registrees, each with M stored NOTIFYs, reconnect within one second, as after
// a bridge restart. Measured side by side in one run, per row (store):
//   empty   the same N registrees reconnecting and binding with empty queues
//   storm   the same N reconnecting with N×M stored: until every stored NOTIFY
//           is delivered (answered), per-registree completion (from its own
//           connect) p50/p99/max, the bridge's event-loop delay and peak RSS,
//           and live NOTIFYs sent meanwhile (10/s over a sample of 50):
//           delivered? latency? after every stored one of that registree?
//   solo    one registree draining N×M
// Target: storm ≤ 1.25 × (empty + solo), max ≤ 5 × median.
// Rows: lmdb (one bridge), redis (one bridge), cluster (redis, two bridges,
// registrees alternate between them). `--rows lmdb,redis,cluster`, default
// lmdb,cluster; `--cluster` alone runs the cluster row.
// BENCH_STORM_N (10000), BENCH_STORM_M (10), BENCH_STORM_SPREAD_MS (1000).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startRedis } from '../test/support/redis-server.js';
import type { RedisServer } from '../test/support/redis-server.js';
import { httpLoad } from './lib/http-load.js';
import { notifyRequests } from './lib/notify.js';
import { startLineProcess, startProcess } from './lib/process.js';
import type { LineProcess } from './lib/process.js';
import { startProbedBridge } from './lib/probed-bridge.js';
import type { LoopFigures, ProbedBridge } from './lib/probed-bridge.js';

const N = Number(process.env.BENCH_STORM_N ?? 10000);
const M = Number(process.env.BENCH_STORM_M ?? 10);
const SPREAD_MS = Number(process.env.BENCH_STORM_SPREAD_MS ?? 1000);
const LIVE_SAMPLE = Math.min(50, N);
const LIVE_EVERY_MS = 100;
const argv = process.argv.slice(2);
const rowsArg = argv.includes('--cluster') ? 'cluster' : (argv[argv.indexOf('--rows') + 1] ?? '');
const ROWS = (argv.includes('--rows') || argv.includes('--cluster') ? rowsArg : 'lmdb,cluster').split(',').filter(Boolean);

// Every socket is a file descriptor, twice over on one machine: raise the limit
// for this process, the children inherit it. Raising the hard limit needs
// CAP_SYS_RESOURCE (a container often lacks it even as root): then the soft
// limit goes up to the hard one, and the line says what that allows.
const nofile = (flag: string) => Number(execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim());
try {
  execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=1048576:1048576'], { stdio: 'ignore' });
} catch {
  const hard = nofile('-Hn'); // NaN when unlimited
  if (Number.isFinite(hard)) execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`], { stdio: 'ignore' });
  if (N + 200 > hard) console.error(`storm: RLIMIT_NOFILE stays at ${hard} (raising it needs CAP_SYS_RESOURCE): ${N} registrees will not fit in one process`);
}

interface ConnectResult {
  t0: number;
  lastDoneAt: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  orderViolations: number;
  unexpectedCloses: number;
  retries: number;
}
interface LiveResult {
  live: Array<{ registree: number; sentAt: number; at: number; storedBefore: number }>;
}

async function ask<T>(p: LineProcess, command: object): Promise<T> {
  p.send(JSON.stringify(command));
  return JSON.parse(await p.nextLine()) as T;
}

async function metric(bridge: ProbedBridge, name: string): Promise<number> {
  const res = await request(`http://127.0.0.1:${bridge.adminPort}/metrics`);
  const text = await res.body.text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return Number(line?.split(' ')[1] ?? NaN);
}

const online = async (bridges: ProbedBridge[]) => (await Promise.all(bridges.map((b) => metric(b, 'onem2m_bridge_registrees{state="online"}')))).reduce((a, b) => a + b, 0);
const queued = async (bridges: ProbedBridge[]) => metric(bridges[0], 'onem2m_bridge_queue_messages ');

// Every 250 ms: a scrape of /metrics costs the bridge a readdir of /proc/self/fd
// (prom-client's process_open_fds), ~8 ms with 10k sockets under load; polled
// every 50 ms it was 2.5% of the bridge's profile and slowed the very phase it timed.
async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`storm: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const worst = (fs: LoopFigures[]) => ({ p99Ms: Math.max(...fs.map((f) => f.p99Ms)), maxMs: Math.max(...fs.map((f) => f.maxMs)), peakMiB: fs.map((f) => (f.peakRssBytes / 2 ** 20).toFixed(0)).join('+') });
const step = (what: string) => process.stderr.write(`storm: ${what} (load ${load()})\n`);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function store(bridge: ProbedBridge, total: number, path: (n: number) => string): Promise<void> {
  const r = await httpLoad(`http://127.0.0.1:${bridge.downlinkPort}`, 32, total, notifyRequests(path, { rqiPrefix: 's', ot: false }), '1000');
  if (r.unexpected > 0) throw new Error(`storm: ${r.unexpected} NOTIFYs not stored (answer not 1000)`);
}

async function row(kind: string, redis: RedisServer | undefined, cseUrl: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-storm-'));
  const caps = ['--queue-max-messages', '10000000', '--queue-max-bytes', '4GiB', '--queue-global-max-bytes', '16GiB'];
  const storeArgs = (replica: string) => (kind === 'lmdb' ? ['--store', `lmdb:${join(dir, 'data')}`] : ['--store', redis!.url, '--redis-prefix', `storm-${kind}:`, '--replica-id', replica]);
  const bridges = [await startProbedBridge(cseUrl, [...storeArgs('A'), ...caps])];
  if (kind === 'cluster') bridges.push(await startProbedBridge(cseUrl, [...storeArgs('B'), ...caps]));
  const urls = bridges.map((b) => `ws://127.0.0.1:${b.publicPort}/`).join(',');
  const fleet = startLineProcess('bench/lib/storm-registrees.ts', [String(N), `C${kind}`, urls]);
  const solo = startLineProcess('bench/lib/storm-registrees.ts', ['1', `C${kind}solo`, urls.split(',')[0]]);
  const probe = async () => worst(await Promise.all(bridges.map((b) => b.read())));
  const reset = () => Promise.all(bridges.map((b) => b.reset()));
  try {
    const { keys } = await ask<{ keys: string[] }>(fleet, { cmd: 'register' });
    const { keys: soloKeys } = await ask<{ keys: string[] }>(solo, { cmd: 'register' });
    await ask(fleet, { cmd: 'close' });
    await ask(solo, { cmd: 'close' });
    await until('registrees offline', async () => (await online(bridges)) === 0);

    step(`${kind}: ${N} registered`);
    // --- empty: connect and bind with nothing stored
    await reset();
    const e0 = Date.now();
    const emptyDone = ask<ConnectResult>(fleet, { cmd: 'connect', spreadMs: SPREAD_MS, expect: 0 });
    await until('empty registrees bound', async () => (await online(bridges)) >= N);
    const emptyS = (Date.now() - e0) / 1000;
    const emptyLoop = await probe();
    const empty = await emptyDone;
    await ask(fleet, { cmd: 'close' });
    await until('registrees offline', async () => (await online(bridges)) === 0);

    // --- storm: N×M stored, everyone back within SPREAD_MS, live NOTIFYs meanwhile
    await store(bridges[0], N * M, (n) => `/r/${keys[n % N]}/C${kind}${n % N}`);
    step(`${kind}: empty reconnect done, ${N * M} stored`);
    await reset();
    const stormDone = ask<ConnectResult>(fleet, { cmd: 'connect', spreadMs: SPREAD_MS, expect: M });
    let sent = 0;
    const liveAnswers: string[] = [];
    const sampleOf = (k: number) => Math.floor((k * N) / LIVE_SAMPLE);
    const liveTimer = setInterval(() => {
      const i = sampleOf(sent % LIVE_SAMPLE);
      const b = bridges[sent % bridges.length];
      const rqi = `L${sent}_${Date.now()}`;
      sent++;
      const body = JSON.stringify({ 'm2m:sgn': { nev: { net: 3, rep: { 'm2m:cin': { rn: 'live', ty: 4, con: rqi } } }, sur: '/id-in/sub123' } });
      request(`http://127.0.0.1:${b.downlinkPort}/r/${keys[i]}/C${kind}${i}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': rqi, 'x-m2m-rvi': '3' }, body }).then(
        async (res) => {
          await res.body.dump();
          liveAnswers.push(String(res.headers['x-m2m-rsc']));
        },
        (err: unknown) => liveAnswers.push(`error ${String(err)}`),
      );
    }, LIVE_EVERY_MS);
    const storm = await stormDone;
    clearInterval(liveTimer);
    const stormS = (storm.lastDoneAt - storm.t0) / 1000;
    const stormLoop = await probe();
    const liveSeen = await ask<LiveResult>(fleet, { cmd: 'live', expect: sent });
    await until('storm queue empty', async () => (await queued(bridges)) === 0);
    await ask(fleet, { cmd: 'close' });

    // Said at once: the solo phase that follows can take long (a row killed then keeps this much).
    step(`${kind}: storm done in ${stormS.toFixed(2)} s, empty took ${emptyS.toFixed(2)} s; per registree p50 ${storm.p50Ms.toFixed(0)} ms p99 ${storm.p99Ms.toFixed(0)} ms max ${storm.maxMs.toFixed(0)} ms; loop p99 ${stormLoop.p99Ms.toFixed(0)} ms; peak RSS ${stormLoop.peakMiB} MiB`);
    // --- solo: one registree drains N×M
    await store(bridges[0], N * M, () => `/r/${soloKeys[0]}/C${kind}solo0`);
    await reset();
    const one = await ask<ConnectResult>(solo, { cmd: 'connect', spreadMs: 0, expect: N * M });
    const soloS = (one.lastDoneAt - one.t0) / 1000;
    const soloLoop = await probe();
    await until('solo queue empty', async () => (await queued(bridges)) === 0);
    await ask(solo, { cmd: 'close' });

    const latencies = liveSeen.live.map((l) => l.at - l.sentAt);
    const overtook = liveSeen.live.filter((l) => l.storedBefore < M).length;
    const ratio = stormS / (emptyS + soloS);
    const spread = storm.maxMs / storm.p50Ms;
    const label = `${kind}${kind === 'cluster' ? ' (redis, 2 replicas)' : ''}`;
    console.log(`storm ${label}: ${N} registrees × ${M} stored, back within ${SPREAD_MS} ms (load ${load()})`);
    console.log(`  empty  ${N} connect+bind, nothing stored: ${emptyS.toFixed(2)} s  (loop p99 ${emptyLoop.p99Ms.toFixed(0)} ms, peak RSS ${emptyLoop.peakMiB} MiB${empty.retries > 0 ? `, ${empty.retries} connects retried` : ''})`);
    console.log(`  solo   1 registree drains ${N * M}: ${soloS.toFixed(2)} s = ${((N * M) / soloS).toFixed(0)} msg/s  (loop p99 ${soloLoop.p99Ms.toFixed(0)} ms)`);
    console.log(
      `  storm  all ${N * M} stored delivered in ${stormS.toFixed(2)} s = ${((N * M) / stormS).toFixed(0)} msg/s (storm/solo rate ${(soloS / stormS).toFixed(2)}); per registree p50 ${storm.p50Ms.toFixed(0)} ms  p99 ${storm.p99Ms.toFixed(0)} ms  max ${storm.maxMs.toFixed(0)} ms; ` +
        `loop delay p99 ${stormLoop.p99Ms.toFixed(0)} ms (max ${stormLoop.maxMs.toFixed(0)}), peak RSS ${stormLoop.peakMiB} MiB` +
        `${storm.retries > 0 ? `, ${storm.retries} connects retried` : ''}${storm.unexpectedCloses > 0 ? `, ${storm.unexpectedCloses} closed by the bridge!` : ''}${storm.orderViolations > 0 ? `, ${storm.orderViolations} stored out of order!` : ''}`,
    );
    console.log(
      `  live   ${sent} sent during the storm (answers ${[...new Set(liveAnswers)].map((a) => `${a}×${liveAnswers.filter((x) => x === a).length}`).join(' ')}), ${liveSeen.live.length} delivered, latency p50 ${pct(latencies, 0.5).toFixed(0)} ms max ${Math.max(...latencies).toFixed(0)} ms, ` +
        `${overtook === 0 ? 'none before its registree’s stored ones' : `${overtook} OVERTOOK stored ones!`}`,
    );
    console.log(`  target storm/(empty+solo) ${ratio.toFixed(2)} (≤ 1.25: ${ratio <= 1.25 ? 'met' : 'NOT met'})  max/median ${spread.toFixed(1)} (≤ 5: ${spread <= 5 ? 'met' : 'NOT met'})  loop p99 ≤ 50 ms: ${stormLoop.p99Ms <= 50 ? 'met' : 'NOT met'}`);
  } finally {
    fleet.stop();
    solo.stop();
    await Promise.all(bridges.map((b) => b.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

const cse = await startProcess('bench/lib/tiny-cse.ts');
const redis = ROWS.some((r) => r !== 'lmdb') ? await startRedis() : undefined;
try {
  for (const kind of ROWS) await row(kind, redis, `http://127.0.0.1:${cse.port}`);
} finally {
  cse.proc.kill();
  await redis?.stop();
}
