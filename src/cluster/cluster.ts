// Which replica holds which registree, and how a request reaches it (DESIGN 6).
// One process alone needs none of this: SingleNode answers "nobody else" to
// every question. RedisCluster (redis-cluster.ts) is the shared version.
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';

/** What a replica does for the cluster, supplied by the composition root. */
export interface ClusterHandlers {
  /**
   * A request routed here by another replica: deliver it to the registree
   * bound on this replica, or apply the offline rules (never route it again).
   */
  deliver(id: string, req: RequestPrimitive): Promise<ResponsePrimitive>;
  /** A newer binding elsewhere (or an operator's delete) took the registree: close its socket here. */
  release(id: string, why: 'replaced' | 'deregistered'): void;
  /** Something was stored for a registree bound here: deliver it. */
  kick(id: string): void;
}

export type RouteResult = { routed: true; rsp: ResponsePrimitive } | { routed: false };

export interface Cluster {
  /** This replica's name in ownership records and channel names. */
  readonly replicaId: string;
  start(handlers: ClusterHandlers): Promise<void>;
  stop(): Promise<void>;
  /** Ownership can be recorded and requests routed now. */
  available(): boolean;
  /**
   * Records this replica as the registree's owner. A previous owner elsewhere
   * is told to close its connection: one connection per registree,
   * cluster-wide (TS-0020 5.2). Resolves once recorded (or failed: logged).
   */
  claim(id: string): Promise<void>;
  /** Removes the ownership record only while this replica still holds it (compare-and-delete). */
  release(id: string): Promise<void>;
  /**
   * Sends a request for a registree not bound here to the replica that holds
   * it and waits for that replica's answer. `routed: false` when no live
   * replica holds it: the caller applies the offline rules.
   */
  route(id: string, req: RequestPrimitive, timeoutMs: number): Promise<RouteResult>;
  /** A request was stored for `id`: if it is bound on another replica meanwhile, that one delivers it. */
  stored(id: string): void;
  /** Tells the owner (wherever it is) to close the registree's connection: an operator deleted it. */
  evict(id: string): Promise<void>;
  /** Which replica holds each of `ids` (absent: none), for the admin API. */
  owners(ids: readonly string[]): Promise<Map<string, string>>;
  /** Registrees bound on any replica (undefined: only this process counts). */
  boundCount(): Promise<number | undefined>;
}

/** One process: every registree bound anywhere is bound here. */
export class SingleNode implements Cluster {
  readonly replicaId = 'local';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  available(): boolean {
    return true;
  }
  async claim(): Promise<void> {}
  async release(): Promise<void> {}
  async route(): Promise<RouteResult> {
    return { routed: false };
  }
  stored(): void {}
  async evict(): Promise<void> {}
  async owners(): Promise<Map<string, string>> {
    return new Map();
  }
  async boundCount(): Promise<number | undefined> {
    return undefined;
  }
}
