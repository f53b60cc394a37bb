// The Redis cluster (redis-cluster.ts) behind the Cluster contract, its module
// (and ioredis with it) imported only when it starts (issue 19): a bridge on
// lmdb or memory never loads the Redis client. Every call is handed to the
// started cluster as it is; before start() it is not available and routes
// nothing, other calls throw (the bridge starts it before any door listens).
import { bridgeError } from '../errors.js';
import type { RequestPrimitive } from '../primitive/types.js';
import type { Cluster, ClusterHandlers, RouteResult } from './cluster.js';
import type { RedisClusterOptions } from './redis-cluster.js';

export class DeferredCluster implements Cluster {
  readonly replicaId: string;
  private inner: Cluster | undefined;

  constructor(private readonly options: RedisClusterOptions) {
    this.replicaId = options.replicaId;
  }

  private get c(): Cluster {
    if (this.inner === undefined) throw bridgeError('BRIDGE_ERR_STORE', 'cluster: not started');
    return this.inner;
  }

  async start(handlers: ClusterHandlers): Promise<void> {
    if (this.inner === undefined) {
      const { RedisCluster } = await import('./redis-cluster.js');
      this.inner = new RedisCluster(this.options);
    }
    await this.inner.start(handlers);
  }

  async stop(): Promise<void> {
    await this.inner?.stop();
  }

  available(): boolean {
    return this.inner?.available() ?? false;
  }

  claim(id: string): Promise<void> {
    return this.c.claim(id);
  }

  release(id: string): Promise<void> {
    return this.c.release(id);
  }

  route(id: string, req: RequestPrimitive, timeoutMs: number): Promise<RouteResult> {
    return this.c.route(id, req, timeoutMs);
  }

  stored(id: string): void {
    this.c.stored(id);
  }

  evict(id: string): Promise<void> {
    return this.c.evict(id);
  }

  owners(ids: readonly string[]): Promise<Map<string, string>> {
    return this.c.owners(ids);
  }

  boundCount(): Promise<number | undefined> {
    return this.c.boundCount();
  }
}
