// Runs the bridge CLI in its own process on free loopback ports.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface BridgeProcess {
  proc: ChildProcess;
  publicPort: number;
  downlinkPort: number;
  adminPort: number;
  stop(): Promise<void>;
}

export async function startBridgeProcess(upstream: string, extra: string[] = [], nodeArgs: string[] = []): Promise<BridgeProcess> {
  const args = ['dist/cli/main.js', '--upstream', upstream, '--store', 'memory', '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', ...extra];
  const proc = spawn(process.execPath, [...nodeArgs, ...(process.env.BENCH_BRIDGE_NODE_ARGS ?? '').split(' ').filter(Boolean), ...args], { stdio: ['ignore', 'pipe', 'inherit']});
  const ports = await new Promise<{ p: number; d: number; a: number }>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      try {
        const e = JSON.parse(line) as { msg?: string; public?: { port: number }; downlink?: { port: number }; admin?: { port: number } };
        if (e.msg === 'bridge listening') resolve({ p: e.public!.port, d: e.downlink!.port, a: e.admin!.port });
      } catch {
        // not a log line
      }
    });
    proc.once('exit', (code) => reject(new Error(`bridge exited with ${code}`)));
  });
  return {
    proc,
    publicPort: ports.p,
    downlinkPort: ports.d,
    adminPort: ports.a,
    stop: () =>
      new Promise((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
