// Replicas sharing one Redis behave as one bridge (DESIGN 6).
//
// Keys and channels (under the same prefix as the store's keys):
//   lease:<name>      string  the replica is alive: TTL --owner-ttl, extended
//                             every third of it (issue 19)
//   owner:<id>        string  replica holding the registree's socket; counts
//                             only while that replica's lease runs. Its own TTL
//                             (3 sweeps: 3 h with --owner-ttl 30s) only clears records
//                             of replicas that died; the holder extends it
//                             once per sweep (refresh-plan.ts)
//   epoch:<id>        integer the fencing token: incremented by every claim, so
//                             each claim has its own number; TTL EPOCH_TTL_MS
//                             after the last claim (a holder restores it)
//   revoked:<name>    set     IDs other replicas claimed from this one while
//                             its lease ran; its refresh takes and checks them
//   replica:<name>    channel what other replicas send this replica (cluster-message.ts)
//
// Liveness (issue 19): a replica's death is its lease lapsing, one key per
// replica, instead of a TTL on every record refreshed every third of it: an
// idle fleet of n registrees cost 2n/(TTL/3) commands per second before, now
// about 2 + 2n/(TTL/3 × SWEEP_ROUNDS). Whoever reads a record (routing, the
// admin API, the bound count) reads the owner's lease with it.
//
// Ownership: binding a registree SETs owner:<id>, increments epoch:<id> and
// reads the previous owner in one script; a previous owner elsewhere gets
// `release` and closes its socket, so the last binding in Redis's order wins
// cluster-wide (TS-0020 5.2). The replica remembers the epoch of each claim.
// A closing socket deletes the record only if it still names this replica
// with that epoch (compare-and-delete), so a faster reconnect elsewhere is
// not undone.
//
// Fencing (issue 14 4b): the refresh extends a record only while it names
// this replica with this replica's epoch, and puts back a missing record only
// while epoch:<id> still holds that epoch (Redis lost the record, or
// everything: no claim came since). Otherwise another replica claimed the
// registree after us, even if it has released it again since: the refresh
// reports it lost and the socket here closes. The refresh checks the records
// another claim named in revoked:<me>, and all of them when its lease had
// lapsed (then no claim wrote to revoked:<me>). Without the epoch a refresh
// between another replica's claim and quick release put the record back,
// and the late release message then found this replica named in it: two
// connections for one registree.
//
// Routing: a downlink request for a registree bound elsewhere is PUBLISHed on
// its owner's channel; the owner delivers it (or applies the offline rules)
// and PUBLISHes the answer back. PUBLISH says how many subscribers got the
// message: 0 means the owner is gone (killed, its record not yet expired), and
// the request follows the offline rules here. A request or answer above 64 KiB
// goes into a short-lived key msg:<replica>:<random> and only a reference is
// published (message-ref.ts): whole bodies on a channel can pass Redis's
// pub/sub output-buffer limit, which disconnects the subscriber.
//
// A request stored while its registree binds on another replica meanwhile is
// not stranded: after storing, the storing replica reads owner:<id> again and
// kicks the owner (the owner claims before it drains, so one of the two sees
// the other).
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { bridgeError } from '../errors.js';
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';
import { responseForError } from '../primitive/error-primitive.js';
import type { Cluster, ClusterHandlers, RouteResult } from './cluster.js';
import { decodeMessage, encodeMessage } from './cluster-message.js';
import type { ClusterMessage } from './cluster-message.js';
import { INLINE_MAX_BYTES, messageKey, publishMessage, reference, takeMessage } from './message-ref.js';
import { LUA_CLAIM, LUA_LEASE, LUA_REFRESH, LUA_RELEASE, LUA_ROUTE } from './cluster-scripts.js';
import { RefreshPlan, SWEEP_ROUNDS } from './refresh-plan.js';
import type { RouteOutcome } from '../metrics/metrics.js';
import { redisCommandOptions, redisConnectionOptions } from '../store/redis-connection.js';
import type { RedisTls } from '../store/redis-connection.js';


export interface RedisClusterOptions {
  url: string;
  prefix: string;
  replicaId: string;
  /** Lifetime of this replica's lease; extended every third of it. */
  ownerTtlMs: number;
  logger: Logger;
  /** rediss://: the CA the server's certificate must chain to (--redis-ca). */
  tls?: RedisTls;
  onRoute?(outcome: RouteOutcome): void;
}

