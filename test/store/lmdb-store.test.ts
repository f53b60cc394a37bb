// The store contract (DESIGN 5) against --store lmdb:DIR, each case in a fresh directory.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BridgeError } from '../../src/errors.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import type { Store } from '../../src/store/store.js';
import { storeContract } from '../contract/store.case.js';

storeContract('lmdb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-lmdb-'));
  let current: Store = new LmdbStore(dir);
  await current.open();
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = new LmdbStore(dir);
      await current.open();
      return current;
    },
    cleanup: async () => {
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

// Issue 13.5: lmdb-js takes a path with an extension for a file name unless told otherwise.
for (const existing of [true, false]) {
  test(`lmdb:DIR whose name has a dot is a directory too (${existing ? 'empty, existing' : 'not yet created'})`, async () => {
    const base = await mkdtemp(join(tmpdir(), 'bridge-lmdb-dot-'));
    const dir = join(base, 'nested', 'bridge.data');
    if (existing) await mkdir(dir, { recursive: true });
    try {
      let store = new LmdbStore(dir);
      await store.open();
      await store.putRegistration({ id: 'Cdot', key: 'k-dot', kind: 'ae', createdAt: 1 });
      await store.close();
      assert.ok((await readdir(dir)).includes('data.mdb'), 'the environment lives inside the directory');
      store = new LmdbStore(dir);
      await store.open();
      assert.equal((await store.getRegistration('Cdot'))?.key, 'k-dot');
      await store.close();
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
}

// Issue 13.4: Node's mkdir({ recursive: true }) spins forever on /proc/nope; the
// test's timeout bounds a hang.
test('a directory that cannot be created (/proc/nope) fails open() with BRIDGE_ERR_STORE naming it', { timeout: 30_000 }, async () => {
  const store = new LmdbStore('/proc/nope/deeper');
  await assert.rejects(store.open(), (err: unknown) => {
    assert.ok(err instanceof BridgeError, String(err));
    assert.equal(err.code, 'BRIDGE_ERR_STORE');
    assert.match(err.message, /cannot open lmdb:\/proc\/nope\/deeper: .*ENOENT/);
    return true;
  });
  assert.equal(store.available(), false);
});
