// --store redis://[:password@]host:port[/db] (or rediss:// for TLS): the store
// several replicas share (DESIGN 5, 6).
//
// Keys (all under the prefix, default `onem2m-bridge:`):
//   reg:<id>   string  Registration as JSON
//   key:<key>  string  → id (the downlink key index)
//   q:<id>     stream  the registree's queue (entries read back in redis-queue-entry.ts); entry ID `<seq>-0`, fields
//                      r = request JSON, b = bytes, e = expiresAt, t = storedAt, s = sur (optional)
//   qm:<id>    int     messages in q:<id>      qb:<id>  int  bytes in q:<id>
//   sx:<id>    zset    one member `<#sur>:<sur><seq>` per request stored with a sur (ec = latest)
//   qx         zset    every stored request: score expiresAt, member `<seq> <id>` (purgeExpired)
//   qm, qb     int     messages / bytes of all queues together
//   queues     set     ids whose queue is not empty (stats refresh)
//   layout     string  '2': sx/qx are in place (a store of an earlier bridge is converted at open, redis-migrate.ts)
//   seq        int     INCR counter: one seq sequence for all registrees
//   regs       zset    every registered id, score 0: ID-ordered pages for the admin API
//                      (ZRANGE BYLEX); built from reg:* at open() when missing
//
// Every write is one Lua script (redis-scripts.ts), so registration + key index, and stream +
// counters + sur index, change together atomically, and the caps are checked
// and applied inside Redis: replicas sharing the Redis can never overshoot them.
//
// queueStats()/totals() are synchronous (the contract), so they read a local
// cache. Each script returns the absolute counters after its change and the
// cache takes them in reply order (one connection: replies come in execution
// order), so on one replica the numbers are exact; other replicas' changes are
// seen at the next refresh (redis-queue-stats.ts: a walk over the queued
// registrees, 1,000 per script call, paced by its own cost). Across replicas
// they are therefore approximate; the caps are exact.
//
// Durability is chosen by --redis-durability (issue 14, redis-durability.ts).
// `applied`: an operation resolves once Redis replied, i.e. the change is
// applied and in its AOF buffer; whether it survives a Redis crash depends on
// its persistence settings (appendfsync everysec loses up to about a second).
// `fsync` (default): on Redis >= 7.2 each write that acknowledges something
// (enqueue, registration put/delete) is followed, in the same round trip, by
// `WAITAOF 1 0`, and a reply of 0 local fsyncs fails the operation, so the
// CSE is never told "stored" for a request that is not on Redis's disk; an
// older Redis gets no WAITAOF, and open() checks that it runs appendonly yes +
// appendfsync always (Redis fsyncs before it replies) and warns once if not.
// A reply lost to a dropped connection is ambiguous: ioredis resends
// unanswered commands after reconnecting (at-least-once), and a command timing
// out (10 s) may still have been applied; the stats cache is put right by the
// next refresh. Likewise a write whose WAITAOF fails was applied: it is not
// acknowledged, and stays stored (the CSE may send it again: at-least-once).
//
// The scripts touch keys they compute from the prefix (the old key index
// entry, the per-registree keys in the snapshot, in the purge and in the
// layout conversion at open). That is fine on a single
// Redis; on Redis Cluster the prefix must carry a hash tag, e.g.
// `{onem2m-bridge}:`, so all keys live in one slot.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BridgeError, bridgeError, errorMessage } from '../errors.js';
import { redactUrl } from '../redact.js';
import { storeError } from './store-error.js';
import type {
  EnqueueRequest,
  EnqueueResult,
  QueueLimits,
  QueueSummary,
  QueueTotals,
  QueuedRequest,
  Registration,
  RegistrationPage,
  RegistrationPageQuery,
  Store,
} from './store.js';
import { SummaryBuilder, idMatches, needleOf, pageOf } from './registration-page.js';
import { durabilityPlan } from './redis-durability.js';
import type { DurabilityPlan, RedisDurability } from './redis-durability.js';
import { durabilityFacts, luaScript, mustBeOnDisk, writeThenWaitAof } from './redis-aof.js';
import { globEscape, redisCommandOptions } from './redis-connection.js';
import type { RedisTls } from './redis-connection.js';
import { queuedFields, queuedRequest } from './redis-queue-entry.js';
import { LUA_ACK, LUA_DELETE_REG, LUA_DROP, LUA_ENQUEUE, LUA_PURGE, LUA_PUT_REG, LUA_REG_BY_KEY, LUA_SNAPSHOT, LUA_SUMMARY_PAGE } from './redis-scripts.js';
import { migrateLayout } from './redis-migrate.js';
import { RedisQueueStats } from './redis-queue-stats.js';
import type { SnapshotStep } from './redis-queue-stats.js';

