// Picks the store implementation named by --store (DESIGN 5).
import type { Logger } from 'pino';
import { bridgeError } from '../errors.js';
import { redactUrl } from '../redact.js';
import { LmdbStore } from './lmdb-store.js';
import { MemoryStore } from './memory-store.js';
import type { RedisDurability } from './redis-durability.js';
import { RedisStore } from './redis-store.js';
import type { Store } from './store.js';

const ACCEPTED = 'use "lmdb:DIR" (durable, one node), "redis://[:password@]host:port[/db]" (shared) or "memory" (lost on exit)';

/** A problem with a --store value, or undefined when it names a store this version can open. */
export function validateStoreSpec(spec: string): string | undefined {
  if (spec === 'memory') return undefined;
  if (spec.startsWith('lmdb:')) {
    return spec.slice('lmdb:'.length).trim() === '' ? `store "${spec}" names no directory; ${ACCEPTED}` : undefined;
  }
  if (/^rediss?:\/\//i.test(spec)) {
    try {
      const url = new URL(spec);
      if (url.hostname === '') return `store "${redactUrl(spec)}" names no host; ${ACCEPTED}`;
    } catch {
      return `store "${redactUrl(spec)}" is not a valid redis URL; ${ACCEPTED}`;
    }
    return undefined;
  }
  return `store "${spec}" is not a known store; ${ACCEPTED}`;
}

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
    return new RedisStore(spec, { prefix: options.redisPrefix, tls: options.redisTls, durability: options.redisDurability, logger: options.logger });
  }
  return new LmdbStore(spec.slice('lmdb:'.length));
}
