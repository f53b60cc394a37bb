// What the bridge knows of the parts it depends on, for /readyz, /api/status
// and the store_up/upstream_up metrics (DESIGN 1, 7): the store is open and
// reachable (and, in cluster mode, the cluster channel), and the upstream CSE
// answers a probe. One probe runs at a time; callers meanwhile share it.
import type { Cluster } from '../cluster/cluster.js';
import type { UpstreamClient } from '../http/upstream-client.js';
import type { Store } from '../store/store.js';

export class Health {
  private storeOpen = false;
  private probing: Promise<boolean> | undefined;

  constructor(
    private readonly store: Pick<Store, 'available'>,
    private readonly cluster: Pick<Cluster, 'available'>,
    private readonly upstream: Pick<UpstreamClient, 'reachable'>,
  ) {}

  /** The store opened at start; until then (and from stop on) it counts as down. */
  storeOpened(): void {
    this.storeOpen = true;
  }

  storeClosing(): void {
    this.storeOpen = false;
  }

  readonly storeUp = (): boolean => this.storeOpen && this.store.available() && this.cluster.available();

  readonly probeUpstream = (): Promise<boolean> =>
    (this.probing ??= this.upstream.reachable().finally(() => {
      this.probing = undefined;
    }));
}
