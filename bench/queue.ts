// Store-and-forward: the rate at which the bridge durably stores NOTIFYs for
// offline registrees (lmdb, acknowledged only after commit) as a ratio to the
// rate of the same NOTIFYs to an HTTP receiver; then the drain rate when the
// registrees come back and answer each stored request.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startBridgeProcess } from './lib/bridge-process.js';
import { httpLoad } from './lib/http-load.js';
import { notifyRequests } from './lib/notify.js';
import { startLineProcess, startProcess } from './lib/process.js';

const N = Number(process.env.BENCH_CLIENTS ?? 32);
const TOTAL = Number(process.env.BENCH_QUEUE_REQUESTS ?? 40000);

const notify = (path: (n: number) => string) => notifyRequests(path, { rqiPrefix: 'q', ot: false });

async function queued(adminPort: number): Promise<number> {
  const res = await request(`http://127.0.0.1:${adminPort}/metrics`);
  const text = await res.body.text();
  const line = text.split('\n').find((l) => l.startsWith('onem2m_bridge_queue_messages '));
  return Number(line?.split(' ')[1] ?? NaN);
}

const dir = await mkdtemp(join(tmpdir(), 'bench-queue-'));
const cse = await startProcess('bench/lib/tiny-cse.ts');
const receiver = await startProcess('bench/lib/tiny-receiver.ts');
const bridge = await startBridgeProcess(`http://127.0.0.1:${cse.port}`, ['--store', `lmdb:${join(dir, 'data')}`, '--queue-max-messages', '10000000', '--queue-max-bytes', '4GiB', '--queue-global-max-bytes', '8GiB']);
try {
  const first = startLineProcess('bench/lib/registrees.ts', [`ws://127.0.0.1:${bridge.publicPort}/`, String(N), 'Cq']);
  const bound = JSON.parse(await first.nextLine()) as Array<{ aei: string; key: string }>;
  first.stop();
  await new Promise((resolve) => first.proc.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 200));

  const receiverOrigin = `http://127.0.0.1:${receiver.port}`;
  await httpLoad(receiverOrigin, N, 3000, notify((n) => `/n/${n}`), '2000');
  const direct = await httpLoad(receiverOrigin, N, TOTAL, notify((n) => `/n/${bound[n % N].aei}`), '2000');
  const store = await httpLoad(`http://127.0.0.1:${bridge.downlinkPort}`, N, TOTAL, notify((n) => `/r/${bound[n % N].key}/${bound[n % N].aei}`), '1000');
  const stored = await queued(bridge.adminPort);
  console.log(`queue store        ${N} offline registrees, lmdb: direct to HTTP receiver ${direct.rps.toFixed(0)} req/s  stored ${store.rps.toFixed(0)} req/s (p50 ${store.p50us.toFixed(0)} µs, p99 ${store.p99us.toFixed(0)} µs)  store/direct ${(store.rps / direct.rps).toFixed(2)}  (${stored} stored${store.unexpected > 0 ? `, ${store.unexpected} not acked 1000!` : ''})`);

  const t0 = process.hrtime.bigint();
  const back = startLineProcess('bench/lib/registrees.ts', [`ws://127.0.0.1:${bridge.publicPort}/`, String(N), 'Cq', 'oneM2M.json', 'rebind']);
  await back.nextLine();
  let left = stored;
  while (left > 0) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = await queued(bridge.adminPort);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  back.send('count');
  const received = Number(await back.nextLine());
  console.log(`queue drain        ${stored} stored requests to ${N} reconnecting registrees: ${(stored / seconds).toFixed(0)} msg/s (${seconds.toFixed(2)} s, ${received} received, each answered before removal)`);
  back.stop();
} finally {
  await bridge.stop();
  cse.proc.kill();
  receiver.proc.kill();
  await rm(dir, { recursive: true, force: true });
}
