// Idle capacity: resident memory per idle registered WebSocket registree,
// the bridge against a bare ws server doing nothing but holding the socket,
// each measured in its own process after full garbage collections.
import { spawn } from 'node:child_process';

const N = Number(process.env.BENCH_IDLE ?? 10000);

function probe(mode: 'bare' | 'bridge'): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/lib/idle-probe.ts', mode, String(N)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`${mode} probe exited with ${code}`))));
  });
}

const bare = await probe('bare');
const bridge = await probe('bridge');
console.log(`idle capacity      ${N} registered idle WebSocket registrees: bridge ${bridge.toFixed(2)} KiB each, bare ws ${bare.toFixed(2)} KiB each, bridge/bare ${(bridge / bare).toFixed(2)}`);
