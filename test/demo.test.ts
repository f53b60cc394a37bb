// npm run demo is the newcomer's tour: it must still show the whole story.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

/** Runs `npm run demo`'s script to its end; the test's timeout only bounds a hang (tsx compiles it slowly on a loaded machine). */
function runDemo(): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

test('the demo registers, is notified, stores two readings while offline and delivers them in order', { timeout: 300_000 }, async () => {
  const r = await runDemo();
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /"rsc":2001/);
  assert.match(out, /new reading con="21\.5"/);
  assert.equal((out.match(/HTTP 202, X-M2M-RSC 1000/g) ?? []).length, 2);
  assert.match(out, /2 notifications stored/);
  const later = out.slice(out.indexOf('reconnects'));
  assert.ok(later.indexOf('con="22.0"') !== -1 && later.indexOf('con="22.0"') < later.indexOf('con="22.5"'), 'stored readings in order');
  assert.match(later, /0 notifications left/);
  assert.match(out, /"rsc":2002/);
});
