// Picks the store implementation named by --store (DESIGN 5).
import { BridgeError } from '../errors.js';
import { Rsc } from '../primitive/types.js';
import { MemoryStore } from './memory-store.js';
import type { Store } from './store.js';

export function createStore(spec: string): Store {
  if (spec === 'memory') return new MemoryStore();
  throw new BridgeError('BRIDGE_ERR_CONFIG', Rsc.INTERNAL_SERVER_ERROR, `store "${spec}" is not available in this version; use "memory"`);
}
