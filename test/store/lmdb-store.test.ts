// The store contract (DESIGN 5) against --store lmdb:DIR, each case in a fresh directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
