// ioredis is loaded only for a redis store (issue 19): a bridge on lmdb or
// memory does not pay for the Redis client (files read, memory) at start.
// The built CLI runs in its own process with a module hook that logs every
// URL the ESM loader resolves; the redis run shows the log does see ioredis.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnBridge } from '../support/bridge-process.js';
import { redisOrSkip } from '../support/redis-server.js';

const HOOK = fileURLToPath(new URL('../support/module-log.mjs', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'bridge-modules-'));
const { redis, skip } = await redisOrSkip();
after(async () => {
  await redis?.stop();
  await rm(work, { recursive: true, force: true });
});

/** The URLs a bridge started with `store` resolved by the time it listened. */
async function modulesOf(name: string, store: string): Promise<string[]> {
  const log = join(work, `${name}.log`);
  const bridge = await spawnBridge(
    ['--store', store, '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:9'],
    { nodeArgs: ['--import', HOOK], env: { ...process.env, MODULE_LOG_FILE: log } },
  );
  try {
    return (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '');
  } finally {
    bridge.proc.kill('SIGTERM');
    await bridge.exited;
  }
}

const ioredis = (urls: string[]) => urls.filter((u) => u.includes('/node_modules/ioredis/'));

describe('which store modules a bridge loads', { timeout: 60_000 }, () => {
  test('--store memory: no ioredis', async () => {
    const urls = await modulesOf('memory', 'memory');
    assert.ok(urls.some((u) => u.includes('/dist/cli/main.js')), 'the hook saw the CLI start');
    assert.deepEqual(ioredis(urls), []);
  });

  test('--store lmdb: no ioredis', async () => {
    const urls = await modulesOf('lmdb', `lmdb:${join(work, 'data')}`);
    assert.ok(urls.some((u) => u.includes('/node_modules/lmdb/')), 'the hook saw lmdb load');
    assert.deepEqual(ioredis(urls), []);
  });

  test('--store redis://: ioredis (the log sees it when it loads)', { skip }, async () => {
    const urls = await modulesOf('redis', redis!.url);
    assert.notDeepEqual(ioredis(urls), []);
  });
});
