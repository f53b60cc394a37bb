// Requests sent over a WebSocket that wait for their response, matched by rqi
// (TS-0020 5.2: a response carries the rqi of the request it answers), each
// with its own timeout. Used by the bridge's session (ws/downlink-requests.ts) and by the
// client library (client/onem2m-ws-client.ts).

/** One request that waits; taken out of the table by take()/takeAll(). */
export interface Waiter<T, C> {
  /** What the sender kept with the request (the client: the request itself). */
  readonly context: C;
  resolve(value: T): void;
  reject(err: Error): void;
}

interface Entry<T, C> extends Waiter<T, C> {
  timer: NodeJS.Timeout;
}

export class PendingRequests<T, C = undefined> {
  private readonly entries = new Map<string, Entry<T, C>>();

  /**
   * @param onTimeout runs after a request timed out and its promise was
   *   rejected (the session wakes whoever waits for the table to empty).
   */
  constructor(private readonly onTimeout?: () => void) {}

  get size(): number {
    return this.entries.size;
  }

  has(rqi: string): boolean {
    return this.entries.has(rqi);
  }

  /**
   * Registers `rqi` and returns the promise of its answer: resolved by
   * take(rqi).resolve, or rejected with `timedOut()` after `timeoutMs`.
   * The caller makes sure `rqi` does not wait already.
   */
  wait(rqi: string, timeoutMs: number, context: C, timedOut: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.entries.delete(rqi);
        reject(timedOut());
        this.onTimeout?.();
      }, timeoutMs);
      this.entries.set(rqi, { context, resolve, reject, timer });
    });
  }

  /** The waiter for `rqi`, out of the table and its timer stopped; undefined when none waits (a late or unknown answer). */
  take(rqi: string): Waiter<T, C> | undefined {
    const entry = this.entries.get(rqi);
    if (entry === undefined) return undefined;
    this.entries.delete(rqi);
    clearTimeout(entry.timer);
    return entry;
  }

  /** Every waiter, out of the table with its timer stopped (the connection is gone). */
  takeAll(): Array<[string, Waiter<T, C>]> {
    const all = [...this.entries];
    this.entries.clear();
    for (const [, entry] of all) clearTimeout(entry.timer);
    return all;
  }
}
