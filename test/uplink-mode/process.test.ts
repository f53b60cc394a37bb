// `onem2m-ws-bridge --uplink ws://…` as an operator runs it: the process
// connects to the registrar next to its own doors and leaves cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { TestRegistrar } from '../support/ws-registrar.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as shipped (node dist/cli/main.js), built once for this source. */
const CLI = await builtCli();

describe('bridge process with --uplink', { timeout: 30_000 }, () => {
  let cse: FakeCse;
  let registrar: TestRegistrar;
  before(async () => {
    cse = await startFakeCse({ cseId: 'id-mn', csebaseName: 'cse-mn' });
    registrar = await TestRegistrar.start();
  });
  after(async () => {
    await registrar.close();
    await cse.close();
  });

  test('connects to the registrar naming the CSE, logs its uplink door, and closes the WebSocket with 1000 on SIGTERM', async () => {
    const proc = spawn(
      process.execPath,
      [CLI, '--upstream', cse.url, '--store', 'memory', '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--uplink', registrar.url, '--uplink-listen', '127.0.0.1:0', '--uplink-origin', '/id-mn'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      const door = await new Promise<string>((resolve, reject) => {
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          try {
            const entry = JSON.parse(line) as { msg?: string; url?: string };
            if (entry.msg === 'uplink door listening' && entry.url !== undefined) resolve(entry.url);
          } catch {
            // not a log line
          }
        });
        void exited.then((code) => reject(new Error(`exited with ${code}`)));
      });
      assert.match(door, /^http:\/\/127\.0\.0\.1:\d+$/);
      const conn = await registrar.waitForConnections(1);
      assert.equal(conn.origin, '/id-mn');
      const rsp = await conn.request({ op: 2, to: '/id-mn/cse-mn', fr: 'CAdmin' });
      assert.equal(rsp.rsc, 2000);
      proc.kill('SIGTERM');
      assert.equal((await conn.closed).code, 1000);
      assert.equal(await exited, 0);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
