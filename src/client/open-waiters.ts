// Callers waiting for the connection to open (connect(), and requests sent
// while it is being reopened), each until its own deadline.
import type { Onem2mClientError } from './client-error.js';

interface OpenWaiter {
  resolve(): void;
  reject(err: Onem2mClientError): void;
  timer: NodeJS.Timeout | undefined;
}

export class OpenWaiters {
  private readonly waiters = new Set<OpenWaiter>();

  /** Resolves when the connection opens; rejects with `timedOut()` at `deadline` (none: waits until settled). */
  wait(deadline: number | undefined, timedOut: () => Onem2mClientError): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: OpenWaiter = { resolve, reject, timer: undefined };
      if (deadline !== undefined) {
        waiter.timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(timedOut());
        }, Math.max(0, deadline - Date.now()));
      }
      this.waiters.add(waiter);
    });
  }

  resolveAll(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve();
    }
    this.waiters.clear();
  }

  rejectAll(err: Onem2mClientError): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters.clear();
  }
}
