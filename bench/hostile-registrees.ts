// Hostile load (issue 13): what a registree that stops reading and what
// pathological messages do to the bridge's memory and event loop. Everything
// is measured on the bridge process from outside: resident memory
// (/proc/<pid>/status) with the JS heap and Buffer memory from its metrics;
// the largest event-loop delay the bridge saw (its
// nodejs_eventloop_lag_max_seconds, 10 ms resolution, reset by each scrape);
// the slowest /healthz answer seen by a prober polling every 10 ms from its
// own process; and the CPU time of the bridge's main thread
// (/proc/<pid>/schedstat), which the other processes on a shared machine do
// not inflate the way they inflate wall-clock delays.
//
// 1. A registree that stops reading: BENCH_HOSTILE_NOTIFIES (256) concurrent
//    1 MiB NOTIFYs to it; memory before, at the peak, when all are answered
//    and after its socket is gone.
// 2. Messages, one at a time, from a connection that is not registered and
//    from a registered registree: the issue's nested payloads, the largest
//    message --max-message-size allows in each serialization, and messages at
//    and beyond the parse budget.
//
// The bridge runs with MALLOC_MMAP_THRESHOLD_=131072, as in deploy/Dockerfile
// (BENCH_HOSTILE_MALLOC=default leaves glibc's adaptive threshold).
import { readFileSync } from 'node:fs';
import { encode as cborEncode } from 'cbor-x';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { codecFor } from '../src/primitive/codecs.js';
import type { Serialization } from '../src/primitive/types.js';
import { startBridgeProcess } from './lib/bridge-process.js';
import { startLineProcess, startProcess } from './lib/process.js';

const NOTIFIES = Number(process.env.BENCH_HOSTILE_NOTIFIES ?? 256);
/** deaf | messages | both (default). */
const ONLY = process.env.BENCH_HOSTILE_ONLY ?? 'both';
/** Each message is sent this often; the table shows medians (and the least delay). */
const REPEAT = Number(process.env.BENCH_HOSTILE_REPEAT ?? 3);
const NOTIFY_BYTES = 1 << 20;
// Short, so the stalled registree is found quickly; the default is 10s.
const DOWNLINK_TIMEOUT = '5s';

if (process.env.BENCH_HOSTILE_MALLOC !== 'default') process.env.MALLOC_MMAP_THRESHOLD_ = '131072';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cse = await startProcess('bench/lib/tiny-cse.ts');
const bridge = await startBridgeProcess(`http://127.0.0.1:${cse.port}`, ['--downlink-timeout', DOWNLINK_TIMEOUT]);
const pid = bridge.proc.pid!;
const wsUrl = `ws://127.0.0.1:${bridge.publicPort}/`;
const admin = new Pool(`http://127.0.0.1:${bridge.adminPort}`, { connections: 1 });
const prober = startLineProcess('bench/lib/lag-probe.ts', [`http://127.0.0.1:${bridge.adminPort}/healthz`]);
const neighbours = startLineProcess('bench/lib/registrees.ts', [wsUrl, '32', 'Cnormal']);

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
/** ns the bridge's main thread has run on a CPU. */
const cpuNs = () => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);

