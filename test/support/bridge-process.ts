// The bridge as an operator runs it: the built CLI (dist/cli/main.js) in its own process,
// ready once it logged "bridge listening" (with the ports it bound).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { builtCli } from './built-cli.js';

export interface Ports {
  public: number;
  downlink: number;
  admin: number;
}

export interface BridgeProcess {
  proc: ChildProcess;
  ports: Ports;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
}

/** Starts the built `onem2m-ws-bridge` and waits for its "bridge listening" log line. */
export async function spawnBridge(args: string[], options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<BridgeProcess> {
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), await builtCli(), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: options.env ?? process.env });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const logs: Array<Record<string, unknown>> = [];
  const ports = await new Promise<Ports>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      let entry: { msg?: string; public?: { port: number }; downlink?: { port: number }; admin?: { port: number } };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      logs.push(entry as Record<string, unknown>);
      if (entry.msg === 'bridge listening') resolve({ public: entry.public!.port, downlink: entry.downlink!.port, admin: entry.admin!.port });
    });
    // The bridge's own last line says why (its fatal line goes to stdout with the other logs).
    void exited.then(({ code }) => reject(new Error(`bridge exited with ${code} before listening: ${JSON.stringify(logs.at(-1) ?? null)}`)));
  });
  return { proc, ports, exited, logs };
}
