// Starts bench helpers in their own processes and reads what they print.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LineProcess {
  proc: ChildProcess;
  /** The next line the process prints. */
  nextLine(): Promise<string>;
  /** Writes a line to its stdin. */
  send(line: string): void;
  stop(): void;
}

export function startLineProcess(script: string, args: string[] = []): LineProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const buffered: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const w = waiting.shift();
    if (w !== undefined) w(line);
    else buffered.push(line);
  });
  return {
    proc,
    nextLine: () =>
      new Promise((resolve, reject) => {
        const line = buffered.shift();
        if (line !== undefined) return resolve(line);
        // One exit listener per waiting line, removed with it (a prober is asked thousands of times).
        const exited = (code: number | null) => reject(new Error(`${script} exited with ${code}`));
        proc.once('exit', exited);
        waiting.push((next) => {
          proc.off('exit', exited);
          resolve(next);
        });
      }),
    send: (line) => proc.stdin!.write(line + '\n'),
    stop: () => proc.kill(),
  };
}

export async function startProcess(script: string, args: string[] = []): Promise<{ port: number; proc: ChildProcess }> {
  const p = startLineProcess(script, args);
  return { port: Number((await p.nextLine()).trim()), proc: p.proc };
}