export interface RedisStoreOptions {
  /** Prepended to every key (default `onem2m-bridge:`). */
  prefix?: string;
  /** Clock for `storedAt` and for skipping expired requests in peek (tests inject one). */
  now?: () => number;
  /** rediss://: the CA the server's certificate must chain to (--redis-ca). */
  tls?: RedisTls;
  /** --redis-durability: acknowledge once Redis has the write on disk (fsync, default) or once it applied it. */
  durability?: RedisDurability;
  /** Gets the one line open() says about durability (info, or warn when fsync cannot hold). */
  logger?: Logger;
}

export const DEFAULT_REDIS_PREFIX = 'onem2m-bridge:';

const COMMAND_TIMEOUT_MS = 10_000;
type Reply = Array<string | number>;
/** KEYS of the per-registree queue scripts (queueKeys(), redis-scripts.ts). */
const QUEUE_KEYS = 8;

// The writes whose success the bridge passes on as an acknowledgement.
const ENQUEUE = luaScript(LUA_ENQUEUE, QUEUE_KEYS + 1);
const PUT_REG = luaScript(LUA_PUT_REG, 3);
const DELETE_REG = luaScript(LUA_DELETE_REG, 2);

/** IDs read from the `regs` index per round trip while paging. */
const PAGE_CHUNK = 500;
/** Expired requests one purge script removes; the sweep yields to the event loop between calls. */
const PURGE_BATCH = 100;

/** The scripts, defined on the connection with defineCommand (EVALSHA, EVAL on first use per socket). */
interface ScriptCommands {
  bridgeEnqueue(...args: Array<string | number>): Promise<Reply>;
  bridgeAck(...args: Array<string | number>): Promise<Reply>;
  bridgePurge(...args: Array<string | number>): Promise<Reply>;
  bridgeDrop(...args: Array<string | number>): Promise<Reply>;
  bridgeSnapshot(...args: Array<string | number>): Promise<Reply>;
  bridgePutReg(...args: Array<string | number>): Promise<number>;
  bridgeDeleteReg(...args: Array<string | number>): Promise<number>;
  bridgeRegByKey(keyIndex: string, regPrefix: string): Promise<string | null>;
  bridgeSummaryPage(queue: string, start: string, count: number): Promise<Reply>;
}

type Connection = Redis & ScriptCommands;

/** A pipeline of ACK script calls (ackAcross). */
interface AckPipeline {
  bridgeAck(...args: Array<string | number>): unknown;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** The reply of the i-th command of a pipeline; its error reply rejects. */
function pipelineReply(replies: Array<[Error | null, unknown]> | null, i: number): Reply {
  const entry = replies?.[i];
  if (entry === undefined) throw new Error('the pipeline was not executed');
  if (entry[0] !== null) throw entry[0];
  return entry[1] as Reply;
}

export class RedisStore implements Store {
  readonly description: string;
  readonly shared = true;
  private readonly url: string;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly tls: RedisTls | undefined;
  private readonly mode: RedisDurability;
  private readonly logger: Logger | undefined;
  /** What open() found and decided about durability (see redis-durability.ts). */
  private plan: DurabilityPlan | undefined;
  private redis: Connection | undefined;
  /** Local view of the counters (see the header: exact for this replica's own changes). */
  private readonly stats = new RedisQueueStats();

