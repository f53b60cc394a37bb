// A kill -9 after enqueue resolved loses nothing (DESIGN 4: stored requests
// are durable; DESIGN 5: lmdb:DIR). The child stores, says "committed", is
// killed with SIGKILL, and this process reopens the same directory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LmdbStore } from '../../src/store/lmdb-store.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const N = 200;

test('lmdb: every registration and queued request committed before a SIGKILL is there after reopen, in order', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-lmdb-crash-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'lmdb-crash-child.ts'), dir, String(N)], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('committed\n')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited (${code}) before committing: ${stderr}`)));
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const store = new LmdbStore(dir);
    await store.open();
    try {
      assert.deepEqual(await store.getRegistration('CAE1'), { id: 'CAE1', key: 'key-1', kind: 'ae', ri: 'ri-1', rn: 'rn-1', createdAt: 1_700_000_000_000 });
      assert.equal((await store.getRegistrationByKey('key-2'))?.id, '/id-in/CSE2');
      assert.equal((await store.listRegistrations()).length, 2);

      const queued = await store.peek('CAE1', 0, 10 * N);
      assert.deepEqual(queued.map((q) => q.request.rqi), Array.from({ length: N }, (_, i) => `r${i}`));
      assert.deepEqual(queued[7].request.pc, { 'm2m:sgn': { sur: '/cse-in/sub-1', nev: { net: 3, rep: { 'm2m:cin': { con: 'r7' } } } } });
      assert.deepEqual(store.queueStats('CAE1'), { messages: N, bytes: 100 * N });

      // what was in flight at the kill is a whole prefix: a commit is all or nothing
      const inflight = (await store.peek('/id-in/CSE2', 0, 1_000_000)).map((q) => q.request.rqi);
      assert.deepEqual(inflight, Array.from({ length: inflight.length }, (_, i) => `x${i}`));
      assert.deepEqual(store.totals(), { messages: N + inflight.length, bytes: 100 * (N + inflight.length) });

      const maxSeq = Math.max(...queued.map((q) => q.seq), ...(await store.peek('/id-in/CSE2', 0, 1_000_000)).map((q) => q.seq));
      const next = await store.enqueue('CAE1', { request: { op: 5, to: 'CAE1', rqi: 'after' }, bytes: 1, expiresAt: Date.now() + 60_000, replaceSameSur: false }, { maxMessages: 1e6, maxBytes: 1e9, globalMaxBytes: 1e9 });
      assert.ok(next.stored && next.seq > maxSeq, 'seq after the crash is larger than every stored seq');
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
