// Idle capacity: resident memory per idle registered WebSocket registree,
// the bridge against a bare ws server doing nothing but holding the socket,
// each measured in its own process after full garbage collections.
import { spawn } from 'node:child_process';

const N = Number(process.env.BENCH_IDLE ?? 10000);

function probe(mode: 'bare' | 'bridge'): Promise<{ rss: number; heap: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/lib/idle-probe.ts', mode, String(N)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      const [rss, heap] = out.trim().split(/\s+/).map(Number);
      if (code === 0) resolve({ rss, heap });
      else reject(new Error(`${mode} probe exited with ${code}`));
    });
  });
}

const bare = await probe('bare');
const bridge = await probe('bridge');
console.log(
  `idle capacity      ${N} registered idle WebSocket registrees: bridge ${bridge.rss.toFixed(2)} KiB each (JS heap ${bridge.heap.toFixed(2)}), ` +
    `bare ws ${bare.rss.toFixed(2)} KiB each (JS heap ${bare.heap.toFixed(2)}), bridge/bare ${(bridge.rss / bare.rss).toFixed(2)}`,
);
