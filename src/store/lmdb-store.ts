// --store lmdb:DIR: one node, durable (DESIGN 5). lmdb-js commits writes in
// batches on its own thread ("group commit"), so no fsync blocks the event
// loop; a write's promise resolves once its batch is committed, and we also
// wait for the flush, so what resolved survives a crash (DESIGN 4: stored
// requests are durable).
//
// The sub-databases and opening them: lmdb-layout.ts.
// Counters, seqs and the sur lookup live in a QueueLedger rebuilt at open() by
// one scan of `expiry` (small values; the requests themselves are not decoded),
// and purgeExpired() reads `expiry` from its start up to now, a chunk at a
// time, instead of looking at every stored request. A queue entry and its
// expiry entry are written and removed in the same commit.
import { bridgeError } from '../errors.js';
import { storeError } from './store-error.js';
import { QueueLedger, isExpired } from './queue-ledger.js';
import { entryCount, expiryValue, loadLedger, makeDirectory, openHandles, rebuildExpiry } from './lmdb-layout.js';
import type { ExpiryKey, Handles, StoredRequest } from './lmdb-layout.js';
import { SummaryBuilder, idMatches, needleOf, pageOf } from './registration-page.js';
import type { LedgerEntry } from './queue-ledger.js';
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

export interface LmdbStoreOptions {
  /** Clock for `storedAt` and for skipping expired requests in peek (tests inject one). */
  now?: () => number;
}

/** Largest seq an ordered key can hold exactly; the upper end of a registree's key range. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;
/**
 * Expired requests removed per commit by purgeExpired(); the event loop is
 * free while each commit is written (issue 19: event-loop delay p99 < 50 ms
 * while a sweep runs over a 100k-registree store). 1000 cost about 12 ms of
 * CPU per chunk at load 13 and 230 ms stalls at load 35 on 2 cores.
 */
export const PURGE_CHUNK = 250;

export class LmdbStore implements Store {
  readonly description: string;
  readonly shared = false;
  private readonly dir: string;
  private readonly now: () => number;
  private db: Handles | undefined;
  private ledger = new QueueLedger<LedgerEntry>();
  /**
   * Per registree, the commit of its latest enqueue while it is under way.
   * The ledger holds the request from the call on, the read snapshot only from
   * the commit on: peek waits for it (read your writes, see peek).
   */
  private readonly committing = new Map<string, Promise<unknown>>();

  constructor(dir: string, options: LmdbStoreOptions = {}) {
    this.dir = dir;
    this.description = `lmdb:${dir}`;
    this.now = options.now ?? Date.now;
  }

  available(): boolean {
    return this.db !== undefined;
  }

  async open(): Promise<void> {
    if (this.db !== undefined) return;
    try {
      await makeDirectory(this.dir);
      this.db = openHandles(this.dir);
      if (entryCount(this.db.expiry) !== entryCount(this.db.queue)) await rebuildExpiry(this.db);
    } catch (err) {
      this.db = undefined;
      throw storeError(`cannot open ${this.description}`, err);
    }
    this.ledger = loadLedger(this.db);
  }

  async close(): Promise<void> {
    const db = this.db;
    if (db === undefined) return;
    this.db = undefined;
    await db.root.close(); // waits for outstanding commits
  }

  async getRegistration(id: string): Promise<Registration | undefined> {
    return this.handles().registrations.get(id);
  }

  async getRegistrationByKey(key: string): Promise<Registration | undefined> {
    const db = this.handles();
    const id = db.keys.get(key);
    if (id === undefined) return undefined;
    const reg = db.registrations.get(id);
    return reg !== undefined && reg.key === key ? reg : undefined;
  }

  async putRegistration(reg: Registration): Promise<void> {
    const db = this.handles();
    const value = { ...reg }; // encoded inside the transaction: copy what the caller gave now
    // A transaction callback reads and writes atomically, in call order, so
    // the key index stays consistent with concurrent replaces.
    await this.durable(
      db.root.transaction(() => {
        const previous = db.registrations.get(reg.id);
        if (previous !== undefined && previous.key !== reg.key && db.keys.get(previous.key) === reg.id) {
          void db.keys.remove(previous.key);
        }
        void db.registrations.put(reg.id, value);
        void db.keys.put(reg.key, reg.id);
      }),
    );
  }

  async deleteRegistration(id: string): Promise<void> {
    const db = this.handles();
    await this.durable(
      db.root.transaction(() => {
        const previous = db.registrations.get(id);
        if (previous === undefined) return;
        void db.registrations.remove(id);
        if (db.keys.get(previous.key) === id) void db.keys.remove(previous.key);
      }),
    );
  }

  async listRegistrations(): Promise<Registration[]> {
    return [...this.handles().registrations.getRange()].map(({ value }) => value);
  }

  async countRegistrations(): Promise<number> {
    // The B-tree's own entry count: O(1), where listing decodes every registration.
    return entryCount(this.handles().registrations);
  }

