// The store contract (DESIGN 5) against --store memory.
import { MemoryStore } from '../../src/store/memory-store.js';
import { storeContract } from '../contract/store.case.js';

storeContract('memory', async () => {
  const store = new MemoryStore();
  await store.open();
  return { store, cleanup: () => store.close() };
});
