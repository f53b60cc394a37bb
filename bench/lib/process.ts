// Starts a bench helper in its own process and reads the port it prints.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export async function startProcess(script: string, args: string[] = []): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.once('line', (line) => resolve(Number(line.trim())));
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { port, proc };
}