  constructor(url: string, options: RedisStoreOptions = {}) {
    this.description = redactUrl(url);
    this.url = url;
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.now = options.now ?? Date.now;
    this.tls = options.tls;
    this.mode = options.durability ?? 'fsync';
    this.logger = options.logger;
  }

  /** After open(): whether writes wait for WAITAOF, and the line open() logged. */
  get durability(): DurabilityPlan | undefined {
    return this.plan;
  }

  async open(): Promise<void> {
    if (this.redis !== undefined) return;
    if (!/^rediss?:\/\//i.test(this.url)) {
      throw bridgeError('BRIDGE_ERR_STORE', `cannot open ${this.description}: not a redis:// or rediss:// URL`);
    }
    let redis: Connection;
    let converted = 0;
    try {
      // connect() below, so a down Redis fails open() instead of retrying forever
      redis = new Redis(this.url, redisCommandOptions(this.url, this.tls, COMMAND_TIMEOUT_MS)) as Connection;
    } catch (err) {
      // not the URL itself in the message: it may hold a password
      throw bridgeError('BRIDGE_ERR_STORE', `cannot open ${this.description}: ${errorMessage(err)}`);
    }
    // Connection errors surface as rejected commands; without a listener ioredis prints them.
    let lastError: unknown;
    redis.on('error', (err: unknown) => {
      lastError = err;
    });
    redis.defineCommand('bridgeEnqueue', { numberOfKeys: ENQUEUE.keys, lua: ENQUEUE.lua });
    redis.defineCommand('bridgeAck', { numberOfKeys: QUEUE_KEYS, lua: LUA_ACK });
    redis.defineCommand('bridgePurge', { numberOfKeys: 4, lua: LUA_PURGE });
    redis.defineCommand('bridgeDrop', { numberOfKeys: QUEUE_KEYS, lua: LUA_DROP });
    redis.defineCommand('bridgeSnapshot', { numberOfKeys: 3, lua: LUA_SNAPSHOT });
    redis.defineCommand('bridgePutReg', { numberOfKeys: PUT_REG.keys, lua: PUT_REG.lua });
    redis.defineCommand('bridgeDeleteReg', { numberOfKeys: DELETE_REG.keys, lua: DELETE_REG.lua });
    redis.defineCommand('bridgeRegByKey', { numberOfKeys: 1, lua: LUA_REG_BY_KEY });
    redis.defineCommand('bridgeSummaryPage', { numberOfKeys: 1, lua: LUA_SUMMARY_PAGE });
    try {
      await redis.connect();
      converted = await migrateLayout(redis, this.prefix);
      await this.stats.load(this.snapshotStep(redis));
      await this.indexRegistrations(redis);
      this.plan = durabilityPlan(await durabilityFacts(redis, this.mode, this.description));
    } catch (err) {
      redis.disconnect();
      // connect() only says "Connection is closed"; the 'error' event had the reason
      throw storeError(`cannot open ${this.description}`, lastError ?? err);
    }
    this.redis = redis;
    // Once per start: a warn line when fsync cannot hold with what Redis runs (issue 14).
    this.logger?.[this.plan.level]({ store: this.description, redisDurability: this.mode }, this.plan.message);
    if (converted > 0) this.logger?.info({ store: this.description, registrees: converted }, 'stored queues converted to the current layout (indexes by sur and by expiry)');
    this.stats.start(this.snapshotStep(redis), () => this.redis === redis && redis.status === 'ready');
  }

  available(): boolean {
    return this.redis?.status === 'ready';
  }

  async close(): Promise<void> {
    const redis = this.redis;
    if (redis === undefined) return;
    this.redis = undefined;
    this.stats.stop();
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
    }
  }

  async getRegistration(id: string): Promise<Registration | undefined> {
    const redis = this.conn();
    const json = await this.run(`cannot read the registration of ${id}`, redis.get(this.k(`reg:${id}`)));
    return json === null ? undefined : parseRegistration(json);
  }

  async getRegistrationByKey(key: string): Promise<Registration | undefined> {
    const redis = this.conn();
    // One round trip on every downlink request for a registree not bound here.
    const json = await this.run('cannot read the key index', redis.bridgeRegByKey(this.k(`key:${key}`), this.k('reg:')));
    if (json === null) return undefined;
    const reg = parseRegistration(json);
    return reg.key === key ? reg : undefined;
  }