async function metric(name: string): Promise<number> {
  const res = await admin.request({ method: 'GET', path: '/metrics' });
  const text = await res.body.text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^onem2m_bridge_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

interface Delays {
  /** The bridge's largest event-loop delay (ms). */
  lag: number;
  /** The slowest /healthz (ms). */
  probe: number;
}
/** Delays since the previous call; both measures start over. */
async function delays(): Promise<Delays> {
  const lag = (await metric('nodejs_eventloop_lag_max_seconds')) * 1000;
  prober.send('');
  return { lag, probe: Number(await prober.nextLine()) };
}
const fmt = (d: Delays) => `event-loop delay ${d.lag.toFixed(0)} ms, /healthz ${d.probe.toFixed(0)} ms`;
/** RSS, and of it the JS heap in use and the memory outside it (Buffers), in MiB. */
async function memory(): Promise<string> {
  const heap = (await metric('nodejs_heap_size_used_bytes')) / 2 ** 20;
  const external = (await metric('nodejs_external_memory_bytes')) / 2 ** 20;
  return `RSS ${rssMiB().toFixed(0)} MiB (heap ${heap.toFixed(0)}, external ${external.toFixed(0)})`;
}
async function online(id: string): Promise<boolean> {
  const res = await admin.request({ method: 'GET', path: `/api/registrees/${id}` });
  return ((await res.body.json()) as { online?: boolean }).online === true;
}

async function nonReadingRegistree(): Promise<void> {
  const deaf = startLineProcess('bench/lib/deaf-registrees.ts', [wsUrl, '1']);
  const [{ aei, key }] = JSON.parse(await deaf.nextLine()) as Array<{ aei: string; key: string }>;
  const connections = await metric('ws_connections');
  await delays();
  const before = await memory();
  const body = JSON.stringify({ 'm2m:sgn': { sur: '/id-in/sub1', nev: { net: 3, rep: { 'm2m:cin': { con: 'x'.repeat(NOTIFY_BYTES) } } } } });
  const downlink = new Pool(`http://127.0.0.1:${bridge.downlinkPort}`, { connections: NOTIFIES });
  let peak = rssMiB();
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 100);
  const t0 = performance.now();
  const cpu0 = cpuNs();
  const rscs = await Promise.all(
    Array.from({ length: NOTIFIES }, async (_, i) => {
      const res = await downlink.request({ method: 'POST', path: `/r/${key}/${aei}`, headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': `h${i}`, 'x-m2m-rvi': '3' }, body });
      await res.body.dump();
      return String(res.headers['x-m2m-rsc']);
    }),
  );
  const answeredS = (performance.now() - t0) / 1000;
  const cpuMs = (cpuNs() - cpu0) / 1e6;
  const during = await delays();
  const answered = await memory();
  // Closed with 1008 and unbound after --downlink-timeout; its socket goes when the close completes or ws's close timeout (30 s) ends.
  while ((await online(aei)) && performance.now() - t0 < 60_000) await sleep(250);
  const unboundS = (performance.now() - t0) / 1000;
  while ((await metric('ws_connections')) >= connections && performance.now() - t0 < 90_000) await sleep(250);
  const goneS = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await sleep(5000);
  const afterwards = await delays();
  const counts = new Map<string, number>();
  for (const r of rscs) counts.set(r, (counts.get(r) ?? 0) + 1);
  console.log(`hostile non-reading registree, ${NOTIFIES} concurrent 1 MiB NOTIFYs (--downlink-timeout ${DOWNLINK_TIMEOUT}, malloc ${process.env.MALLOC_MMAP_THRESHOLD_ ?? 'default'})`);
  console.log(`hostile   before: ${before}`);
  console.log(`hostile   during: RSS peak ${peak.toFixed(0)} MiB, ${fmt(during)}, main thread ${cpuMs.toFixed(0)} ms CPU; all answered after ${answeredS.toFixed(1)} s: ${[...counts].sort().map(([rsc, k]) => `${rsc}×${k}`).join(', ')}; ${answered}`);
  console.log(`hostile   after: unbound at ${unboundS.toFixed(1)} s, socket gone at ${goneS.toFixed(1)} s; 5 s later ${await memory()}, ${fmt(afterwards)}`);
  deaf.stop();
  await downlink.close();
}

/** Opens a connection (registered as `fr` when given); the sender resolves with the rsc or close code that came back. */
async function connection(s: Serialization, fr?: string): Promise<(data: string | Buffer) => Promise<string>> {
  const codec = codecFor(s);
  const ws = new WebSocket(wsUrl, `oneM2M.${s}`, { perMessageDeflate: false, maxPayload: 64 << 20 });
  const inbox: Array<(answer: string) => void> = [];
  let closed: string | undefined;
  ws.on('message', (data: Buffer) => {
    const p = codec.decode(s === 'cbor' ? data : data.toString('utf8'));
    inbox.shift()?.(p.kind === 'response' ? String(p.primitive.rsc) : 'request');
  });
  ws.on('close', (code) => {
    closed = `close ${code}`;
    for (const w of inbox.splice(0)) w(closed);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const send = (data: string | Buffer) =>
    new Promise<string>((resolve) => {
      if (closed !== undefined) return resolve(closed);
      inbox.push(resolve);
      ws.send(data, { binary: s === 'cbor' });
    });
  if (fr !== undefined) await send(codec.encodeRequest({ op: 1, to: 'cse-in', fr, rqi: `reg-${fr}`, rvi: '3', ty: 2, pc: { 'm2m:ae': { rn: fr, api: 'Nbench', rr: true, srv: ['3'] } } }));
  return send;
}

async function messages(): Promise<void> {
  const ns = 'xmlns:m2m="http://www.onem2m.org/xml/protocols"';
  const create = (rqi: string, fr: string, con: unknown) => ({ op: 1, to: `cse-in/${fr}`, fr, rqi, rvi: '3', ty: 4, pc: { 'm2m:cin': { con } } });
  const xmlCreate = (rqi: string, fr: string, inner: string, rootAttrs = '') => `<m2m:rqp ${ns}${rootAttrs}><op>1</op><to>cse-in/${fr}</to><fr>${fr}</fr><rqi>${rqi}</rqi><rvi>3</rvi><ty>4</ty><pc><m2m:cin>${inner}</m2m:cin></pc></m2m:rqp>`;
  const big = 'x'.repeat(4_000_000);
  const members = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  const payloads: Array<[string, Serialization, (rqi: string, fr: string) => string | Buffer]> = [
    ['2 MB nested JSON arrays (issue)', 'json', (rqi, fr) => `{"op":1,"to":"cse-in","fr":"${fr}","rqi":"${rqi}","pc":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`],
    ['1.1 MB XML, 100k attributes (issue)', 'xml', (rqi, fr) => xmlCreate(rqi, fr, '', ' ' + Array.from({ length: 100_000 }, (_, i) => `a${i}="1"`).join(' '))],
    ['3.6 MB nested JSON objects (issue)', 'json', (rqi, fr) => `{"op":1,"to":"cse-in","fr":"${fr}","rqi":"${rqi}","pc":${'{"a":'.repeat(600_000)}1${'}'.repeat(600_000)}}`],
    ['JSON, array of 1M numbers', 'json', (rqi, fr) => JSON.stringify(create(rqi, fr, Array.from({ length: 1_000_000 }, () => 1)))],
    ['JSON, 4 MB string', 'json', (rqi, fr) => JSON.stringify(create(rqi, fr, big))],
    ['XML, 4 MB text', 'xml', (rqi, fr) => xmlCreate(rqi, fr, `<con>${big}</con>`)],
    ['CBOR, 4 MB string', 'cbor', (rqi, fr) => Buffer.from(cborEncode(create(rqi, fr, big)))],
    ['JSON, one object of 19,990 members', 'json', (rqi, fr) => JSON.stringify(create(rqi, fr, members(19_990)))],
    ['CBOR, array of 19,900 strings', 'cbor', (rqi, fr) => Buffer.from(cborEncode(create(rqi, fr, Array.from({ length: 19_900 }, (_, i) => `s${i}`))))],
    ['XML, 19,990 elements', 'xml', (rqi, fr) => xmlCreate(rqi, fr, Array.from({ length: 19_990 }, (_, i) => `<k${i}>1</k${i}>`).join(''))],
    ['XML, 19,990 attributes', 'xml', (rqi, fr) => xmlCreate(rqi, fr, '', ' ' + Array.from({ length: 19_990 }, (_, i) => `a${i}="1"`).join(' '))],
  ];
  console.log(`hostile message (${REPEAT}x; medians, delay also least)   size      not registered: answer, CPU, delay, /healthz          registered: answer, CPU, delay, /healthz`);
  let n = 0;
  for (const [name, s, make] of payloads) {
    const cells: string[] = [];
    let size = 0;
    for (const registered of [false, true]) {
      const fr = registered ? `Chostile${n++}` : undefined;
      let send = await connection(s, fr);
      const answers = new Set<string>();
      const cpu: number[] = [];
      const lags: number[] = [];
      const probes: number[] = [];
      for (let r = 0; r < REPEAT; r++) {
        const data = make(`m${n}-${r}`, fr ?? 'Cnobody');
        size = data.length;
        await delays();
        const cpu0 = cpuNs();
        const answer = await send(data);
        await sleep(30); // the delay monitor's next tick records the stall
        cpu.push((cpuNs() - cpu0) / 1e6);
        const d = await delays();
        answers.add(answer);
        lags.push(d.lag);
        probes.push(d.probe);
        if (answer.startsWith('close')) send = await connection(s, fr);
      }
      cells.push(`${[...answers].join(',').padEnd(10)} ${median(cpu).toFixed(0).padStart(3)} ms  ${median(lags).toFixed(0).padStart(3)} (${Math.min(...lags).toFixed(0).padStart(3)}) ms  ${median(probes).toFixed(0).padStart(3)} ms`);
    }
    console.log(`hostile ${name.padEnd(38)} ${(size / 1e6).toFixed(1).padStart(4)} MB   ${cells[0].padEnd(44)} ${cells[1]}`);
  }
}

try {
  await neighbours.nextLine();
  await sleep(1000);
  await delays();
  await sleep(2000);
  console.log(`hostile baseline: 32 idle registrees, ${await memory()}, ${fmt(await delays())}`);
  if (ONLY !== 'messages') await nonReadingRegistree();
  if (ONLY !== 'deaf') await messages();
  await sleep(2000);
  console.log(`hostile after all: ${await memory()}, ${fmt(await delays())}`);
} finally {
  neighbours.stop();
  prober.stop();
  await admin.close();
  await bridge.stop();
  cse.proc.kill();
}
