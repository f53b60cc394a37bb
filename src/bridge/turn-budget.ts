// Bounded work per event-loop turn (issue 19). In a reconnect storm one read
// from Redis (or one poll phase of lmdb reads) answers thousands of
// registrees' lookups, claims and peeks at once, and every continuation —
// bind, claim, a window of frames — ran in that one turn: 0.4–0.8 s without
// a timer, keepalive or request getting a look in. Bindings and drain windows
// take a unit of this budget first; beyond `perTurn` units in one turn the
// rest wait, in arrival order, and `perTurn` of them go on in each later turn
// (released from setImmediate, so the poll phase runs in between).

export class TurnBudget {
  private used = 0;
  private scheduled = false;
  private readonly waiting: Array<() => void> = [];
  private head = 0;

  constructor(private readonly perTurn: number) {}

  /**
   * undefined: go on now (this turn has budget left). Otherwise a promise that
   * resolves in a later turn, after everything that asked before it.
   */
  take(): Promise<void> | undefined {
    if (this.used < this.perTurn && this.head === this.waiting.length) {
      this.used++;
      this.schedule();
      return undefined;
    }
    this.schedule();
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Units waiting for a later turn. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  release(): void {
    this.scheduled = false;
    this.used = 0;
    while (this.used < this.perTurn && this.head < this.waiting.length) {
      this.used++;
      const resolve = this.waiting[this.head];
      this.waiting[this.head++] = NOOP;
      resolve();
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    }
    // Those released here run their continuations in this check phase: the next reset is a turn later.
    if (this.used > 0 || this.head < this.waiting.length) this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(releaseBudget, this);
  }
}

const NOOP = (): void => undefined;

function releaseBudget(budget: TurnBudget): void {
  budget.release();
}
