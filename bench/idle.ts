// Idle capacity: open and register many idle WebSocket registrees and report
// the bridge's resident memory per connection (RSS after minus before).
import { readFileSync } from 'node:fs';
import { startBridgeProcess } from './lib/bridge-process.js';
import { startLineProcess, startProcess } from './lib/process.js';

const N = Number(process.env.BENCH_IDLE ?? 10000);

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

const cse = await startProcess('bench/lib/tiny-cse.ts');
const bridge = await startBridgeProcess(`http://127.0.0.1:${cse.port}`);
try {
  // A few connections first so lazily created state is not counted per connection.
  const warm = startLineProcess('bench/lib/registrees.ts', [`ws://127.0.0.1:${bridge.publicPort}/`, '50', 'Cwarm']);
  await warm.nextLine();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = rssKiB(bridge.proc.pid!);
  const t0 = Date.now();
  const idle = startLineProcess('bench/lib/registrees.ts', [`ws://127.0.0.1:${bridge.publicPort}/`, String(N), 'Cidle']);
  await idle.nextLine();
  const seconds = (Date.now() - t0) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = rssKiB(bridge.proc.pid!);
  console.log(`idle capacity      ${N} registered idle WebSocket registrees (connected in ${seconds.toFixed(1)} s): bridge RSS ${(before / 1024).toFixed(0)} → ${(after / 1024).toFixed(0)} MiB, ${(((after - before) * 1024) / N / 1024).toFixed(2)} KiB per registree`);
  idle.stop();
  warm.stop();
} finally {
  await bridge.stop();
  cse.proc.kill();
}
