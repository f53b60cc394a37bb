// Cluster mode against a Redis that requires a password (redis://:pw@host:port).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { createBridge } from '../../src/bridge/bridge.js';
import type { Bridge } from '../../src/bridge/bridge.js';
import type { JsonObject } from '../../src/primitive/types.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { redisOrSkip } from '../support/redis-server.js';
import { registerAe } from '../support/register.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as shipped (node dist/cli/main.js), built once for this source. */
const CLI = await builtCli();

const { redis, skip } = await redisOrSkip({ password: 's3cr:t/pw' });

describe('cluster on a password-protected Redis', { skip }, () => {
  let cse: FakeCse;
  const bridges: Bridge[] = [];
  before(async () => {
    cse = await startFakeCse();
  });
  after(async () => {
    for (const b of bridges) await b.stop();
    await cse?.close();
    await redis?.stop();
  });

  test('replicas given the password in the URL share registrees and route between them', async () => {
    const config = (replicaId: string) => testConfig(cse.url, { store: redis!.url, redisPrefix: 'auth:', replicaId });
    const a = createBridge(config('A'));
    const b = createBridge(config('B'));
    bridges.push(a, b);
    const [atA, atB] = [await a.start(), await b.start()];
    const { ae, aei } = await registerAe(`ws://127.0.0.1:${atA.public.port}/`, 'locked');
    try {
      const rsp = await ae.request({ op: 2, to: 'cse-in/locked', fr: aei });
      const key = /\/r\/([^/]+)$/.exec(((rsp.pc?.['m2m:ae'] as JsonObject).poa as string[])[0])?.[1];
      const res = await request(`http://127.0.0.1:${atB.downlink.port}/r/${key}/${aei}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': 'auth-1', 'x-m2m-rvi': '3' },
        body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/s' } }),
      });
      await res.body.dump();
      assert.equal(res.headers['x-m2m-rsc'], '2000');
      assert.equal(ae.received.at(-1)?.rqi, 'auth-1');
    } finally {
      await ae.close();
    }
  });

  test('the process given a wrong password exits 1 with one line, without the password in it', { timeout: 60_000 }, async () => {
    const wrong = redis!.url.replace(encodeURIComponent('s3cr:t/pw'), 'nope');
    const proc = spawn(process.execPath, [CLI, '--upstream', cse.url, '--store', wrong, '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    // The test's timeout bounds a process that never exits.
    const code = await new Promise<number | null>((resolve) => proc.once('close', (c) => resolve(c)));
    const lines = output.split('\n').filter((l) => l.trim() !== '');
    assert.equal(code, 1, output);
    assert.equal(lines.length, 1, output);
    assert.match(lines[0], /bridge could not start/);
    assert.match(lines[0], /--store: .*(WRONGPASS|invalid username-password)/);
    assert.doesNotMatch(output, /nope/);
  });

  test('a wrong password fails the start with a reason and without the password in it', async () => {
    const wrong = redis!.url.replace(encodeURIComponent('s3cr:t/pw'), 'nope');
    const bridge = createBridge(testConfig(cse.url, { store: wrong, redisPrefix: 'auth:' }));
    await assert.rejects(bridge.start(), (err: Error) => {
      assert.match(err.message, /WRONGPASS|invalid username-password|NOAUTH|auth/i);
      assert.doesNotMatch(err.message, /nope/);
      return true;
    });
  });
});
