// When and how soon the client tries again: after a drop unless the server
// gave the registree to a newer connection, after a failed attempt unless the
// server refused the handshake for good; delays from the backoff with jitter.
import { backoffDelay } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import type { Onem2mClientError } from './client-error.js';

/** Close code of the bridge when a newer connection took over the registree (TS-0020 5.2): reconnecting would fight it. */
const CLOSE_REPLACED = 4000;
/** Handshake refusals that no retry will change. */
const PERMANENT_STATUS = new Set([400, 401, 403, 404, 405, 426]);

export class Reconnect {
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;

  /** @param backoff undefined: reconnect is off. */
  constructor(readonly backoff: BackoffOptions | undefined) {}

  get enabled(): boolean {
    return this.backoff !== undefined;
  }

  /** Try again after an open connection closed with `code`? */
  afterDrop(code: number): boolean {
    return this.backoff !== undefined && code !== CLOSE_REPLACED;
  }

  /** Try again after a failed attempt? Only when the caller keeps trying (a connection was open before, or connect({ retry: true })). */
  afterFailure(err: Onem2mClientError, keepTrying: boolean): boolean {
    const permanent = err.status !== undefined && PERMANENT_STATUS.has(err.status);
    return this.backoff !== undefined && !permanent && keepTrying;
  }

  /** The next attempt's number and delay. */
  next(): { attempt: number; delayMs: number } {
    const delayMs = backoffDelay(this.attempt++, this.backoff!);
    return { attempt: this.attempt, delayMs };
  }

  /** Runs `attempt` after `delayMs`. */
  wait(delayMs: number, attempt: () => void): void {
    this.timer = setTimeout(attempt, delayMs);
  }

  /** A connection opened: the backoff starts over. */
  succeeded(): void {
    this.attempt = 0;
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}