  async putRegistration(reg: Registration): Promise<void> {
    const what = `cannot store the registration of ${reg.id}`;
    const args = [this.k(`reg:${reg.id}`), this.k(`key:${reg.key}`), this.k('regs'), reg.id, JSON.stringify(reg), reg.key, this.k('key:')];
    if (this.plan?.waitAof === true) {
      const [, fsynced] = await this.run(what, writeThenWaitAof(this.conn(), PUT_REG, args));
      mustBeOnDisk(what, this.description, fsynced);
      return;
    }
    await this.run(what, this.conn().bridgePutReg(...args));
  }

  async deleteRegistration(id: string): Promise<void> {
    const what = `cannot delete the registration of ${id}`;
    const args = [this.k(`reg:${id}`), this.k('regs'), id, this.k('key:')];
    if (this.plan?.waitAof === true) {
      const [, fsynced] = await this.run(what, writeThenWaitAof(this.conn(), DELETE_REG, args));
      mustBeOnDisk(what, this.description, fsynced);
      return;
    }
    await this.run(what, this.conn().bridgeDeleteReg(...args));
  }

  async listRegistrations(): Promise<Registration[]> {
    const redis = this.conn();
    const keys = await this.run('cannot list registrations', this.scan(`${globEscape(this.prefix)}reg:*`));
    const out: Registration[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const values = await this.run('cannot list registrations', redis.mget(keys.slice(i, i + 500)));
      for (const v of values) if (v !== null) out.push(parseRegistration(v));
    }
    return out;
  }

  async countRegistrations(): Promise<number> {
    // The regs index has every registered id (open() builds it when missing): one ZCARD, not SCAN + MGET of them all.
    return this.run('cannot count registrations', this.conn().zcard(this.k('regs')));
  }

  async listRegistrationsPage(query: RegistrationPageQuery): Promise<RegistrationPage> {
    const redis = this.conn();
    const needle = needleOf(query);
    const found: Registration[] = [];
    let cursor = query.after ?? '';
    for (;;) {
      const ids = await this.run('cannot list registrations', redis.zrangebylex(this.k('regs'), cursor === '' ? '-' : `(${cursor}`, '+', 'LIMIT', 0, PAGE_CHUNK));
      if (ids.length === 0) break;
      cursor = ids[ids.length - 1];
      const matching = ids.filter((id) => idMatches(id, needle));
      if (matching.length > 0) {
        const values = await this.run('cannot list registrations', redis.mget(matching.map((id) => this.k(`reg:${id}`))));
        // An index entry without its registration (removed meanwhile) is skipped.
        for (const v of values) if (v !== null && found.length <= query.limit) found.push(parseRegistration(v));
      }
      if (found.length > query.limit || ids.length < PAGE_CHUNK) break;
    }
    return pageOf(found, query.limit);
  }

  async enqueue(id: string, item: EnqueueRequest, limits: QueueLimits): Promise<EnqueueResult> {
    const what = `cannot store a request for ${id}`;
    const args = [
      ...this.queueKeys(id),
      this.k('seq'),
      id,
      item.bytes,
      item.expiresAt,
      this.now(),
      item.sur ?? '',
      item.replaceSameSur ? '1' : '0',
      JSON.stringify(item.request),
      limits.maxMessages,
      limits.maxBytes,
      limits.globalMaxBytes,
    ];
    let reply: Reply;
    let fsynced: number | undefined;
    if (this.plan?.waitAof === true) [reply, fsynced] = await this.run(what, writeThenWaitAof(this.conn(), ENQUEUE, args));
    else reply = await this.run(what, this.conn().bridgeEnqueue(...args));
    if (Number(reply[0]) === 1) {
      this.stats.apply(id, reply.slice(3));
      // Stored, but only acknowledged once it is on Redis's disk (a refusal wrote nothing to wait for).
      if (fsynced !== undefined) mustBeOnDisk(what, this.description, fsynced);
      return { stored: true, seq: Number(reply[1]), replaced: Number(reply[2]) };
    }
    this.stats.apply(id, reply.slice(2));
    return { stored: false, reason: String(reply[1]) as Extract<EnqueueResult, { stored: false }>['reason'] };
  }

