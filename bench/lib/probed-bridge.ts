// The bridge CLI in its own process, as bench/lib/bridge-process.ts starts it,
// with bench/lib/loop-probe.mjs preloaded: the bridge reports its own
// event-loop delay and peak RSS over IPC. Its log lines are read only until
// it listens; after that stdout is drained unread, so the bench's parent
// process spends nothing on them.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LoopFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  peakRssBytes: number;
}

export interface ProbedBridge {
  proc: ChildProcess;
  publicPort: number;
  downlinkPort: number;
  adminPort: number;
  /** Starts a new measuring interval. */
  reset(): Promise<void>;
  /** Event-loop delay and peak RSS since the last reset. */
  read(): Promise<LoopFigures>;
  stop(): Promise<void>;
}

export async function startProbedBridge(upstream: string, extra: string[] = []): Promise<ProbedBridge> {
  const args = ['dist/cli/main.js', '--upstream', upstream, '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', ...extra];
  const nodeArgs = (process.env.BENCH_BRIDGE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, ['--import', './bench/lib/loop-probe.mjs', ...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const ports = await new Promise<{ p: number; d: number; a: number }>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    const exited = (code: number | null) => reject(new Error(`bridge exited with ${code}`));
    proc.once('exit', exited);
    lines.on('line', (line) => {
      if (!line.includes('bridge listening')) return;
      const e = JSON.parse(line) as { public: { port: number }; downlink: { port: number }; admin: { port: number } };
      proc.off('exit', exited);
      lines.close();
      proc.stdout!.resume();
      resolve({ p: e.public.port, d: e.downlink.port, a: e.admin.port });
    });
  });
  const ask = <T>(what: 'reset' | 'read'): Promise<T> =>
    new Promise((resolve) => {
      proc.once('message', (m) => resolve(m as T));
      proc.send(what);
    });
  return {
    proc,
    publicPort: ports.p,
    downlinkPort: ports.d,
    adminPort: ports.a,
    reset: async () => {
      await ask('reset');
    },
    read: () => ask<LoopFigures>('read'),
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
