// --registration-ttl (issue 12): a registration keeps its identity, key and
// queue while its registree is away — also when the CSE's <AE> vanished
// without a DELETE through the bridge — until an operator removes it or its
// registree has not been bound anywhere for the TTL. The offline time is
// counted from the moment this process saw the connection close, or from the
// first sweep after the process started.
import type { Logger } from 'pino';
import type { Registration, Store } from '../store/store.js';

export interface RegistrationExpiryOptions {
  ttlMs: number;
  store: Pick<Store, 'listRegistrations' | 'getRegistration' | 'deleteRegistration' | 'dropQueue'>;
  /** The IDs among these that are bound on this replica or any other. */
  bound(ids: readonly string[]): Promise<ReadonlySet<string>>;
  logger: Logger;
  onExpired?(reg: Registration): void;
}

export class RegistrationExpiry {
  private readonly o: RegistrationExpiryOptions;
  private readonly offlineSince = new Map<string, number>();
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
    this.offlineSince.set(id, now);
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
    const regs = await this.o.store.listRegistrations();
    const bound = await this.o.bound(regs.map((r) => r.id));
    const known = new Set<string>();
    let expired = 0;
    for (const reg of regs) {
      known.add(reg.id);
      if (bound.has(reg.id)) {
        this.offlineSince.delete(reg.id);
        continue;
      }
      const since = this.offlineSince.get(reg.id);
      if (since === undefined) {
        this.offlineSince.set(reg.id, now);
        continue;
      }
      if (now - since < this.o.ttlMs) continue;
      // Bound again meanwhile, or replaced by a new registration: keep it.
      const current = await this.o.store.getRegistration(reg.id);
      if (current === undefined || current.key !== reg.key || (await this.o.bound([reg.id])).has(reg.id)) continue;
      await this.o.store.dropQueue(reg.id);
      await this.o.store.deleteRegistration(reg.id);
      this.offlineSince.delete(reg.id);
      expired++;
      this.o.logger.info({ registree: reg.id, awayMs: now - since }, 'registration forgotten: its registree was not bound for --registration-ttl');
      this.o.onExpired?.(reg);
    }
    for (const id of this.offlineSince.keys()) if (!known.has(id)) this.offlineSince.delete(id);
    return expired;
  }
}