  async peek(id: string, afterSeq: number, limit: number): Promise<QueuedRequest[]> {
    const redis = this.conn();
    const out: QueuedRequest[] = [];
    if (limit <= 0) return out;
    const now = this.now();
    let start = `${Math.max(0, Math.floor(afterSeq)) + 1}-0`;
    for (;;) {
      const count = Math.min(1000, limit - out.length);
      const page = await this.run(`cannot read the queue of ${id}`, redis.xrange(this.k(`q:${id}`), start, '+', 'COUNT', count));
      for (const [streamId, fields] of page) {
        const q = queuedRequest(streamId, fields);
        if (q.seq <= afterSeq) continue;
        if (q.expiresAt <= now) continue; // DESIGN 4: expired requests are not sent
        out.push(q);
        if (out.length >= limit) return out;
      }
      if (page.length < count) return out;
      start = `(${page[page.length - 1][0]}`;
    }
  }

  async ack(id: string, seq: number): Promise<void> {
    return this.ackMany(id, [seq]);
  }

  async ackMany(id: string, seqs: readonly number[]): Promise<void> {
    const redis = this.conn();
    const valid = seqs.filter((seq) => Number.isSafeInteger(seq) && seq >= 1).map(String);
    if (valid.length === 0) return;
    const what = valid.length === 1 ? `cannot remove request ${valid[0]} of ${id}` : `cannot remove ${valid.length} requests of ${id}`;
    // One script call for all of them: one round trip and one counter update.
    const reply = await this.run(what, redis.bridgeAck(...this.queueKeys(id), id, ...valid));
    this.stats.apply(id, reply.slice(1));
  }

  async ackAcross(acks: ReadonlyMap<string, readonly number[]>): Promise<ReadonlyMap<string, Error>> {
    // One pipeline (one round trip) for many registrees: the ACK script once each (issue 19).
    const pipeline = this.conn().pipeline() as unknown as AckPipeline;
    const ids: string[] = [];
    for (const [id, seqs] of acks) {
      const valid = seqs.filter((seq) => Number.isSafeInteger(seq) && seq >= 1).map(String);
      if (valid.length === 0) continue;
      pipeline.bridgeAck(...this.queueKeys(id), id, ...valid);
      ids.push(id);
    }
    const failures = new Map<string, Error>();
    if (ids.length === 0) return failures;
    const replies = pipeline.exec();
    await Promise.all(
      ids.map((id, i) =>
        this.run(`cannot remove requests of ${id}`, replies.then((r) => pipelineReply(r, i))).then(
          (reply) => this.stats.apply(id, reply.slice(1)),
          (err: unknown) => void failures.set(id, err instanceof Error ? err : new Error(String(err))),
        ),
      ),
    );
    return failures;
  }