const COMMAND_TIMEOUT_MS = 5000;
/** Ownership records checked per script call, and IDs taken from revoked:<me> per round. */
const REFRESH_BATCH = 500;
/**
 * Lifetime of epoch:<id> after the last claim (a holder's refresh restores
 * it): longer than any stale holder can go without refreshing, short enough
 * that IDs which never bind again do not stay in Redis for ever.
 */
const EPOCH_TTL_MS = 24 * 3600_000;
/** Time a routed request may take beyond the owner's own --downlink-timeout. */
const ROUTE_MARGIN_MS = 1000;

interface ScriptCommands {
  bridgeClaim(ownerKey: string, epochKey: string, me: string, ttl: number, epochTtl: number, prefix: string, id: string): Promise<[string | null, number]>;
  bridgeLease(leaseKey: string, revokedKey: string, ttl: number, most: number): Promise<[number, string[]]>;
  bridgeRelease(ownerKey: string, epochKey: string, me: string, epoch: number): Promise<number>;
  bridgeRefresh(numKeys: number, ...args: Array<string | number>): Promise<[number[], number[]]>;
  bridgeRoute(ownerKey: string, messageKey: string, me: string, channelPrefix: string, message: Buffer, ref: Buffer | string, ttl: number, leasePrefix: string): Promise<[string, number]>;
}
type Connection = Redis & ScriptCommands;

interface PendingCall {
  resolve(rsp: ResponsePrimitive): void;
  timer: NodeJS.Timeout;
}

export class RedisCluster implements Cluster {
  readonly replicaId: string;
  private readonly o: RedisClusterOptions;
  /** Lifetime of an ownership record: long, a dead replica's lease ends its records sooner. */
  private readonly recordTtlMs: number;
  /** A refresh round every third of the lease's lifetime. */
  private readonly periodMs: number;
  private readonly plan: RefreshPlan;
  private cmd: Connection | undefined;
  private sub: Redis | undefined;
  private handlers: ClusterHandlers | undefined;
  /** Registrees this replica has claimed (and refreshes), with the epoch of the claim (0: not answered yet, or never). */
  private readonly owned = new Map<string, number>();
  /** Claims on their way to Redis: a refresh must not mistake the old owner's record for a loss. */
  private readonly claiming = new Map<string, number>();
  /** Release messages that arrived while a claim of ours was on its way: decided once it is answered. */
  private readonly recheck = new Map<string, string>();
  private readonly calls = new Map<number, PendingCall>();
  private nextCall = 0;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** The refresh round under way, if any. */
  private refreshRound: Promise<void> | undefined;
  private subscribedOnce = false;
  /** Messages waiting behind one being read by reference: acted on in the order they were published. */
  private inbound: Promise<void> | undefined;

  constructor(options: RedisClusterOptions) {
    this.o = options;
    this.replicaId = options.replicaId;
    // A record is checked (its epoch counter restored) well within EPOCH_TTL_MS, whatever --owner-ttl.
    this.periodMs = Math.max(100, Math.floor(options.ownerTtlMs / 3));
    this.plan = new RefreshPlan(Math.max(1, Math.min(SWEEP_ROUNDS, Math.floor(EPOCH_TTL_MS / 4 / this.periodMs))));
    this.recordTtlMs = 3 * this.plan.rounds * this.periodMs;
  }

  private k(suffix: string): string {
    return this.o.prefix + suffix;
  }

  private ownerKey(id: string): string {
    return this.o.prefix + 'owner:' + id;
  }

  private epochKey(id: string): string {
    return this.o.prefix + 'epoch:' + id;
  }

  private leaseKey(replica: string): string {
    return this.o.prefix + 'lease:' + replica;
  }

  private channelOf(replica: string): string {
    return this.k(`replica:${replica}`);
  }

  /** Both connections up: ownership can be recorded and requests routed. */
  available(): boolean {
    return this.cmd?.status === 'ready' && this.sub?.status === 'ready';
  }

