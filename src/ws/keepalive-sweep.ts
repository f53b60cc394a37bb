// The keepalive sweep over every connection (ping, idle timeout), in slices:
// with 100k registrees one pass is 100k socket writes, seconds of work on a
// loaded machine; done in one go it would hold the event loop (and every
// request) for all of it. Each slice visits at most `slice` connections and
// the next one waits for a setImmediate, so I/O and timers run in between.

export interface KeepaliveSweepOptions<T> {
  /** Connections at the start of a pass; ones added while it runs may be visited in it too. */
  items(): Iterable<T>;
  visit(item: T): void;
  /** Connections per event-loop turn. */
  slice: number;
}

export class KeepaliveSweep<T> {
  private readonly o: KeepaliveSweepOptions<T>;
  private pass: Iterator<T> | undefined;
  /** Turns the current (or last) pass took: for tests and benches. */
  turns = 0;

  constructor(options: KeepaliveSweepOptions<T>) {
    this.o = options;
  }

  /** True while a pass is under way. */
  get running(): boolean {
    return this.pass !== undefined;
  }

  /** Starts a pass; a pass still under way goes on instead (no connection is visited twice by overlapping passes). */
  start(): void {
    if (this.pass !== undefined) return;
    const pass = this.o.items()[Symbol.iterator]();
    this.pass = pass;
    this.turns = 0;
    this.step(pass);
  }

  /** Ends a pass under way (the server closes). */
  stop(): void {
    this.pass = undefined;
  }

  /** One slice of `pass`, unless that pass was stopped (or replaced) meanwhile. */
  step(pass: Iterator<T>): void {
    if (this.pass !== pass) return;
    this.turns++;
    for (let i = 0; i < this.o.slice; i++) {
      const next = pass.next();
      if (next.done === true) {
        this.pass = undefined;
        return;
      }
      this.o.visit(next.value);
    }
    setImmediate(stepSweep, this, pass);
  }
}

/** setImmediate callback shared by every sweep: no closure per slice. */
function stepSweep<T>(sweep: KeepaliveSweep<T>, pass: Iterator<T>): void {
  sweep.step(pass);
}
