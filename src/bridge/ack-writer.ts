// Acknowledges the answered stored requests of every draining queue to the
// store (DESIGN 4: a stored request leaves the store only after its answer
// arrived). One writer per store, one write at a time: whatever any drain had
// answered when a write starts goes into it, so a reconnect storm of 10k
// registrees pays one durable write (lmdb: one transaction, commit and flush;
// Redis: one pipeline) per round instead of one per registree (issue 19: 10–20k
// lmdb commits in a 10k × 10 storm against the solo drain's ~1.6k).
//
// Rounds: the first acknowledgement waits for the end of the event-loop turn
// (setImmediate), so the answers read from many sockets in one poll phase share
// a write; while a write is under way the next round collects, and starts the
// moment it ends. A round takes everything each drain has added, so no drain's
// backlog holds another's acknowledgements back for more than one round, and a
// drain waits only for the rounds its own acknowledgements are in.
import type { Store } from '../store/store.js';

type AckStore = Pick<Store, 'ackAcross'>;

/** One store write: the drains whose acknowledgements it carries. */
export interface Round {
  readonly drains: DrainAcks[];
  readonly done: Promise<void>;
  finish(): void;
}

export class AckWriter {
  /** The round collecting acknowledgements (not written yet). */
  private next: Round | undefined;
  /** True while a round is being written (or is about to start). */
  private busy = false;

  constructor(private readonly store: AckStore) {}

  /** The acknowledgements of one drain of registree `id`; `onWritten(n)` after each write that removed n of them. */
  drain(id: string, onWritten: (n: number) => void): DrainAcks {
    return new DrainAcks(this, id, onWritten);
  }

  /** `d` has acknowledgements that are in no round yet: the collecting round takes it. */
  join(d: DrainAcks): Round {
    let round = this.next;
    if (round === undefined) {
      round = newRound();
      this.next = round;
      if (!this.busy) {
        this.busy = true;
        setImmediate(startRounds, this);
      }
    }
    round.drains.push(d);
    return round;
  }

  /** Writes rounds, one after the other, until none is collecting. */
  async writeRounds(): Promise<void> {
    try {
      for (let round = this.next; round !== undefined; round = this.next) {
        this.next = undefined;
        await this.write(round);
      }
    } finally {
      this.busy = false;
      // Only after a throw (a drain's callback): the round collecting meanwhile still gets written.
      if (this.next !== undefined) {
        this.busy = true;
        setImmediate(startRounds, this);
      }
    }
  }

  private async write(round: Round): Promise<void> {
    const byId = new Map<string, number[]>();
    const taken: number[] = [];
    for (const d of round.drains) {
      const seqs = d.take();
      taken.push(seqs.length);
      const same = byId.get(d.id);
      // Two drains of one registree (an old binding's settling, a new one's):
      // one list; the store skips a seq already gone.
      if (same === undefined) byId.set(d.id, seqs);
      else same.push(...seqs);
    }
    let failures: ReadonlyMap<string, Error>;
    try {
      failures = byId.size === 0 ? NONE : await this.store.ackAcross(byId);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      failures = new Map([...byId.keys()].map((id) => [id, error]));
    }
    try {
      round.drains.forEach((d, i) => d.written(round, taken[i], failures.get(d.id)));
    } finally {
      round.finish(); // no drain waits forever for this round
    }
  }
}

const NONE: ReadonlyMap<string, Error> = new Map();

function startRounds(writer: AckWriter): void {
  void writer.writeRounds();
}

function newRound(): Round {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { drains: [], done, finish };
}

/** One drain's side of the writer: what it answered, and whether its writes went through. */
export class DrainAcks {
  private pending: number[] = [];
  /** The latest round this drain's acknowledgements are in; undefined once all are written. */
  private round: Round | undefined;
  private error: Error | undefined;

  constructor(
    private readonly writer: AckWriter,
    readonly id: string,
    private readonly onWritten: (n: number) => void,
  ) {}

  /** The request with this seq and every one before it were answered. */
  add(seq: number): void {
    if (this.error !== undefined) return;
    if (this.pending.length === 0) this.round = this.writer.join(this);
    this.pending.push(seq);
  }

  /** True once a write failed: stop sending, settled() rejects with its error. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Resolves once everything added so far is written; rejects if a write failed. */
  async settled(): Promise<void> {
    for (let round = this.round; round !== undefined; round = this.round) {
      await round.done;
      if (this.round === round) this.round = undefined; // finished without a word for this drain (a callback threw)
    }
    if (this.error !== undefined) throw this.error;
  }

  /** The round starts: its seqs. */
  take(): number[] {
    const seqs = this.pending;
    this.pending = [];
    return seqs;
  }

  /** A round this drain was in is written (`error`: its part failed, the requests stay stored). */
  written(round: Round, n: number, error: Error | undefined): void {
    if (this.round === round) this.round = undefined;
    if (error !== undefined) {
      if (this.error === undefined) this.error = error;
      this.pending = [];
      this.round = undefined;
      return;
    }
    if (n > 0) this.onWritten(n);
  }
}