  async start(handlers: ClusterHandlers): Promise<void> {
    this.handlers = handlers;
    const cmd = new Redis(this.o.url, redisCommandOptions(this.o.url, this.o.tls, COMMAND_TIMEOUT_MS)) as Connection;
    // Not autoResubscribe: ioredis's own re-SUBSCRIBE has no handler, and a stop before its answer rejected it unhandled (issue 16).
    const sub = new Redis(this.o.url, { ...redisConnectionOptions(this.o.url, this.o.tls), autoResubscribe: false });
    let lastError: unknown;
    for (const c of [cmd, sub]) {
      c.on('error', (err: unknown) => {
        lastError = err;
      });
    }
    cmd.defineCommand('bridgeClaim', { numberOfKeys: 2, lua: LUA_CLAIM });
    cmd.defineCommand('bridgeRelease', { numberOfKeys: 2, lua: LUA_RELEASE });
    cmd.defineCommand('bridgeRefresh', { lua: LUA_REFRESH });
    cmd.defineCommand('bridgeLease', { numberOfKeys: 2, lua: LUA_LEASE });
    cmd.defineCommand('bridgeRoute', { numberOfKeys: 2, lua: LUA_ROUTE });
    sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.onMessage(message));
    // Back after an outage: the lease may have lapsed meanwhile; until it runs again nobody routes to us.
    cmd.on('ready', () => {
      if (this.cmd === cmd && this.refreshRound === undefined) void this.refresh();
    });
    sub.on('ready', () => {
      if (!this.subscribedOnce) return;
      // Closed again before Redis answered: the next 'ready' subscribes anew (stop() clears this.sub first).
      sub.subscribe(this.channelOf(this.replicaId)).catch((err: unknown) => {
        if (this.sub === sub) this.o.logger.warn({ err: errText(err) }, 'cluster: could not subscribe again after reconnecting; next reconnect');
      });
      // Back after an outage: requests stored meanwhile could not kick us.
      for (const id of this.owned.keys()) this.handlers?.kick(id);
    });
    try {
      await Promise.all([cmd.connect(), sub.connect()]);
      await sub.subscribe(this.channelOf(this.replicaId));
      this.subscribedOnce = true;
    } catch (err) {
      cmd.disconnect();
      sub.disconnect();
      const detail = lastError instanceof Error ? lastError.message : err instanceof Error ? err.message : String(err);
      throw bridgeError('BRIDGE_ERR_STORE', `cluster: cannot connect to Redis: ${detail}`, { cause: err });
    }
    this.cmd = cmd;
    this.sub = sub;
    // The lease runs before the first claim: other replicas' claims tell revoked:<me> from now on.
    await this.refresh();
    void this.forgetEarlierRun(cmd);
    this.refreshTimer = setInterval(() => {
      if (this.refreshRound === undefined) void this.refresh();
    }, this.periodMs);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    const cmd = this.cmd;
    // Records of registrees still bound here go now, not at their TTL.
    if (cmd !== undefined && cmd.status === 'ready') {
      await Promise.all([...this.owned].map(([id, epoch]) => cmd.bridgeRelease(this.ownerKey(id), this.epochKey(id), this.replicaId, epoch).catch(() => 0)));
      await cmd.del(this.leaseKey(this.replicaId)).catch(() => 0);
    }
    this.owned.clear();
    for (const [c, call] of this.calls) {
      clearTimeout(call.timer);
      this.calls.delete(c);
    }
    this.cmd = undefined;
    const sub = this.sub;
    this.sub = undefined;
    for (const c of [cmd, sub]) {
      if (c === undefined) continue;
      try {
        await c.quit();
      } catch {
        c.disconnect();
      }
    }
  }

  async claim(id: string): Promise<void> {
    const cmd = this.cmd;
    if (cmd === undefined) return;
    this.owned.set(id, 0);
    this.claiming.set(id, (this.claiming.get(id) ?? 0) + 1);
    try {
      const [previous, epoch] = await cmd.bridgeClaim(this.ownerKey(id), this.epochKey(id), this.replicaId, this.recordTtlMs, EPOCH_TTL_MS, this.o.prefix, id);
      // Released meanwhile: that compare-and-delete came after this claim in Redis.
      if (this.owned.has(id)) this.owned.set(id, epoch);
      if (previous !== null && previous !== this.replicaId) {
        await cmd.publish(this.channelOf(previous), encodeMessage({ t: 'release', id, by: this.replicaId }));
      }
    } catch (err) {
      // Redis away: the refresh claims once it is back (epoch 0).
      if (this.owned.has(id)) this.owned.set(id, 0);
      this.o.logger.warn({ registree: id, err: errText(err) }, 'cluster: could not record ownership');
    } finally {
      const n = (this.claiming.get(id) ?? 1) - 1;
      if (n > 0) this.claiming.set(id, n);
      else {
        this.claiming.delete(id);
        const by = this.recheck.get(id);
        if (by !== undefined) {
          this.recheck.delete(id);
          void this.released(id, by);
        }
      }
    }
  }

  async release(id: string): Promise<void> {
    const epoch = this.owned.get(id);
    // Not held any more: the refresh or a release message found a newer claim; the record is not ours.
    if (epoch === undefined) return;
    this.owned.delete(id);
    const cmd = this.cmd;
    if (cmd === undefined) return;
    try {
      await cmd.bridgeRelease(this.ownerKey(id), this.epochKey(id), this.replicaId, epoch);
    } catch (err) {
      // The record expires with its TTL; until then routed requests find no subscriber here.
      this.o.logger.warn({ registree: id, err: errText(err) }, 'cluster: could not remove ownership record');
    }
  }

  async route(id: string, req: RequestPrimitive, timeoutMs: number): Promise<RouteResult> {
    const cmd = this.cmd;
    if (cmd === undefined) return { routed: false };
    // The answer may arrive before the script's reply: wait for it first.
    const c = ++this.nextCall;
    const wait = timeoutMs + ROUTE_MARGIN_MS;
    let owner = '';
    const answer = new Promise<ResponsePrimitive>((resolve) => {
      const timer = setTimeout(() => {
        this.calls.delete(c);
        this.o.onRoute?.('timeout');
        resolve(responseForError(req, bridgeError('BRIDGE_ERR_ROUTE_TIMEOUT', `replica ${owner} holding ${id} did not answer within ${wait} ms`)));
      }, wait);
      this.calls.set(c, { resolve, timer });
    });
    let receivers: number;
    try {
      const message = encodeMessage({ t: 'req', c, from: this.replicaId, id, r: req, w: timeoutMs });
      // Large: stored under a key that outlives the wait, and referenced (message-ref.ts).
      const large = message.length > INLINE_MAX_BYTES;
      const key = large ? messageKey(this.o.prefix, this.replicaId) : this.k('msg:');
      [owner, receivers] = await cmd.bridgeRoute(this.k(`owner:${id}`), key, this.replicaId, this.channelOf(''), message, large ? reference(key) : '', wait, this.leaseKey(''));
    } catch (err) {
      this.dropCall(c);
      this.o.onRoute?.('unavailable');
      throw bridgeError('BRIDGE_ERR_STORE_UNAVAILABLE', `cannot route the request for ${id}: Redis is unreachable (${errText(err)})`, { cause: err });
    }
    if (owner === '' || owner === this.replicaId) {
      this.dropCall(c);
      return { routed: false };
    }
    if (receivers <= 0) {
      // Its owner is gone: its lease has lapsed (-1), or killed, nobody listens on its channel (0).
      this.dropCall(c);
      this.o.onRoute?.('no_owner');
      return { routed: false };
    }
    return { routed: true, rsp: await answer };
  }

  stored(id: string): void {
    const cmd = this.cmd;
    if (cmd === undefined) return;
    cmd.get(this.k(`owner:${id}`)).then(
      (owner) => {
        if (owner === null) return;
        if (owner === this.replicaId) this.handlers?.kick(id);
        else return cmd.publish(this.channelOf(owner), encodeMessage({ t: 'kick', id }));
      },
      // Redis away: delivery waits for the next binding, or the owner's kick when it resubscribes.
      (err: unknown) => this.o.logger.warn({ registree: id, err: errText(err) }, 'cluster: could not tell the owner about a stored request'),
    ).catch(() => undefined);
  }

  async evict(id: string): Promise<void> {
    const cmd = this.cmd;
    if (cmd === undefined) return;
    const owner = await cmd.get(this.k(`owner:${id}`));
    if (owner === null) return;
    if (owner === this.replicaId) this.handlers?.release(id, 'deregistered');
    else await cmd.publish(this.channelOf(owner), encodeMessage({ t: 'evict', id }));
  }

  async owners(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const cmd = this.cmd;
    if (cmd === undefined) return out;
    for (let i = 0; i < ids.length; i += REFRESH_BATCH) {
      const batch = ids.slice(i, i + REFRESH_BATCH);
      const values = await cmd.mget(batch.map((id) => this.k(`owner:${id}`)));
      const alive = await this.leasesRunning(cmd, values);
      values.forEach((v, j) => {
        if (v !== null && alive.has(v)) out.set(batch[j], v);
      });
    }
    return out;
  }

  /** Which of the replicas named in `owners` have a running lease: a record of any other counts for nothing. */
  private async leasesRunning(cmd: Connection, owners: ReadonlyArray<string | null>): Promise<Set<string>> {
    const names = [...new Set(owners.filter((v): v is string => v !== null))];
    if (names.length === 0) return new Set();
    const leases = await cmd.mget(names.map((n) => this.leaseKey(n)));
    return new Set(names.filter((_, i) => leases[i] !== null));
  }

  async boundCount(): Promise<number | undefined> {
    const cmd = this.cmd;
    if (cmd === undefined) return undefined;
    let n = 0;
    let cursor = '0';
    const match = `${this.o.prefix.replace(/[*?[\]\\]/g, '\\$&')}owner:*`;
    do {
      const [next, keys] = await cmd.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      if (keys.length > 0) {
        const owners = await cmd.mget(keys);
        const alive = await this.leasesRunning(cmd, owners);
        for (const v of owners) if (v !== null && alive.has(v)) n++;
      }
      cursor = next;
    } while (cursor !== '0');
    return n;
  }

  /**
   * Records naming this replica that it does not hold: left by an earlier run
   * under the same name that ended without a goodbye (a container restarted
   * in its pod). The new lease would make them count again (routing, admin
   * API, bound count): they go, one SCAN page at a time, in the background.
   */
  private async forgetEarlierRun(cmd: Connection): Promise<void> {
    const match = `${this.o.prefix.replace(/[*?[\]\\]/g, '\\$&')}owner:*`;
    const idAt = this.ownerKey('').length;
    let cursor = '0';
    try {
      do {
        const [next, keys] = await cmd.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (keys.length === 0) continue;
        const owners = await cmd.mget(keys);
        const stale: Array<Promise<number>> = [];
        keys.forEach((key, i) => {
          const id = key.slice(idAt);
          // Checked when the delete is sent: a claim of ours sent before it runs before it.
          if (owners[i] === this.replicaId && !this.owned.has(id) && !this.claiming.has(id)) stale.push(cmd.bridgeRelease(key, this.epochKey(id), this.replicaId, 0));
        });
        await Promise.all(stale);
      } while (cursor !== '0' && this.cmd === cmd);
    } catch (err) {
      // Stopped meanwhile: nothing to say.
      if (this.cmd === cmd) this.o.logger.warn({ err: errText(err) }, 'cluster: records an earlier run of this replica left could not all be removed; they expire');
    }
  }

  private dropCall(c: number): void {
    const call = this.calls.get(c);
    if (call === undefined) return;
    clearTimeout(call.timer);
    this.calls.delete(c);
  }

  private onMessage(bytes: Buffer): void {
    const m = decodeMessage(bytes);
    if (m === undefined) {
      this.o.logger.warn({ bytes: bytes.length }, 'cluster: unreadable message on this replica\'s channel ignored');
      return;
    }
    // Nothing waits and no read by reference is needed: at once (the common case).
    if (this.inbound === undefined && m.t !== 'ref') {
      this.act(m);
      return;
    }
    const turn: Promise<void> = (this.inbound ?? Promise.resolve()).then(() => (m.t === 'ref' ? this.actOnReference(m.k) : this.act(m)));
    this.inbound = turn;
    void turn.finally(() => {
      if (this.inbound === turn) this.inbound = undefined;
    });
  }

  /** A large message: read from its key (message-ref.ts), then acted on. */
  private async actOnReference(key: string): Promise<void> {
    const cmd = this.cmd;
    if (cmd === undefined) return;
    let bytes: Buffer | undefined;
    try {
      bytes = await takeMessage(cmd, key);
    } catch (err) {
      this.o.logger.warn({ err: errText(err) }, 'cluster: a large routed message could not be read; its sender times out');
      return;
    }
    const m = bytes === undefined ? undefined : decodeMessage(bytes);
    if (m === undefined || m.t === 'ref') {
      this.o.logger.warn({ found: bytes !== undefined }, 'cluster: a large routed message expired or is unreadable; its sender times out');
      return;
    }
    this.act(m);
  }

  private act(m: ClusterMessage): void {
    switch (m.t) {
      case 'req':
        void this.answer(m);
        return;
      case 'rsp': {
        const call = this.calls.get(m.c);
        if (call === undefined) return; // timed out already
        clearTimeout(call.timer);
        this.calls.delete(m.c);
        this.o.onRoute?.('answered');
        call.resolve(m.r);
        return;
      }
      case 'release':
        void this.released(m.id, m.by);
        return;
      case 'evict':
        this.handlers?.release(m.id, 'deregistered');
        return;
      case 'kick':
        this.handlers?.kick(m.id);
        return;
      case 'ref':
        return; // read by onMessage
    }
  }

  private async answer(m: Extract<ClusterMessage, { t: 'req' }>): Promise<void> {
    let rsp: ResponsePrimitive;
    try {
      rsp = this.handlers === undefined ? responseForError(m.r, bridgeError('BRIDGE_ERR_INTERNAL', 'replica is stopping')) : await this.handlers.deliver(m.id, m.r);
    } catch (err) {
      rsp = responseForError(m.r, err);
    }
    try {
      const cmd = this.cmd;
      // A large answer goes by reference too; its key lives as long as the sender waits.
      if (cmd !== undefined) await publishMessage(cmd, this.channelOf(m.from), encodeMessage({ t: 'rsp', c: m.c, r: rsp }), () => messageKey(this.o.prefix, this.replicaId), m.w + ROUTE_MARGIN_MS);
    } catch (err) {
      this.o.logger.warn({ registree: m.id, rqi: m.r.rqi, err: errText(err) }, 'cluster: could not return a routed answer');
    }
  }

  /** Another replica claimed `id`; close ours unless we claimed it again since. */
  private async released(id: string, by: string): Promise<void> {
    if (by === this.replicaId || !this.owned.has(id)) return;
    if (this.claiming.has(id)) {
      // Ours may land before or after theirs: decide once it is answered.
      this.recheck.set(id, by);
      return;
    }
    // Our own claim may have landed after theirs: the record decides, with
    // the epoch, so a record our refresh put back does not count (TS-0020 5.2).
    const before = this.owned.get(id);
    let mine = false;
    try {
      const cmd = this.cmd;
      if (cmd !== undefined) {
        const [owner, epoch] = await cmd.mget(this.ownerKey(id), this.epochKey(id));
        const held = this.owned.get(id);
        if (held === undefined) return;
        if (this.claiming.has(id) || held !== before) {
          // A claim of ours started while we read: read again after it.
          if (this.claiming.has(id)) this.recheck.set(id, by);
          else void this.released(id, by);
          return;
        }
        mine = owner === this.replicaId && (held === 0 || epoch === String(held));
      }
    } catch {
      // cannot check: the release message is the newer word
    }
    if (mine || !this.owned.has(id)) return;
    this.owned.delete(id);
    this.handlers?.release(id, 'replaced');
  }

  /**
   * One refresh round now, after the one under way (the timer runs a round
   * every third of the TTL). Resolves when it is done: what it found lost
   * has been handed to `release` by then.
   */
  async refreshOwnership(): Promise<void> {
    while (this.refreshRound !== undefined) await this.refreshRound;
    await this.refresh();
  }

  private refresh(): Promise<void> {
    const round: Promise<void> = this.refreshOnce().finally(() => {
      if (this.refreshRound === round) this.refreshRound = undefined;
    });
    this.refreshRound = round;
    return round;
  }

  /**
   * Extends this replica's lease, then checks the records that need it
   * (refresh-plan.ts); closes connections whose registree another replica took.
   */
  private async refreshOnce(): Promise<void> {
    const cmd = this.cmd;
    if (cmd === undefined || cmd.status !== 'ready') return;
    try {
      const [running, revoked] = await cmd.bridgeLease(this.leaseKey(this.replicaId), this.k(`revoked:${this.replicaId}`), this.o.ownerTtlMs, REFRESH_BATCH);
      this.plan.suspect(revoked);
      const ids = this.plan.next(this.owned, this.claiming, running === 0);
      for (let i = 0; i < ids.length; i += REFRESH_BATCH) {
        const batch = ids.slice(i, i + REFRESH_BATCH);
        const epochs = batch.map((id) => this.owned.get(id) ?? 0);
        const keys: string[] = [];
        for (const id of batch) keys.push(this.ownerKey(id), this.epochKey(id));
        const [lost, claimed] = await cmd.bridgeRefresh(keys.length, ...keys, this.replicaId, this.recordTtlMs, EPOCH_TTL_MS, ...epochs);
        for (const index of lost) {
          const id = batch[index - 1];
          // A claim of ours since then decides anew.
          if (id === undefined || this.claiming.has(id) || this.owned.get(id) !== epochs[index - 1]) continue;
          this.owned.delete(id);
          this.handlers?.release(id, 'replaced');
        }
        for (let j = 0; j + 1 < claimed.length; j += 2) {
          const id = batch[claimed[j] - 1];
          if (id !== undefined && !this.claiming.has(id) && this.owned.get(id) === 0) this.owned.set(id, claimed[j + 1]);
        }
      }
    } catch (err) {
      this.o.logger.warn({ err: errText(err) }, 'cluster: refreshing ownership failed; next round');
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
