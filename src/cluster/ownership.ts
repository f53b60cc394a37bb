// Which replica holds which registree (DESIGN 6): the ownership records of
// the Redis cluster (redis-cluster.ts composes this with replica-messages.ts).
//
// Keys (under the same prefix as the store's keys):
//   lease:<name>      string  the replica is alive: TTL --owner-ttl, extended
//                             every third of it (issue 19); its value is the
//                             number of registrees bound there at that round
//   replicas          set     names of replicas that wrote a lease; the bound
//                             count reads their leases and drops the lapsed
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
// (The channels and message keys are replica-messages.ts's.)
//
// Liveness (issue 19): a replica's death is its lease lapsing, one key per
// replica, instead of a TTL on every record refreshed every third of it: an
// idle fleet of n registrees cost 2n/(TTL/3) commands per second before, now
// about 3 + 2n/(TTL/3 × SWEEP_ROUNDS). Whoever reads a record (routing, the
// admin API) reads the owner's lease with it. The bound count (registrees
// gauge, once a minute) reads no record: each replica publishes its own count
// in its lease value every round, and a reader sums the other live replicas'
// (one GET per replica, no SCAN of owner:*), which lag by up to a round.
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
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { ClusterHandlers } from './cluster.js';
import { encodeMessage } from './cluster-message.js';
import { LUA_BOUND, LUA_CLAIM, LUA_LEASE, LUA_REFRESH, LUA_RELEASE } from './cluster-scripts.js';
import { RefreshPlan, SWEEP_ROUNDS } from './refresh-plan.js';
import { globEscape } from '../store/redis-connection.js';

/** Ownership records checked per script call, and IDs taken from revoked:<me> per round. */
const REFRESH_BATCH = 500;
/**
 * Lifetime of epoch:<id> after the last claim (a holder's refresh restores
 * it): longer than any stale holder can go without refreshing, short enough
 * that IDs which never bind again do not stay in Redis for ever.
 */
const EPOCH_TTL_MS = 24 * 3600_000;

export function ownerKey(prefix: string, id: string): string {
  return prefix + 'owner:' + id;
}

export function leaseKey(prefix: string, replica: string): string {
  return prefix + 'lease:' + replica;
}

function epochKey(prefix: string, id: string): string {
  return prefix + 'epoch:' + id;
}

interface OwnershipScripts {
  bridgeClaim(ownerKey: string, epochKey: string, me: string, ttl: number, epochTtl: number, prefix: string, id: string): Promise<[string | null, number]>;
  bridgeLease(leaseKey: string, revokedKey: string, replicasKey: string, ttl: number, most: number, bound: number, me: string): Promise<[number, string[]]>;
  bridgeBound(replicasKey: string, prefix: string, me: string): Promise<number>;
  bridgeRelease(ownerKey: string, epochKey: string, me: string, epoch: number): Promise<number>;
  bridgeRefresh(numKeys: number, ...args: Array<string | number>): Promise<[number[], number[]]>;
}
export type OwnershipConnection = Redis & OwnershipScripts;

/** Defines the ownership scripts on the command connection. */
export function defineOwnershipScripts(cmd: Redis): void {
  cmd.defineCommand('bridgeClaim', { numberOfKeys: 2, lua: LUA_CLAIM });
  cmd.defineCommand('bridgeRelease', { numberOfKeys: 2, lua: LUA_RELEASE });
  cmd.defineCommand('bridgeRefresh', { lua: LUA_REFRESH });
  cmd.defineCommand('bridgeLease', { numberOfKeys: 3, lua: LUA_LEASE });
  cmd.defineCommand('bridgeBound', { numberOfKeys: 1, lua: LUA_BOUND });
}

export interface OwnershipOptions {
  prefix: string;
  replicaId: string;
  /** Lifetime of this replica's lease; extended every third of it. */
  ownerTtlMs: number;
  logger: Logger;
  /** The command connection while the cluster runs (undefined before start and after stop). */
  connection(): OwnershipConnection | undefined;
  handlers(): ClusterHandlers | undefined;
  /** The channel a replica listens on (replica-messages.ts): a claim tells the previous owner there. */
  channelOf(replica: string): string;
}

export class Ownership {
  private readonly o: OwnershipOptions;
  private readonly replicaId: string;
  /** Lifetime of an ownership record: long, a dead replica's lease ends its records sooner. */
  private readonly recordTtlMs: number;
  /** A refresh round every third of the lease's lifetime. */
  private readonly periodMs: number;
  private readonly plan: RefreshPlan;
  /** Registrees this replica has claimed (and refreshes), with the epoch of the claim (0: not answered yet, or never). */
  private readonly owned = new Map<string, number>();
  /** Claims on their way to Redis: a refresh must not mistake the old owner's record for a loss. */
  private readonly claiming = new Map<string, number>();
  /** Release messages that arrived while a claim of ours was on its way: decided once it is answered. */
  private readonly recheck = new Map<string, string>();
  private refreshTimer: NodeJS.Timeout | undefined;
  /** The refresh round under way, if any. */
  private refreshRound: Promise<void> | undefined;

  constructor(options: OwnershipOptions) {
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
    return ownerKey(this.o.prefix, id);
  }

  private epochKey(id: string): string {
    return epochKey(this.o.prefix, id);
  }

  private leaseKey(replica: string): string {
    return leaseKey(this.o.prefix, replica);
  }

