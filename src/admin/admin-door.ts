// The admin door as the bridge builds it (DESIGN 1): the probes, /metrics,
// GET /api/status from the bridge's parts, and the registree API over the
// store, this process's registry and the cluster's owners. The composition
// root (bridge/bridge.ts) hands the parts in; this file knows what each
// admin route is made of.
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Cluster } from '../cluster/cluster.js';
import type { BridgeMetrics } from '../metrics/metrics.js';
import { METRIC_NAMES } from '../metrics/metrics.js';
import type { BridgeConfig } from '../config/config.js';
import type { Store } from '../store/store.js';
import { closeRegistree } from '../bridge/cluster-wiring.js';
import type { Readiness } from '../bridge/readiness.js';
import type { RegistreeCount } from '../bridge/registree-count.js';
import type { Registry } from '../bridge/registry.js';
import { VERSION } from '../version.js';
import { createAdminServer } from './admin-server.js';
import { bridgeStatus, displayUrl } from './bridge-status.js';
import { RequestRate, primitiveTotals } from './request-rate.js';
import { registreeAdmin } from './registree-admin.js';
import { errorMessage } from '../errors.js';

export interface AdminDoorParts {
  config: Pick<BridgeConfig, 'adminToken' | 'upstream'>;
  /** ms since epoch when the bridge was created. */
  createdAt: number;
  logger: Logger;
  metrics: BridgeMetrics;
  store: Store;
  registry: Registry;
  cluster: Cluster;
  /** True with a shared store (redis): views and the status name replicas. */
  clustered: boolean;
  ready(): Promise<Readiness>;
  /** Every door listens and the bridge is not stopping. */
  doorsOpen(): boolean;
  /** The open WebSocket connections. */
  ws: { readonly sessions: Iterable<{ subprotocol: string }> };
  registrees: Pick<RegistreeCount, 'counts' | 'refresh'>;
  /** Any form of a registree's ID → its canonical form (DESIGN 3). */
  canonical(id: string): string;
}

export function createAdminDoor(p: AdminDoorParts): Server {
  const { logger, metrics, store, cluster } = p;
  return createAdminServer(
    {
      ready: p.ready,
      // The downlink door alone: registrees bound here get the CSE's requests while the upstream or Redis is away.
      downlinkReady: async () => ({ ready: p.doorsOpen(), checks: { doors: p.doorsOpen() } }),
      metrics: () => metrics.render(),
      status: bridgeStatus({
        version: VERSION,
        startedAt: p.createdAt,
        replica: cluster.replicaId,
        clustered: p.clustered,
        store: store.description,
        upstream: displayUrl(p.config.upstream),
        ready: p.ready,
        connections: () => {
          const by: Record<string, number> = {};
          for (const session of p.ws.sessions) by[session.subprotocol] = (by[session.subprotocol] ?? 0) + 1;
          return by;
        },
        registrees: () => p.registrees.counts(),
        queueTotals: () => store.totals(),
        rate: new RequestRate(() => primitiveTotals(metrics.registry, METRIC_NAMES.primitives), p.createdAt),
      }),
      ...registreeAdmin({
        store,
        registry: p.registry,
        cluster,
        clustered: p.clustered,
        canonical: p.canonical,
        closeRegistree: (id, code, reason) => closeRegistree(p.registry, id, code, reason),
        refreshRegistreeCount: () => p.registrees.refresh(),
        logger,
      }),
    },
    { token: p.config.adminToken, onError: (err, req) => logger.error({ path: req.path, err: errorMessage(err) }, 'admin request failed') },
  );
}
