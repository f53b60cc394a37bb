// QueueLedger: the synchronous queue accounting every local store shares —
// counters, caps, ec = latest lookups and seq assignment (DESIGN 4). Being
// synchronous, concurrent enqueues can never overshoot a cap.
import type {
  EnqueueRequest,
  EnqueueResult,
  QueueLimits,
  QueueTotals,
} from './store.js';

/** What the ledger needs to know about one stored request. */
export interface LedgerEntry {
  seq: number;
  bytes: number;
  expiresAt: number;
  sur?: string;
}

export type RefusalReason = Extract<EnqueueResult, { stored: false }>['reason'];

export type Reservation<E extends LedgerEntry> =
  | { stored: true; entry: E; removed: E[] }
  | { stored: false; reason: RefusalReason };

/** A stored request counts as expired once `now` reached its `expiresAt` (rqet, TS-0004 6.3.3). */
export function isExpired(entry: { expiresAt: number }, now: number): boolean {
  return entry.expiresAt <= now;
}

interface RegistreeQueue<E extends LedgerEntry> {
  /** Entries in seq order (Map keeps insertion order; seqs only grow). */
  entries: Map<number, E>;
  /** sur → seqs stored with it, for ec = latest (TS-0004 6.3.3, eventCat 4). */
  bySur: Map<string, Set<number>>;
  messages: number;
  bytes: number;
}

/**
 * In-memory bookkeeping of the per-registree FIFO queues. All methods are
 * synchronous, so concurrent enqueues are serialised by the event loop and a
 * cap can never be overshot (DESIGN 4); a store that writes elsewhere first
 * reserves here and undoes the reservation when its write fails.
 */
export class QueueLedger<E extends LedgerEntry> {
  private readonly queues = new Map<string, RegistreeQueue<E>>();
  private lastSeq = 0;
  private messages = 0;
  private bytes = 0;

  /** Seqs handed out from now on are larger than `seq` (after loading stored entries). */
  raiseSeq(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
  }

  /** Adds an entry read back from durable storage (in seq order per registree). */
  load(id: string, entry: E): void {
    this.insert(id, entry);
    this.raiseSeq(entry.seq);
  }

  /**
   * Checks the caps and, when they allow it, takes the new entry in and the
   * same-sur entries out (ec = latest). The new request is refused, never a
   * stored one dropped (DESIGN 4; TS-0004 Annex H purges the newest first).
   */
  reserve(id: string, item: EnqueueRequest, limits: QueueLimits, make: (seq: number) => E): Reservation<E> {
    const q = this.queues.get(id);
    const removed: E[] = [];
    if (item.replaceSameSur && item.sur !== undefined && q !== undefined) {
      for (const seq of q.bySur.get(item.sur) ?? []) {
        const e = q.entries.get(seq);
        if (e !== undefined) removed.push(e);
      }
    }
    let removedBytes = 0;
    for (const e of removed) removedBytes += e.bytes;
    const messages = (q?.messages ?? 0) - removed.length + 1;
    if (messages > limits.maxMessages) return { stored: false, reason: 'max_messages' };
    const bytes = (q?.bytes ?? 0) - removedBytes + item.bytes;
    if (bytes > limits.maxBytes) return { stored: false, reason: 'max_bytes' };
    if (this.bytes - removedBytes + item.bytes > limits.globalMaxBytes) return { stored: false, reason: 'global_max_bytes' };
    for (const e of removed) this.delete(id, e.seq);
    this.lastSeq += 1;
    const entry = make(this.lastSeq);
    this.insert(id, entry);
    return { stored: true, entry, removed };
  }

  /** Undoes a reservation whose write failed. */
  unreserve(id: string, entry: E, removed: readonly E[]): void {
    this.delete(id, entry.seq);
    this.restore(id, removed);
  }

  /** Puts back entries whose removal failed to commit, keeping seq order. */
  restore(id: string, entries: readonly E[]): void {
    if (entries.length === 0) return;
    for (const e of entries) this.insert(id, e);
    const q = this.queues.get(id);
    if (q === undefined) return;
    const sorted = [...q.entries.values()].sort((a, b) => a.seq - b.seq);
    q.entries.clear();
    for (const e of sorted) q.entries.set(e.seq, e);
  }

  get(id: string, seq: number): E | undefined {
    return this.queues.get(id)?.entries.get(seq);
  }

  /** Removes one entry; undefined when it was not there. */
  delete(id: string, seq: number): E | undefined {
    const q = this.queues.get(id);
    const e = q?.entries.get(seq);
    if (q === undefined || e === undefined) return undefined;
    q.entries.delete(seq);
    if (e.sur !== undefined) {
      const seqs = q.bySur.get(e.sur);
      seqs?.delete(seq);
      if (seqs !== undefined && seqs.size === 0) q.bySur.delete(e.sur);
    }
    q.messages -= 1;
    q.bytes -= e.bytes;
    this.messages -= 1;
    this.bytes -= e.bytes;
    if (q.entries.size === 0) this.queues.delete(id);
    return e;
  }

  /** Removes a registree's whole queue and returns what was in it. */
  drop(id: string): E[] {
    const q = this.queues.get(id);
    if (q === undefined) return [];
    const entries = [...q.entries.values()];
    this.queues.delete(id);
    this.messages -= q.messages;
    this.bytes -= q.bytes;
    return entries;
  }

  /** Removes every expired entry of every registree and returns them. */
  dropExpired(now: number): Array<{ id: string; entry: E }> {
    const out: Array<{ id: string; entry: E }> = [];
    for (const [id, q] of this.queues) {
      for (const e of q.entries.values()) if (isExpired(e, now)) out.push({ id, entry: e });
    }
    for (const { id, entry } of out) this.delete(id, entry.seq);
    return out;
  }

  /** A registree's entries, oldest first. */
  entries(id: string): IterableIterator<E> {
    return (this.queues.get(id)?.entries ?? new Map<number, E>()).values();
  }

  /** IDs whose queue is not empty. */
  ids(): string[] {
    return [...this.queues.keys()];
  }

  stats(id: string): QueueTotals {
    const q = this.queues.get(id);
    return { messages: q?.messages ?? 0, bytes: q?.bytes ?? 0 };
  }

  totals(): QueueTotals {
    return { messages: this.messages, bytes: this.bytes };
  }

  private insert(id: string, entry: E): void {
    let q = this.queues.get(id);
    if (q === undefined) {
      q = { entries: new Map(), bySur: new Map(), messages: 0, bytes: 0 };
      this.queues.set(id, q);
    }
    q.entries.set(entry.seq, entry);
    if (entry.sur !== undefined) {
      let seqs = q.bySur.get(entry.sur);
      if (seqs === undefined) {
        seqs = new Set();
        q.bySur.set(entry.sur, seqs);
      }
      seqs.add(entry.seq);
    }
    q.messages += 1;
    q.bytes += entry.bytes;
    this.messages += 1;
    this.bytes += entry.bytes;
  }
}