  async listRegistrationsPage(query: RegistrationPageQuery): Promise<RegistrationPage> {
    const db = this.handles();
    const after = query.after ?? '';
    const needle = needleOf(query);
    const found: Registration[] = [];
    // Keys only while filtering: a value is decoded for a match alone.
    for (const id of db.registrations.getKeys(after === '' ? {} : { start: after })) {
      if (id === after || !idMatches(id, needle)) continue;
      const reg = db.registrations.get(id);
      if (reg === undefined) continue;
      found.push(reg);
      if (found.length > query.limit) break;
    }
    return pageOf(found, query.limit);
  }

  async enqueue(id: string, item: EnqueueRequest, limits: QueueLimits): Promise<EnqueueResult> {
    const db = this.handles();
    const storedAt = this.now();
    // Caps are checked and counters moved synchronously, before any await, so
    // concurrent enqueues cannot overshoot a cap (DESIGN 4).
    const r = this.ledger.reserve(id, item, limits, (seq) => {
      const e: LedgerEntry = { seq, bytes: item.bytes, expiresAt: item.expiresAt };
      if (item.sur !== undefined) e.sur = item.sur;
      return e;
    });
    if (!r.stored) return r;
    const value: StoredRequest = { request: item.request, bytes: item.bytes, expiresAt: item.expiresAt, storedAt };
    if (item.sur !== undefined) value.sur = item.sur;
    try {
      // ec = latest (TS-0004 6.3.3): the replaced entries go and the new one
      // comes in the same commit, so a crash never leaves both or neither.
      const write = db.root.batch(() => {
        for (const old of r.removed) removeEntry(db, id, old);
        void db.queue.put([id, r.entry.seq], value);
        void db.expiry.put([r.entry.expiresAt, id, r.entry.seq], expiryValue(r.entry));
      });
      this.committing.set(id, write);
      const committed = (): void => {
        if (this.committing.get(id) === write) this.committing.delete(id);
      };
      write.then(committed, committed);
      await this.durable(write);
    } catch (err) {
      this.ledger.unreserve(id, r.entry, r.removed);
      throw storeError(`cannot store a request for ${id}`, err);
    }
    return { stored: true, seq: r.entry.seq, replaced: r.removed.length };
  }

  async peek(id: string, afterSeq: number, limit: number): Promise<QueuedRequest[]> {
    const out: QueuedRequest[] = [];
    if (limit <= 0) return out;
    // Read your writes (DESIGN 4: every stored request is delivered): a request
    // whose enqueue was called is in the ledger at once but in the read
    // snapshot only once committed. A registree that binds meanwhile gets no
    // kick for it (it was offline when it came), so its drain must see it here.
    // Commits land in call order: the latest one covers those before it.
    const committing = this.committing.get(id);
    if (committing !== undefined) await committing.then(noop, noop);
    const db = this.handles();
    const now = this.now();
    const range = db.queue.getRange({ start: [id, afterSeq], end: [id, MAX_SEQ] });
    for (const { key, value } of range) {
      const seq = key[1];
      if (seq <= afterSeq) continue;
      // The ledger is the truth while a removal (ack, replace) is still being committed.
      if (this.ledger.get(id, seq) === undefined) continue;
      if (isExpired(value, now)) continue; // DESIGN 4: expired requests are not sent
      const q: QueuedRequest = { seq, request: value.request, bytes: value.bytes, expiresAt: value.expiresAt, storedAt: value.storedAt };
      if (value.sur !== undefined) q.sur = value.sur;
      out.push(q);
      if (out.length >= limit) break;
    }
    return out;
  }

  async ack(id: string, seq: number): Promise<void> {
    return this.ackMany(id, [seq]);
  }

  async ackMany(id: string, seqs: readonly number[]): Promise<void> {
    const db = this.handles();
    const removed: LedgerEntry[] = [];
    for (const seq of seqs) {
      const entry = this.ledger.delete(id, seq);
      if (entry !== undefined) removed.push(entry);
    }
    if (removed.length === 0) return;
    try {
      // One commit and one flush for all of them: a drain no longer waits for a flush per request.
      await this.durable(
        db.root.batch(() => {
          for (const e of removed) removeEntry(db, id, e);
        }),
      );
    } catch (err) {
      this.ledger.restore(id, removed);
      throw storeError(removed.length === 1 ? `cannot remove request ${removed[0].seq} of ${id}` : `cannot remove ${removed.length} requests of ${id}`, err);
    }
  }

