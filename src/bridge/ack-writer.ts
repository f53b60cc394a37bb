// Acknowledges a draining queue's answered requests to the store (DESIGN 4:
// a stored request leaves the store only after its answer arrived). One write
// at a time, in order; whatever is answered while a write is under way goes
// into the next one. A drain thus pays one durable write (lmdb: one commit
// and flush; Redis: one script call) per batch of answers instead of one per
// request, which was its bound (issue 19: a lone registree drained 227
// msg/s on lmdb, one flush per acknowledgement).
import type { Store } from '../store/store.js';

export class AckWriter {
  private pending: number[] = [];
  private writing: Promise<void> | undefined;
  private error: unknown;
  private failedFlag = false;

  constructor(
    private readonly store: Pick<Store, 'ackMany'>,
    private readonly id: string,
    private readonly onWritten: (n: number) => void,
  ) {}

  /** The request with this seq and every one before it were answered. */
  add(seq: number): void {
    if (this.failedFlag) return;
    this.pending.push(seq);
    if (this.writing === undefined) this.writing = this.writeAll();
  }

  /** True once a write failed: stop sending, settled() rejects with its error. */
  get failed(): boolean {
    return this.failedFlag;
  }

  /** Resolves once everything added so far is written; rejects if a write failed. */
  async settled(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    if (this.failedFlag) throw this.error;
  }

  private async writeAll(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const seqs = this.pending;
        this.pending = [];
        await this.store.ackMany(this.id, seqs);
        this.onWritten(seqs.length);
      }
    } catch (err) {
      this.failedFlag = true;
      this.error = err;
      this.pending = [];
    } finally {
      this.writing = undefined;
    }
  }
}
