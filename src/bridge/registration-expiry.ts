// --registration-ttl (issue 12): a registration keeps its identity, key and
// queue while its registree is away — also when the CSE's <AE> vanished
// without a DELETE through the bridge — until an operator removes it or its
// registree has not been bound anywhere for the TTL. The offline time is
// counted from the moment this process saw the connection close, or from the
// first sweep after the process started.
//
// Bounded work per turn (issue 19): a sweep walks the registrations in ID
// order a page of SWEEP_PAGE at a time (Store.listRegistrationsPage), asks
// which of that page are bound anywhere, and lets the event loop run before
// the next page. It never lists or decodes the whole fleet in one go: at
// 100k registrations the old single listing held the loop for hundreds of ms
// every quarter TTL.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Registration, Store } from '../store/store.js';

/** Registrations read, and asked about in one bound() call, per event-loop turn. */
export const SWEEP_PAGE = 250;

export interface RegistrationExpiryOptions {
  ttlMs: number;
  store: Pick<Store, 'listRegistrationsPage' | 'getRegistration' | 'deleteRegistration' | 'dropQueue'>;
  /** The IDs among these that are bound on this replica or any other. */
  bound(ids: readonly string[]): Promise<ReadonlySet<string>>;
  logger: Logger;
  onExpired?(reg: Registration): void;
}

/** Since when a registree is away, and the last sweep that found its registration (stale entries go). */
interface Away {
  since: number;
  pass: number;
}

export class RegistrationExpiry {
  private readonly o: RegistrationExpiryOptions;
  private readonly away = new Map<string, Away>();
  /** Number of the sweep under way (or the last one): entries it did not find are forgotten at its end. */
  private pass = 0;
  private sweeping = false;

  constructor(options: RegistrationExpiryOptions) {
    this.o = options;
  }

  /** How often sweep() should run for this TTL: a quarter of it, between 50 ms and a minute. */
  get intervalMs(): number {
    return Math.min(60_000, Math.max(50, Math.floor(this.o.ttlMs / 4)));
  }

  /** The registree's connection closed: its time away starts now. */
  unbound(id: string, now: number): void {
    // Stamped with the sweep under way: one that already passed its ID keeps it.
    const a = this.away.get(id);
    if (a === undefined) this.away.set(id, { since: now, pass: this.pass });
    else {
      a.since = now;
      a.pass = this.pass;
    }
  }

  /** Forgets the registrations away for the TTL; returns how many. */
  async sweep(now: number): Promise<number> {
    // One sweep at a time: a slow store never piles them up.
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      return await this.sweepOnce(now);
    } finally {
      this.sweeping = false;
    }
  }

  private async sweepOnce(now: number): Promise<number> {
    const pass = ++this.pass;
    let expired = 0;
    let after = '';
    for (;;) {
      const page = await this.o.store.listRegistrationsPage({ after, limit: SWEEP_PAGE });
      const regs = page.registrations;
      if (regs.length > 0) expired += await this.sweepPage(regs, now, pass);
      if (page.next === undefined) break;
      after = page.next;
      // Bounded work per turn: I/O and timers run between pages.
      await nextTurn();
    }
    // Registrations gone since (deleted, expired elsewhere): their entries go too.
    for (const [id, a] of this.away) if (a.pass !== pass) this.away.delete(id);
    return expired;
  }

  private async sweepPage(regs: readonly Registration[], now: number, pass: number): Promise<number> {
    const bound = await this.o.bound(regs.map((r) => r.id));
    const due: Array<{ reg: Registration; since: number }> = [];
    for (const reg of regs) {
      if (bound.has(reg.id)) {
        this.away.delete(reg.id);
        continue;
      }
      const a = this.away.get(reg.id);
      if (a === undefined) {
        this.away.set(reg.id, { since: now, pass });
        continue;
      }
      a.pass = pass;
      if (now - a.since >= this.o.ttlMs) due.push({ reg, since: a.since });
    }
    if (due.length === 0) return 0;
    // Bound again meanwhile, or replaced by a new registration: keep it.
    const boundNow = await this.o.bound(due.map((d) => d.reg.id));
    // The page's removals together: one lmdb commit for them, not one each.
    const done = await Promise.allSettled(due.map((d) => (boundNow.has(d.reg.id) ? false : this.forget(d.reg, now - d.since))));
    let expired = 0;
    let failure: unknown;
    for (const d of done) {
      if (d.status === 'fulfilled') expired += d.value ? 1 : 0;
      else failure ??= d.reason;
    }
    if (failure !== undefined) throw failure;
    return expired;
  }

  /** Removes the registration (and its queue) unless it changed since the page was read; true when removed. */
  private async forget(reg: Registration, awayMs: number): Promise<boolean> {
    const current = await this.o.store.getRegistration(reg.id);
    if (current === undefined || current.key !== reg.key) return false;
    await this.o.store.dropQueue(reg.id);
    await this.o.store.deleteRegistration(reg.id);
    this.away.delete(reg.id);
    this.o.logger.info({ registree: reg.id, awayMs }, 'registration forgotten: its registree was not bound for --registration-ttl');
    this.o.onExpired?.(reg);
    return true;
  }
}