  /** The registrees this replica holds. */
  held(): IterableIterator<string> {
    return this.owned.keys();
  }

  /**
   * Connected: the lease runs before the first claim (other replicas' claims
   * tell revoked:<me> from now on), records an earlier run left go in the
   * background, and a refresh round runs every third of the lease's lifetime.
   */
  async start(cmd: OwnershipConnection): Promise<void> {
    await this.refresh();
    void this.forgetEarlierRun(cmd);
    this.refreshTimer = setInterval(() => {
      if (this.refreshRound === undefined) void this.refresh();
    }, this.periodMs);
    this.refreshTimer.unref();
  }

  /** Back after an outage: the lease may have lapsed meanwhile; until it runs again nobody routes to us. */
  reconnected(): void {
    if (this.refreshRound === undefined) void this.refresh();
  }

  /** Ends the refresh rounds; records of registrees still bound here go now, not at their TTL. */
  async stop(): Promise<void> {
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    const cmd = this.o.connection();
    if (cmd !== undefined && cmd.status === 'ready') {
      await Promise.all([...this.owned].map(([id, epoch]) => cmd.bridgeRelease(this.ownerKey(id), this.epochKey(id), this.replicaId, epoch).catch(() => 0)));
      await cmd.del(this.leaseKey(this.replicaId)).catch(() => 0);
      await cmd.srem(this.k('replicas'), this.replicaId).catch(() => 0);
    }
    this.owned.clear();
  }

  async claim(id: string): Promise<void> {
    const cmd = this.o.connection();
    if (cmd === undefined) return;
    this.owned.set(id, 0);
    this.claiming.set(id, (this.claiming.get(id) ?? 0) + 1);
    try {
      const [previous, epoch] = await cmd.bridgeClaim(this.ownerKey(id), this.epochKey(id), this.replicaId, this.recordTtlMs, EPOCH_TTL_MS, this.o.prefix, id);
      // Released meanwhile: that compare-and-delete came after this claim in Redis.
      if (this.owned.has(id)) this.owned.set(id, epoch);
      if (previous !== null && previous !== this.replicaId) {
        await cmd.publish(this.o.channelOf(previous), encodeMessage({ t: 'release', id, by: this.replicaId }));
      }
    } catch (err) {
      // Redis away: the refresh claims once it is back (epoch 0).
      if (this.owned.has(id)) this.owned.set(id, 0);
      this.o.logger.warn({ registree: id, err: errorMessage(err) }, 'cluster: could not record ownership');
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
    const cmd = this.o.connection();
    if (cmd === undefined) return;
    try {
      await cmd.bridgeRelease(this.ownerKey(id), this.epochKey(id), this.replicaId, epoch);
    } catch (err) {
      // The record expires with its TTL; until then routed requests find no subscriber here.
      this.o.logger.warn({ registree: id, err: errorMessage(err) }, 'cluster: could not remove ownership record');
    }
  }

  async owners(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const cmd = this.o.connection();
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
  private async leasesRunning(cmd: Redis, owners: ReadonlyArray<string | null>): Promise<Set<string>> {
    const names = [...new Set(owners.filter((v): v is string => v !== null))];
    if (names.length === 0) return new Set();
    const leases = await cmd.mget(names.map((n) => this.leaseKey(n)));
    return new Set(names.filter((_, i) => leases[i] !== null));
  }

  /** Registrees bound here (now) and on the other live replicas (as of their last round). */
  async boundCount(): Promise<number | undefined> {
    const cmd = this.o.connection();
    if (cmd === undefined) return undefined;
    return this.owned.size + (await cmd.bridgeBound(this.k('replicas'), this.o.prefix, this.replicaId));
  }

  /**
   * Records naming this replica that it does not hold: left by an earlier run
   * under the same name that ended without a goodbye (a container restarted
   * in its pod). The new lease would make them count again (routing, admin
   * API, bound count): they go, one SCAN page at a time, in the background.
   */
  private async forgetEarlierRun(cmd: OwnershipConnection): Promise<void> {
    const match = `${globEscape(this.o.prefix)}owner:*`;
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
      } while (cursor !== '0' && this.o.connection() === cmd);
    } catch (err) {
      // Stopped meanwhile: nothing to say.
      if (this.o.connection() === cmd) this.o.logger.warn({ err: errorMessage(err) }, 'cluster: records an earlier run of this replica left could not all be removed; they expire');
    }
  }

  /** Another replica claimed `id` (its release message); close ours unless we claimed it again since. */
  async released(id: string, by: string): Promise<void> {
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
      const cmd = this.o.connection();
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
    this.o.handlers()?.release(id, 'replaced');
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
    const cmd = this.o.connection();
    if (cmd === undefined || cmd.status !== 'ready') return;
    try {
      const [running, revoked] = await cmd.bridgeLease(this.leaseKey(this.replicaId), this.k(`revoked:${this.replicaId}`), this.k('replicas'), this.o.ownerTtlMs, REFRESH_BATCH, this.owned.size, this.replicaId);
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
          this.o.handlers()?.release(id, 'replaced');
        }
        for (let j = 0; j + 1 < claimed.length; j += 2) {
          const id = batch[claimed[j] - 1];
          if (id !== undefined && !this.claiming.has(id) && this.owned.get(id) === 0) this.owned.set(id, claimed[j + 1]);
        }
      }
    } catch (err) {
      this.o.logger.warn({ err: errorMessage(err) }, 'cluster: refreshing ownership failed; next round');
    }
  }
}
