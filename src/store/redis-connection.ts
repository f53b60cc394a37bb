// The ioredis options every connection to the shared Redis uses: the store's
// (redis-store.ts) and the cluster's command and subscriber connections
// (cluster/redis-cluster.ts). One place, so the two cannot drift apart.
import type { RedisOptions } from 'ioredis';

const CONNECT_TIMEOUT_MS = 2000;

/** rediss://: the CA the server's certificate must chain to (--redis-ca). */
export interface RedisTls {
  ca?: Buffer;
}

/**
 * Lazy connect (the caller's connect() fails at once when Redis is down,
 * instead of retrying forever), a 2 s connect timeout, reconnects backing off
 * up to 2 s; TLS options only for a rediss:// URL.
 */
export function redisConnectionOptions(url: string, tls: RedisTls | undefined): RedisOptions {
  return {
    ...(tls !== undefined && /^rediss:/i.test(url) ? { tls } : {}),
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
  };
}

/**
 * A connection that sends commands: each times out after `commandTimeoutMs`
 * and, while Redis is away, fails at once (5103 on the downlink door) instead
 * of piling up until it returns; ioredis keeps reconnecting.
 */
export function redisCommandOptions(url: string, tls: RedisTls | undefined, commandTimeoutMs: number): RedisOptions {
  return {
    ...redisConnectionOptions(url, tls),
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  };
}

/** Escapes SCAN MATCH glob characters (a key prefix may contain them). */
export function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