  async purgeExpired(now: number): Promise<number> {
    const redis = this.conn();
    let purged = 0;
    // What is due comes from the head of qx, PURGE_BATCH per call across registrees: a sweep with
    // nothing due is one call, however many queues there are (issue 19: it was one script per queue).
    for (;;) {
      const reply = await this.run('cannot purge expired requests', redis.bridgePurge(this.k('qx'), this.k('qm'), this.k('qb'), this.k('queues'), this.prefix, now, PURGE_BATCH));
      purged += Number(reply[0]);
      // each registree it changed with its counters after, and the global ones after all of them
      for (let i = 4; i + 2 < reply.length; i += 3) this.stats.apply(String(reply[i]), [reply[i + 1], reply[i + 2], reply[2], reply[3]]);
      if (Number(reply[1]) !== 1) return purged;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async dropQueue(id: string): Promise<void> {
    const redis = this.conn();
    const reply = await this.run(`cannot drop the queue of ${id}`, redis.bridgeDrop(...this.queueKeys(id), id));
    this.stats.apply(id, reply.slice(1));
  }

  queueStats(id: string): QueueTotals {
    return this.stats.of(id);
  }

  totals(): QueueTotals {
    return this.stats.totals();
  }

  queuedIds(): string[] {
    return this.stats.ids();
  }

  async oldestStoredAt(id: string): Promise<number | undefined> {
    const first = await this.run(`cannot read the queue of ${id}`, this.conn().xrange(this.k(`q:${id}`), '-', '+', 'COUNT', 1));
    return first.length === 0 ? undefined : queuedFields(first[0][1]).storedAt;
  }

  async queueSummary(id: string): Promise<QueueSummary> {
    const redis = this.conn();
    const b = new SummaryBuilder();
    let start = '-';
    // Pages of the summed fields only (the bodies stay in Redis): still a walk over the whole queue, which the per-sur sums need.
    for (;;) {
      const page = await this.run(`cannot read the queue of ${id}`, redis.bridgeSummaryPage(this.k(`q:${id}`), start, 1000));
      for (let i = 2; i + 3 < page.length; i += 4) {
        const sur = String(page[i + 3]);
        b.add({ bytes: Number(page[i]), expiresAt: Number(page[i + 1]), storedAt: Number(page[i + 2]), ...(sur === '' ? {} : { sur }) });
      }
      if (Number(page[0]) < 1000) return b.build();
      start = `(${String(page[1])}`;
    }
  }

  /** Registrations written before the `regs` index existed: indexed once, when the index is missing. */
  private async indexRegistrations(redis: Connection): Promise<void> {
    if ((await redis.exists(this.k('regs'))) === 1) return;
    const regPrefix = this.k('reg:');
    const keys = await this.scan(`${globEscape(regPrefix)}*`, redis);
    for (let i = 0; i < keys.length; i += PAGE_CHUNK) {
      const members = keys.slice(i, i + PAGE_CHUNK).flatMap((key) => [0, key.slice(regPrefix.length)]);
      await redis.zadd(this.k('regs'), ...members);
    }
  }

  private k(suffix: string): string {
    return this.prefix + suffix;
  }

  private queueKeys(id: string): string[] {
    return [this.k(`q:${id}`), this.k(`qm:${id}`), this.k(`qb:${id}`), this.k(`sx:${id}`), this.k('qm'), this.k('qb'), this.k('queues'), this.k('qx')];
  }

  /** One step of the stats walk (redis-queue-stats.ts). */
  private snapshotStep(redis: Connection): SnapshotStep {
    return (cursor, count) => redis.bridgeSnapshot(this.k('queues'), this.k('qm'), this.k('qb'), this.prefix, cursor, count);
  }

  private async scan(match: string, redis: Connection = this.conn()): Promise<string[]> {
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      for (const key of keys) found.add(key);
      cursor = next;
    } while (cursor !== '0');
    return [...found];
  }

  private conn(): Connection {
    if (this.redis === undefined) {
      throw bridgeError('BRIDGE_ERR_STORE', `${this.description} is not open`);
    }
    return this.redis;
  }

  private async run<T>(what: string, op: Promise<T>): Promise<T> {
    try {
      return await op;
    } catch (err) {
      // Redis away (connection lost, reconnecting): the request cannot reach its target now.
      if (!(err instanceof BridgeError) && (this.redis?.status !== 'ready' || unreachable(err))) {
        const detail = errorMessage(err);
        throw bridgeError('BRIDGE_ERR_STORE_UNAVAILABLE', `${what}: ${this.description} is unreachable (${detail})`, { cause: err });
      }
      throw storeError(`${what} (${this.description})`, err);
    }
  }
}

/** Redis replies that mean "not now" rather than "this write is wrong". */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY) /;

/**
 * True when the command failed because Redis could not be reached (socket
 * ended, closed, timed out, retries used up) rather than with Redis's own
 * error reply. The status alone is not enough: a socket Redis just closed
 * refuses commands before ioredis leaves 'ready'.
 */
function unreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name !== 'ReplyError') return true;
  return UNAVAILABLE_REPLY.test(err.message);
}

function parseRegistration(json: string): Registration {
  return JSON.parse(json) as Registration;
}


