// Periodic maintenance of a started bridge: expired stored requests are swept
// (--queue-ttl), the upstream CSE-ID re-read (DESIGN 3), the registration count
// resynced, and, with --registration-ttl, registrations bound nowhere forgotten.
// The timers never keep the process alive.
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { RegistrationExpiry } from './registration-expiry.js';

/** Expired stored requests are swept, and the registration count resynced, this often. */
const PURGE_INTERVAL_MS = 60_000;

export interface MaintenanceParts {
  store: Pick<Store, 'purgeExpired'>;
  /** Counts stored requests dropped because their time ran out (queue_events expired). */
  onPurged: (n: number) => void;
  /** Re-reads the upstream CSE's CSE-ID and SP-ID. */
  refreshUpstreamCse: () => Promise<void>;
  /** The count drifts when other replicas (redis) register or an entry is lost. */
  refreshRegistreeCount: () => Promise<void>;
  /** undefined without --registration-ttl. */
  expiry: RegistrationExpiry | undefined;
  logger: Logger;
}

export interface Maintenance {
  stop(): void;
}

export function startMaintenance(p: MaintenanceParts): Maintenance {
  const { store, logger, expiry } = p;
  const purgeTimer = setInterval(() => {
    store.purgeExpired(Date.now()).then(
      (n) => {
        if (n > 0) p.onPurged(n);
      },
      (err: unknown) => logger.error({ err: String(err) }, 'purging expired requests failed'),
    );
    void p.refreshUpstreamCse();
    // The count drifts when other replicas (redis) register or an entry is lost: resync it.
    p.refreshRegistreeCount().catch((err: unknown) => logger.error({ err: String(err) }, 'counting registrations failed'));
  }, PURGE_INTERVAL_MS);
  purgeTimer.unref();
  let expiryTimer: NodeJS.Timeout | undefined;
  if (expiry !== undefined) {
    expiryTimer = setInterval(() => {
      expiry.sweep(Date.now()).catch((err: unknown) => logger.error({ err: String(err) }, 'forgetting expired registrations failed'));
    }, expiry.intervalMs);
    expiryTimer.unref();
  }
  return {
    stop() {
      clearInterval(purgeTimer);
      if (expiryTimer !== undefined) clearInterval(expiryTimer);
    },
  };
}
