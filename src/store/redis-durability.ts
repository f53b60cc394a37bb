// --redis-durability fsync|applied (issue 14): when the redis store may
// acknowledge a stored request. Pure: the store gathers the facts at open()
// (INFO server, a WAITAOF probe, CONFIG GET / INFO persistence) and this file
// decides what they mean and what the one start-up line says.
//
//   applied  acknowledged once Redis applied the write (its reply). Nothing
//            is checked; a Redis crash loses what its appendfsync policy had
//            not written yet (up to about a second with everysec).
//   fsync    acknowledged once the write is on Redis's disk: with WAITAOF
//            (Redis >= 7.2) after each acknowledging write; on an older Redis
//            (or one that refuses WAITAOF) that holds only with appendonly yes
//            + appendfsync always, which Redis applies before it replies. The
//            bridge reads those settings at start and warns once when they
//            are anything else. It still starts: the operator chose the Redis.

export type RedisDurability = 'fsync' | 'applied';

/** WAITAOF is a Redis 7.2 command (also in Valkey, which reports redis_version 7.2.4). */
export const WAITAOF_SINCE = [7, 2] as const;

/** What the store could read about the server's append-only file settings. */
export type AofFacts =
  | {
      via: 'CONFIG GET';
      appendonly: string;
      appendfsync: string;
    }
  | {
      /** CONFIG is disabled (managed Redis): INFO persistence says whether AOF is on, not how often it fsyncs. */
      via: 'INFO persistence';
      appendonly: 'yes' | 'no';
      configRefused: string;
    }
  | {
      via: 'none';
      configRefused: string;
      infoRefused: string;
    };

export interface DurabilityFacts {
  mode: RedisDurability;
  /** The store as logs name it (password masked). */
  redis: string;
  /** `redis_version` from INFO server; undefined when it could not be read. */
  version?: string;
  /** Why the version is unknown (INFO refused), when it is. */
  versionRefused?: string;
  /** The WAITAOF probe at open: 'ok', or why it cannot be used. Undefined: not tried. */
  waitAof?: 'ok' | { refused: string };
  /** Undefined: not read (applied mode, or WAITAOF works). */
  aof?: AofFacts;
}

export interface DurabilityPlan {
  /** Send `WAITAOF 1 0 <timeout>` after each acknowledging write and fail the write on 0 local fsyncs. */
  waitAof: boolean;
  /** The one line logged at open: `warn` when fsync mode cannot keep its promise with what Redis runs. */
  level: 'info' | 'warn';
  message: string;
}

/** `7.2.4` → [7, 2, 4]; anything unreadable → undefined. */
export function parseRedisVersion(version: string | undefined): number[] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version?.trim() ?? '');
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** True when `version` is at least 7.2, the first Redis with WAITAOF. */
export function hasWaitAof(version: string | undefined): boolean {
  const v = parseRedisVersion(version);
  if (v === undefined) return false;
  return v[0] > WAITAOF_SINCE[0] || (v[0] === WAITAOF_SINCE[0] && v[1] >= WAITAOF_SINCE[1]);
}

/** One field (`redis_version`, `aof_enabled`) out of an INFO reply, or undefined. */
export function infoField(info: string, field: string): string | undefined {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  return m === null ? undefined : m[1].trim();
}

/** Decides, from what the store found at open(), whether it waits for WAITAOF and what it says once. */
export function durabilityPlan(f: DurabilityFacts): DurabilityPlan {
  if (f.mode === 'applied') {
    return {
      waitAof: false,
      level: 'info',
      message:
        'redis durability applied: a stored request is acknowledged once Redis applied it, before it is on disk; ' +
        "a Redis crash loses what its appendfsync policy had not written yet (up to about a second with everysec). --redis-durability fsync waits for Redis's disk",
    };
  }
  if (f.waitAof === 'ok') {
    return {
      waitAof: true,
      level: 'info',
      message: `redis durability fsync: Redis ${f.version ?? '(version unknown)'} has WAITAOF; each stored request and registration is acknowledged only after Redis confirms it is fsynced to its append-only file`,
    };
  }
  // Why WAITAOF is not used: said in every line of this mode, warn or not.
  const noWaitAof =
    f.waitAof !== undefined
      ? `WAITAOF refused: ${f.waitAof.refused}`
      : f.version === undefined
        ? `Redis version unknown${f.versionRefused !== undefined ? ` (INFO server: ${f.versionRefused})` : ''}, so no WAITAOF`
        : `Redis ${f.version} has no WAITAOF, which needs 7.2`;
  const aof = f.aof;
  const remedy = `run appendonly yes + appendfsync always, or --redis-durability applied to accept that (on Redis >= 7.2 the bridge uses WAITAOF instead; here: ${noWaitAof})`;
  if (aof === undefined || aof.via === 'none') {
    const why = aof === undefined ? 'not read' : `CONFIG GET: ${aof.configRefused}; INFO persistence: ${aof.infoRefused}`;
    return { waitAof: false, level: 'warn', message: `cannot tell whether redis at ${f.redis} writes to disk before it answers (${why}): acknowledged requests may not be on disk; ${remedy}` };
  }
  if (aof.appendonly !== 'yes') {
    return { waitAof: false, level: 'warn', message: `redis at ${f.redis} runs appendonly ${aof.appendonly} (${aof.via}): acknowledged requests are not on disk and a Redis crash loses them; ${remedy}` };
  }
  if (aof.via === 'INFO persistence') {
    return {
      waitAof: false,
      level: 'warn',
      message: `redis at ${f.redis} runs appendonly yes (INFO persistence aof_enabled:1) with an appendfsync policy the bridge cannot read (CONFIG GET: ${aof.configRefused}): acknowledged requests are on disk only if it is always; ${remedy}`,
    };
  }
  if (aof.appendfsync !== 'always') {
    const loss = aof.appendfsync === 'everysec' ? 'a Redis crash can lose up to about a second of acknowledged requests' : 'the operating system decides when acknowledged requests reach the disk';
    return { waitAof: false, level: 'warn', message: `redis at ${f.redis} runs appendonly yes + appendfsync ${aof.appendfsync} (${aof.via}): ${loss}; ${remedy}` };
  }
  return {
    waitAof: false,
    level: 'info',
    message: `redis durability fsync: redis at ${f.redis} runs appendonly yes + appendfsync always (${aof.via}), so Redis fsyncs each write before it answers and an acknowledged request is on disk (${noWaitAof})`,
  };
}
