// Picks the store implementation named by --store (DESIGN 5). The redis
// store's module (and ioredis) is imported only when that store opens
// (deferred-store.ts, issue 19): lmdb and memory never load the Redis client.
import type { Logger } from 'pino';
import { bridgeError } from '../errors.js';
import { redactUrl } from '../redact.js';
import { DeferredStore } from './deferred-store.js';
import { LmdbStore } from './lmdb-store.js';
import { MemoryStore } from './memory-store.js';
import type { RedisDurability } from './redis-durability.js';
import type { Store } from './store.js';
import { validateStoreSpec } from './store-spec.js';

export interface StoreOptions {
  redisPrefix?: string;
  redisTls?: { ca?: Buffer };
  /** --redis-durability (redis store only). */
  redisDurability?: RedisDurability;
  /** Gets what a store says once at open (the redis store's durability line). */
  logger?: Logger;
}

export function createStore(spec: string, options: StoreOptions = {}): Store {
  const problem = validateStoreSpec(spec);
  if (problem !== undefined) throw bridgeError('BRIDGE_ERR_CONFIG', problem);
  if (spec === 'memory') return new MemoryStore();
  if (/^rediss?:\/\//i.test(spec)) {
    return new DeferredStore(redactUrl(spec), true, async () => {
      const { RedisStore } = await import('./redis-store.js');
      return new RedisStore(spec, { prefix: options.redisPrefix, tls: options.redisTls, durability: options.redisDurability, logger: options.logger });
    });
  }
  return new LmdbStore(spec.slice('lmdb:'.length));
}
