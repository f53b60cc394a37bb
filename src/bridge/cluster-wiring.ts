// The cluster as the settings make it (DESIGN 6): replicas sharing a redis
// store share ownership and route to each other; anything else is one node.
// And what this replica does when the cluster asks: deliver a routed request,
// close a registree taken elsewhere, deliver what was stored for one bound here.
// The Redis cluster's module (and ioredis) loads only when it starts
// (deferred-cluster.ts, issue 19).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/config.js';
import { SingleNode } from '../cluster/cluster.js';
import type { Cluster, ClusterHandlers } from '../cluster/cluster.js';
import { DeferredCluster } from '../cluster/deferred-cluster.js';
import type { RouteOutcome } from '../metrics/metrics.js';
import type { RedisTls } from '../store/redis-connection.js';
import type { Store } from '../store/store.js';
import { CloseCode } from '../ws/ws-session.js';
import type { Downlink } from './downlink.js';
import type { QueueDelivery } from './queue-delivery.js';
import type { Registry } from './registry.js';

type ClusterSettings = Pick<BridgeConfig, 'store' | 'redisPrefix' | 'replicaId' | 'ownerTtlMs'>;

export function clusterFor(config: ClusterSettings, store: Store, p: { logger: Logger; tls: RedisTls | undefined; onRoute: (outcome: RouteOutcome) => void }): Cluster {
  if (!/^rediss?:\/\//i.test(config.store) || !store.shared) return new SingleNode();
  return new DeferredCluster({
    url: config.store,
    prefix: config.redisPrefix,
    replicaId: config.replicaId !== '' ? config.replicaId : `${hostname()}-${randomBytes(3).toString('hex')}`,
    ownerTtlMs: config.ownerTtlMs,
    logger: p.logger,
    tls: p.tls,
    onRoute: p.onRoute,
  });
}

/** Unbinds and closes the registree's connection on this replica; false when it has none here. */
export function closeRegistree(registry: Registry, id: string, code: number, reason: string): boolean {
  const session = registry.sessionForId(id);
  if (session === undefined) return false;
  registry.unbind(session);
  session.close(code, reason);
  return true;
}

export function clusterHandlers(p: { downlink: Downlink; registry: Registry; delivery: QueueDelivery }): ClusterHandlers {
  const { registry } = p;
  return {
    deliver: async (id, req) => p.downlink.deliverRouted(id, req),
    release: (id, why) => {
      if (why === 'replaced') closeRegistree(registry, id, CloseCode.Replaced, `registree ${id} bound by a newer connection on another replica (TS-0020 5.2)`);
      else closeRegistree(registry, id, CloseCode.Deregistered, `registree ${id} removed by the operator`);
    },
    kick: (id) => {
      const session = registry.sessionForId(id);
      if (session !== undefined) p.delivery.kick(session);
    },
  };
}

/** Of these registrees, those bound somewhere: on this replica, or owned by another (--registration-ttl). */
export function boundAnywhere(cluster: Pick<Cluster, 'owners'>, registry: Registry): (ids: string[]) => Promise<Set<string>> {
  return async (ids) => {
    const owners = await cluster.owners(ids);
    return new Set(ids.filter((id) => registry.sessionForId(id) !== undefined || owners.has(id)));
  };
}