  async ackAcross(acks: ReadonlyMap<string, readonly number[]>): Promise<ReadonlyMap<string, Error>> {
    const db = this.handles();
    const removed: Array<{ id: string; entry: LedgerEntry }> = [];
    for (const [id, seqs] of acks) {
      for (const seq of seqs) {
        const entry = this.ledger.delete(id, seq);
        if (entry !== undefined) removed.push({ id, entry });
      }
    }
    if (removed.length === 0) return NO_FAILURES;
    try {
      // One transaction, commit and flush for every registree's acknowledgements (issue 19).
      await this.durable(
        db.root.batch(() => {
          for (const { id, entry } of removed) removeEntry(db, id, entry);
        }),
      );
    } catch (err) {
      for (const [id, entries] of byRegistree(removed)) this.ledger.restore(id, entries);
      const error = storeError(`cannot remove ${removed.length} requests of ${acks.size} registrees`, err);
      return new Map([...acks.keys()].map((id) => [id, error]));
    }
    return NO_FAILURES;
  }

  async purgeExpired(now: number): Promise<number> {
    // Chunk by chunk along the expiry index, from its start up to `now`:
    // never a scan of every stored request, never all of them in one tick.
    let purged = 0;
    let after: ExpiryKey | undefined;
    for (;;) {
      const db = this.db;
      if (db === undefined) return purged; // closed meanwhile: the rest waits for the next sweep
      const chunk: Array<{ id: string; entry: LedgerEntry }> = [];
      let last: ExpiryKey | undefined;
      let read = 0;
      for (const key of db.expiry.getKeys({ ...(after !== undefined ? { start: after } : {}), end: [Math.floor(now) + 1], limit: PURGE_CHUNK + 1 })) {
        if (after !== undefined && sameKey(key, after)) continue;
        if (read === PURGE_CHUNK) break;
        read++;
        last = key;
        const [expiresAt, id, seq] = key;
        if (!isExpired({ expiresAt }, now)) continue;
        // Gone from the ledger: acknowledged or replaced, its removal is being committed.
        const entry = this.ledger.delete(id, seq);
        if (entry !== undefined) chunk.push({ id, entry });
      }
      if (chunk.length > 0) {
        try {
          await this.durable(
            db.root.batch(() => {
              for (const { id, entry } of chunk) removeEntry(db, id, entry);
            }),
          );
        } catch (err) {
          for (const [id, entries] of byRegistree(chunk)) this.ledger.restore(id, entries);
          throw storeError('cannot purge expired requests', err);
        }
        purged += chunk.length;
      } else if (read === PURGE_CHUNK) {
        // A whole chunk of removals still being committed (a big dropQueue): give the loop back all the same.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (last === undefined || read < PURGE_CHUNK) return purged;
      after = last;
    }
  }

  async dropQueue(id: string): Promise<void> {
    const db = this.handles();
    const entries = this.ledger.drop(id);
    if (entries.length === 0) return;
    try {
      await this.durable(
        db.root.batch(() => {
          for (const e of entries) removeEntry(db, id, e);
        }),
      );
    } catch (err) {
      this.ledger.restore(id, entries);
      throw storeError(`cannot drop the queue of ${id}`, err);
    }
  }

  queueStats(id: string): QueueTotals {
    return this.ledger.stats(id);
  }

  totals(): QueueTotals {
    return this.ledger.totals();
  }

  queuedIds(): string[] {
    return this.ledger.ids();
  }

  async oldestStoredAt(id: string): Promise<number | undefined> {
    for (const { key, value } of this.queueOf(id)) if (this.ledger.get(id, key[1]) !== undefined) return value.storedAt;
    return undefined;
  }

  async queueSummary(id: string): Promise<QueueSummary> {
    const b = new SummaryBuilder();
    // The ledger is the truth while a removal is still being committed (as in peek).
    for (const { key, value } of this.queueOf(id)) if (this.ledger.get(id, key[1]) !== undefined) b.add(value);
    return b.build();
  }

  private queueOf(id: string) {
    return this.handles().queue.getRange({ start: [id, 0], end: [id, MAX_SEQ] });
  }

  private handles(): Handles {
    if (this.db === undefined) {
      throw bridgeError('BRIDGE_ERR_STORE', `${this.description} is not open`);
    }
    return this.db;
  }

  /** Resolves once the write is committed and flushed to disk (lmdb-js overlappingSync flushes after the commit). */
  private async durable(write: Promise<unknown>): Promise<void> {
    await write;
    const db = this.db;
    if (db !== undefined) await db.root.flushed;
  }
}

function noop(): void {}

const NO_FAILURES: ReadonlyMap<string, Error> = new Map();

/** Removes one stored request and its expiry entry (inside a batch or transaction). */
function removeEntry(db: Handles, id: string, e: LedgerEntry): void {
  void db.queue.remove([id, e.seq]);
  void db.expiry.remove([e.expiresAt, id, e.seq]);
}

function sameKey(a: ExpiryKey, b: ExpiryKey): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

function byRegistree(list: ReadonlyArray<{ id: string; entry: LedgerEntry }>): Map<string, LedgerEntry[]> {
  const out = new Map<string, LedgerEntry[]>();
  for (const { id, entry } of list) {
    const l = out.get(id);
    if (l === undefined) out.set(id, [entry]);
    else l.push(entry);
  }
  return out;
}
