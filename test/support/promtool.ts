// promtool (Debian's prometheus package) for the metrics and alert rule tests.
// Required in CI (.ci/run installs it; CI set and no promtool fails the test
// file); elsewhere a missing promtool skips those tests with a printed reason.
import { spawn, spawnSync } from 'node:child_process';

export function promtoolOrSkip(): { path: string | undefined; skip: string | false } {
  const found = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (found.error === undefined && found.status === 0) return { path: 'promtool', skip: false };
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
    throw new Error('promtool is not on PATH, and CI is set: install Debian\'s prometheus package (.ci/run does)');
  }
  const reason = 'promtool is not on PATH (apt-get install prometheus); CI requires it';
  process.stdout.write(`# skipped: ${reason}\n`);
  return { path: undefined, skip: reason };
}

/** Runs a command with `input` on stdin; resolves with its exit code and output. */
export function runWithInput(command: string, args: string[], input: string, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
