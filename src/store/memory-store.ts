// --store memory: for tests and demos; everything is lost on exit (DESIGN 5).
import { QueueLedger, isExpired } from './queue-ledger.js';
import { SummaryBuilder, idMatches, needleOf, pageOf } from './registration-page.js';
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

export interface MemoryStoreOptions {
  /** Clock for `storedAt` and for skipping expired requests in peek (tests inject one). */
  now?: () => number;
}

export class MemoryStore implements Store {
  readonly description = 'memory';
  readonly shared = false;
  private readonly byId = new Map<string, Registration>();
  private readonly idByKey = new Map<string, string>();
  /** The IDs in order, for pages; dropped when an ID comes or goes. */
  private sortedIds: string[] | undefined;
  private readonly ledger = new QueueLedger<QueuedRequest>();
  private readonly now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async open(): Promise<void> {}

  available(): boolean {
    return true;
  }

  async close(): Promise<void> {}

  async getRegistration(id: string): Promise<Registration | undefined> {
    const reg = this.byId.get(id);
    return reg === undefined ? undefined : { ...reg };
  }

  async getRegistrationByKey(key: string): Promise<Registration | undefined> {
    const id = this.idByKey.get(key);
    return id === undefined ? undefined : this.getRegistration(id);
  }

  async putRegistration(reg: Registration): Promise<void> {
    const previous = this.byId.get(reg.id);
    if (previous !== undefined && previous.key !== reg.key) this.idByKey.delete(previous.key);
    if (previous === undefined) this.sortedIds = undefined;
    this.byId.set(reg.id, { ...reg });
    this.idByKey.set(reg.key, reg.id);
  }

  async deleteRegistration(id: string): Promise<void> {
    const previous = this.byId.get(id);
    if (previous === undefined) return;
    this.byId.delete(id);
    this.sortedIds = undefined;
    this.idByKey.delete(previous.key);
  }

  async listRegistrations(): Promise<Registration[]> {
    return [...this.byId.values()].map((r) => ({ ...r }));
  }

  async countRegistrations(): Promise<number> {
    return this.byId.size;
  }

  async listRegistrationsPage(query: RegistrationPageQuery): Promise<RegistrationPage> {
    const after = query.after ?? '';
    const needle = needleOf(query);
    // Sorted once per change of the ID set, not per page (100k IDs: tens of ms).
    const ids = (this.sortedIds ??= [...this.byId.keys()].sort());
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid] <= after) lo = mid + 1;
      else hi = mid;
    }
    const found: Registration[] = [];
    for (let i = lo; i < ids.length && found.length <= query.limit; i++) {
      if (idMatches(ids[i], needle)) found.push({ ...this.byId.get(ids[i])! });
    }
    return pageOf(found, query.limit);
  }

  async enqueue(id: string, item: EnqueueRequest, limits: QueueLimits): Promise<EnqueueResult> {
    const storedAt = this.now();
    const r = this.ledger.reserve(id, item, limits, (seq) => {
      const entry: QueuedRequest = {
        seq,
        request: structuredClone(item.request),
        bytes: item.bytes,
        expiresAt: item.expiresAt,
        storedAt,
      };
      if (item.sur !== undefined) entry.sur = item.sur;
      return entry;
    });
    if (!r.stored) return r;
    return { stored: true, seq: r.entry.seq, replaced: r.removed.length };
  }

  async peek(id: string, afterSeq: number, limit: number): Promise<QueuedRequest[]> {
    const now = this.now();
    const out: QueuedRequest[] = [];
    if (limit <= 0) return out;
    for (const e of this.ledger.entries(id)) {
      if (e.seq <= afterSeq || isExpired(e, now)) continue; // DESIGN 4: expired requests are not sent
      out.push(structuredClone(e));
      if (out.length >= limit) break;
    }
    return out;
  }

  async ack(id: string, seq: number): Promise<void> {
    this.ledger.delete(id, seq);
  }

  async ackMany(id: string, seqs: readonly number[]): Promise<void> {
    for (const seq of seqs) this.ledger.delete(id, seq);
  }

  async ackAcross(acks: ReadonlyMap<string, readonly number[]>): Promise<ReadonlyMap<string, Error>> {
    for (const [id, seqs] of acks) await this.ackMany(id, seqs);
    return new Map();
  }

  async purgeExpired(now: number): Promise<number> {
    return this.ledger.dropExpired(now).length;
  }

  async dropQueue(id: string): Promise<void> {
    this.ledger.drop(id);
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
    for (const e of this.ledger.entries(id)) return e.storedAt;
    return undefined;
  }

  async queueSummary(id: string): Promise<QueueSummary> {
    const b = new SummaryBuilder();
    for (const e of this.ledger.entries(id)) b.add(e);
    return b.build();
  }
}
