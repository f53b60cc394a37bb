// Downlink: a CSE sending NOTIFYs to registrees through the bridge (HTTP to
// the downlink door, WebSocket to the registree, answer back) against the same
// NOTIFYs sent directly to an HTTP receiver, interleaved in one run.
import { startBridgeProcess } from './lib/bridge-process.js';
import { httpLoad } from './lib/http-load.js';
import { notifyRequests } from './lib/notify.js';
import type { LoadResult } from './lib/http-load.js';
import { startLineProcess, startProcess } from './lib/process.js';

const N = Number(process.env.BENCH_CLIENTS ?? 32);
const TOTAL = Number(process.env.BENCH_REQUESTS ?? 60000);
const ROUNDS = 3;

const best = (rs: LoadResult[]) => rs.reduce((a, b) => (b.rps > a.rps ? b : a));

const cse = await startProcess('bench/lib/tiny-cse.ts');
const receiver = await startProcess('bench/lib/tiny-receiver.ts');
const bridge = await startBridgeProcess(`http://127.0.0.1:${cse.port}`);
const registrees = startLineProcess('bench/lib/registrees.ts', [`ws://127.0.0.1:${bridge.publicPort}/`, String(N)]);
// The floor on this machine: a bare http+ws downlink bridge (bench/lib/minimal-downlink.ts).
const minimal = startLineProcess('bench/lib/minimal-downlink.ts');
const [minimalWs, minimalHttp] = (await minimal.nextLine()).trim().split(' ').map(Number);
const floorRegistrees = startLineProcess('bench/lib/registrees.ts', [`ws://127.0.0.1:${minimalWs}/`, String(N)]);
try {
  const bound = JSON.parse(await registrees.nextLine()) as Array<{ aei: string; key: string }>;
  const floorBound = JSON.parse(await floorRegistrees.nextLine()) as Array<{ aei: string; key: string }>;
  const viaMinimal = notifyRequests((n) => `/r/${floorBound[n % N].key}/x`);
  const minimalOrigin = `http://127.0.0.1:${minimalHttp}`;
  await httpLoad(minimalOrigin, N, 5000, viaMinimal, '2000');
  const viaBridge = notifyRequests((n) => `/r/${bound[n % N].key}/${bound[n % N].aei}`);
  const direct = notifyRequests((n) => `/n/${bound[n % N].aei}`);
  const bridgeOrigin = `http://127.0.0.1:${bridge.downlinkPort}`;
  const receiverOrigin = `http://127.0.0.1:${receiver.port}`;
  await httpLoad(bridgeOrigin, N, 5000, viaBridge, '2000');
  await httpLoad(receiverOrigin, N, 5000, direct, '2000');
  const d: LoadResult[] = [];
  const b: LoadResult[] = [];
  const m: LoadResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    d.push(await httpLoad(receiverOrigin, N, TOTAL / ROUNDS, direct, '2000'));
    b.push(await httpLoad(bridgeOrigin, N, TOTAL / ROUNDS, viaBridge, '2000'));
    m.push(await httpLoad(minimalOrigin, N, TOTAL / ROUNDS, viaMinimal, '2000'));
  }
  const x = best(d);
  const y = best(b);
  const wrong = b.reduce((s, r) => s + r.unexpected, 0);
  const z = best(m);
  console.log(`downlink throughput ${N} registrees: direct ${x.rps.toFixed(0)} req/s (p50 ${x.p50us.toFixed(0)} µs)  bridge ${y.rps.toFixed(0)} req/s (p50 ${y.p50us.toFixed(0)} µs, p99 ${y.p99us.toFixed(0)} µs)  bridge/direct ${(y.rps / x.rps).toFixed(2)}${wrong > 0 ? `  (${wrong} answers not 2000!)` : ''}`);
  console.log(`downlink floor     ${N} registrees: minimal http+ws bridge ${z.rps.toFixed(0)} req/s (p50 ${z.p50us.toFixed(0)} µs)  minimal/direct ${(z.rps / x.rps).toFixed(2)}  bridge/minimal ${(y.rps / z.rps).toFixed(2)}`);
} finally {
  registrees.stop();
  floorRegistrees.stop();
  minimal.stop();
  await bridge.stop();
  cse.proc.kill();
  receiver.proc.kill();
}
