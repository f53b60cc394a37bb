// The lines a bridge writes once every door listens: where it listens (URLs
// without credentials, SECURITY.md), the exposure warnings, cluster mode, and
// the warning that a memory store forgets everything at exit.
import type { Logger } from 'pino';
import type { BridgeConfig, HostPort } from '../config/config.js';
import { redactUrl } from '../redact.js';
import { VERSION } from '../version.js';
import { warnExposedDoors } from './exposure-warnings.js';
import type { Protections } from './exposure-warnings.js';

export interface Started {
  doors: { public: HostPort; downlink: HostPort; admin: HostPort; downlinkUrl: string };
  store: string;
  /** Cluster mode: this replica's name; undefined for one process alone. */
  replica: string | undefined;
  protections: Protections;
}

export function logStarted(logger: Logger, config: Pick<BridgeConfig, 'upstream' | 'ownerTtlMs' | 'listen' | 'downlinkListen' | 'adminListen' | 'adminToken'>, s: Started): void {
  const { public: pub, downlink, admin, downlinkUrl } = s.doors;
  // Credentials in a URL never reach the log (SECURITY.md).
  logger.info({ version: VERSION, public: pub, downlink, admin, downlinkUrl: redactUrl(downlinkUrl), upstream: redactUrl(config.upstream.href), store: s.store }, 'bridge listening');
  warnExposedDoors(config, s.protections, logger);
  if (s.replica !== undefined) logger.info({ replica: s.replica, ownerTtlMs: config.ownerTtlMs }, 'cluster mode: sharing registrees with the replicas on the same Redis prefix');
  if (s.store === 'memory') logger.warn('store is memory: registrations and stored requests are lost when the process exits');
}
