// How many registrees are online and offline (DESIGN 7 registrees gauge,
// /api/status): online is this replica's sockets (summed over replicas),
// offline is registered but bound nowhere (the same on every replica). The
// registration count follows registrations as they happen and is resynced
// from the store at start, periodically and after an admin delete.
import type { Cluster } from '../cluster/cluster.js';
import type { Store } from '../store/store.js';
import type { Registry } from './registry.js';

export class RegistreeCount {
  private known = 0;
  /** Cluster mode: registrees bound on other replicas (refreshed with the registration count). */
  private boundElsewhere = 0;

  constructor(
    private readonly store: Pick<Store, 'countRegistrations'>,
    private readonly cluster: Pick<Cluster, 'boundCount'>,
    private readonly registry: Pick<Registry, 'onlineCount'>,
  ) {}

  counts(): { online: number; offline: number } {
    const online = this.registry.onlineCount;
    return { online, offline: Math.max(0, this.known - online - this.boundElsewhere) };
  }

  added(): void {
    this.known++;
  }

  removed(): void {
    this.known = Math.max(0, this.known - 1);
  }

  /** Counts registrations in the store: at start, periodically (other replicas), after an admin delete. */
  async refresh(): Promise<void> {
    this.known = await this.store.countRegistrations();
    const bound = await this.cluster.boundCount();
    if (bound !== undefined) this.boundElsewhere = Math.max(0, bound - this.registry.onlineCount);
  }
}
