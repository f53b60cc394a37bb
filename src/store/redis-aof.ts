// How a write of the Redis store reaches Redis's disk (--redis-durability,
// issue 14): what open() learns about the server (version, WAITAOF, AOF
// settings) and, in fsync mode, a write script followed by `WAITAOF 1 0` in
// the same round trip. The policy decided from these facts is
// redis-durability.ts; the store that uses them is redis-store.ts.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { bridgeError, errorMessage } from '../errors.js';
import { hasWaitAof, infoField } from './redis-durability.js';
import type { AofFacts, DurabilityFacts, RedisDurability } from './redis-durability.js';

/**
 * How long WAITAOF may wait for Redis's fsync before the write counts as
 * failed (below the command timeout, so the answer is a clear store error).
 * With appendfsync always it returns at once; with everysec within about 1 s.
 */
export const WAITAOF_TIMEOUT_MS = 5000;

/** A script sent by hand (EVALSHA, EVAL when Redis does not know it) where WAITAOF must follow it. */
export interface LuaScript {
  lua: string;
  keys: number;
  sha: string;
}

export function luaScript(lua: string, keys: number): LuaScript {
  return { lua, keys, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * A write script and `WAITAOF 1 0` in one round trip: both are written
 * before either reply is read, and Redis runs them in order on this
 * connection, so WAITAOF covers the script's write. The script goes as
 * EVALSHA; when Redis does not know it (NOSCRIPT: restarted, SCRIPT FLUSH)
 * as EVAL, followed by WAITAOF again: the first one ran before the write.
 * → [the script's reply, local fsyncs WAITAOF confirmed (0 or 1)]
 */
export async function writeThenWaitAof<T>(redis: Redis, script: LuaScript, args: Array<string | number>): Promise<[T, number]> {
  const waitAof = (): Promise<unknown> => redis.call('WAITAOF', 1, 0, WAITAOF_TIMEOUT_MS);
  let replies: [unknown, unknown];
  try {
    replies = await Promise.all([redis.evalsha(script.sha, script.keys, ...args), waitAof()]);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    replies = await Promise.all([redis.eval(script.lua, script.keys, ...args), waitAof()]);
  }
  const [reply, aof] = replies;
  return [reply as T, Array.isArray(aof) ? Number(aof[0]) : 0];
}

/** fsync mode: a write Redis did not confirm on disk is a store failure, never an acknowledgement. */
export function mustBeOnDisk(what: string, description: string, fsynced: number): void {
  if (fsynced >= 1) return;
  throw bridgeError(
    'BRIDGE_ERR_STORE',
    `${what} (${description}): Redis did not confirm within ${WAITAOF_TIMEOUT_MS} ms that the write reached its disk (WAITAOF: 0 local fsyncs); not acknowledged, see --redis-durability`,
  );
}

/** INFO server, a WAITAOF probe, the AOF settings: what durabilityPlan() decides on. Never throws. */
export async function durabilityFacts(redis: Redis, mode: RedisDurability, description: string): Promise<DurabilityFacts> {
  const facts: DurabilityFacts = { mode, redis: description };
  if (mode === 'applied') return facts; // nothing to check: the operator accepted Redis's own policy
  try {
    facts.version = infoField(await redis.info('server'), 'redis_version');
  } catch (err) {
    facts.versionRefused = errorMessage(err);
  }
  if (hasWaitAof(facts.version)) {
    try {
      // A fresh connection has written nothing: this answers at once, or says why WAITAOF cannot be used here
      // (appendonly no, a replica, an ACL without it).
      const reply = await redis.call('WAITAOF', 1, 0, WAITAOF_TIMEOUT_MS);
      facts.waitAof = Array.isArray(reply) && Number(reply[0]) >= 1 ? 'ok' : { refused: `answered ${JSON.stringify(reply)}` };
    } catch (err) {
      facts.waitAof = { refused: errorMessage(err) };
    }
    if (facts.waitAof === 'ok') return facts;
  }
  facts.aof = await aofFacts(redis);
  return facts;
}

/** appendonly / appendfsync by CONFIG GET; where CONFIG is disabled (managed Redis), INFO persistence aof_enabled. */
async function aofFacts(redis: Redis): Promise<AofFacts> {
  let configRefused: string;
  try {
    const [appendonly, appendfsync] = await Promise.all([redis.config('GET', 'appendonly'), redis.config('GET', 'appendfsync')]);
    if (appendonly.length >= 2 && appendfsync.length >= 2) return { via: 'CONFIG GET', appendonly: String(appendonly[1]), appendfsync: String(appendfsync[1]) };
    configRefused = 'no such setting';
  } catch (err) {
    configRefused = errorMessage(err);
  }
  try {
    const enabled = infoField(await redis.info('persistence'), 'aof_enabled');
    if (enabled === undefined) return { via: 'none', configRefused, infoRefused: 'no aof_enabled field' };
    return { via: 'INFO persistence', appendonly: enabled === '1' ? 'yes' : 'no', configRefused };
  } catch (err) {
    return { via: 'none', configRefused, infoRefused: errorMessage(err) };
  }
}
