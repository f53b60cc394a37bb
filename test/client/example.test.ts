// examples/sensor-ae.ts does what the README says: registers, subscribes and
// prints the notification, against a real bridge.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';

describe('examples/sensor-ae.ts', { timeout: 60_000 }, () => {
  let run: Running;
  before(async () => {
    run = await startBridge();
  });
  after(async () => {
    await run.stop();
  });

  test('registers, subscribes and prints the notification the CSE sends', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'examples/sensor-ae.ts', run.wsUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let wake: () => void = () => undefined;
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      wake();
    });
    const waitFor = async (pattern: RegExp) => {
      while (!lines.some((l) => pattern.test(l))) await new Promise<void>((resolve) => (wake = resolve));
    };
    try {
      await waitFor(/^subscribed/);
      assert.ok(lines.includes('registered 2001'), lines.join('\n'));
      await run.cse.createContentInstance('cse-in/sensor/data', 'from the example');
      await waitFor(/^notification .*from the example/);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
