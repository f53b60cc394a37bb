// Replicas sharing one Redis behave as one bridge (DESIGN 6). This file
// composes the two parts behind the Cluster contract (cluster.ts) and owns
// their two connections (commands, and the subscriber to this replica's
// channel):
//   ownership.ts         which replica holds which registree: the lease, the
//                        owner:<id> records fenced by epoch:<id>, revoked:<name>,
//                        the refresh rounds (its header has the key layout)
//   replica-messages.ts  what replicas send each other on replica:<name>:
//                        routed requests and answers (large ones by reference,
//                        msg:...), release, evict, kick
// The Lua scripts are in cluster-scripts.ts.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { bridgeError, errorMessage } from '../errors.js';
import type { RequestPrimitive } from '../primitive/types.js';
import type { Cluster, ClusterHandlers, RouteResult } from './cluster.js';
import { Ownership, defineOwnershipScripts } from './ownership.js';
import type { OwnershipConnection } from './ownership.js';
import { ReplicaMessages, defineRouteScript, replicaChannel } from './replica-messages.js';
import type { RouteConnection } from './replica-messages.js';
import type { RouteOutcome } from '../metrics/metrics.js';
import { redisCommandOptions, redisConnectionOptions } from '../store/redis-connection.js';
import type { RedisTls } from '../store/redis-connection.js';


export interface RedisClusterOptions {
  url: string;
  prefix: string;
  replicaId: string;
  /** Lifetime of this replica's lease; extended every third of it. */
  ownerTtlMs: number;
  logger: Logger;
  /** rediss://: the CA the server's certificate must chain to (--redis-ca). */
  tls?: RedisTls;
  onRoute?(outcome: RouteOutcome): void;
}

const COMMAND_TIMEOUT_MS = 5000;

type Connection = OwnershipConnection & RouteConnection;

export class RedisCluster implements Cluster {
  readonly replicaId: string;
  private readonly o: RedisClusterOptions;
  private readonly ownership: Ownership;
  private readonly messages: ReplicaMessages;
  private cmd: Connection | undefined;
  private sub: Redis | undefined;
  private handlers: ClusterHandlers | undefined;
  private subscribedOnce = false;

  constructor(options: RedisClusterOptions) {
    this.o = options;
    this.replicaId = options.replicaId;
    const connection = (): Connection | undefined => this.cmd;
    const handlers = (): ClusterHandlers | undefined => this.handlers;
    this.ownership = new Ownership({
      prefix: options.prefix,
      replicaId: options.replicaId,
      ownerTtlMs: options.ownerTtlMs,
      logger: options.logger,
      connection,
      handlers,
      channelOf: (replica) => replicaChannel(options.prefix, replica),
    });
    this.messages = new ReplicaMessages({
      prefix: options.prefix,
      replicaId: options.replicaId,
      logger: options.logger,
      connection,
      handlers,
      released: (id, by) => void this.ownership.released(id, by),
      onRoute: options.onRoute,
    });
  }

  /** Both connections up: ownership can be recorded and requests routed. */
  available(): boolean {
    return this.cmd?.status === 'ready' && this.sub?.status === 'ready';
  }

  async start(handlers: ClusterHandlers): Promise<void> {
    this.handlers = handlers;
    const cmd = new Redis(this.o.url, redisCommandOptions(this.o.url, this.o.tls, COMMAND_TIMEOUT_MS)) as Connection;
    // Not autoResubscribe: ioredis's own re-SUBSCRIBE has no handler, and a stop before its answer rejected it unhandled (issue 16).
    const sub = new Redis(this.o.url, { ...redisConnectionOptions(this.o.url, this.o.tls), autoResubscribe: false });
    let lastError: unknown;
    for (const c of [cmd, sub]) {
      c.on('error', (err: unknown) => {
        lastError = err;
      });
    }
    defineOwnershipScripts(cmd);
    defineRouteScript(cmd);
    sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.messages.onMessage(message));
    // Back after an outage: the lease may have lapsed meanwhile; until it runs again nobody routes to us.
    cmd.on('ready', () => {
      if (this.cmd === cmd) this.ownership.reconnected();
    });
    sub.on('ready', () => {
      if (!this.subscribedOnce) return;
      // Closed again before Redis answered: the next 'ready' subscribes anew (stop() clears this.sub first).
      sub.subscribe(this.messages.channel()).catch((err: unknown) => {
        if (this.sub === sub) this.o.logger.warn({ err: errorMessage(err) }, 'cluster: could not subscribe again after reconnecting; next reconnect');
      });
      // Back after an outage: requests stored meanwhile could not kick us.
      for (const id of this.ownership.held()) this.handlers?.kick(id);
    });
    try {
      await Promise.all([cmd.connect(), sub.connect()]);
      await sub.subscribe(this.messages.channel());
      this.subscribedOnce = true;
    } catch (err) {
      cmd.disconnect();
      sub.disconnect();
      const detail = lastError instanceof Error ? lastError.message : errorMessage(err);
      throw bridgeError('BRIDGE_ERR_STORE', `cluster: cannot connect to Redis: ${detail}`, { cause: err });
    }
    this.cmd = cmd;
    this.sub = sub;
    await this.ownership.start(cmd);
  }

  async stop(): Promise<void> {
    await this.ownership.stop();
    this.messages.stop();
    const cmd = this.cmd;
    this.cmd = undefined;
    const sub = this.sub;
    this.sub = undefined;
    for (const c of [cmd, sub]) {
      if (c === undefined) continue;
      try {
        await c.quit();
      } catch {
        c.disconnect();
      }
    }
  }

  claim(id: string): Promise<void> {
    return this.ownership.claim(id);
  }

  release(id: string): Promise<void> {
    return this.ownership.release(id);
  }

  route(id: string, req: RequestPrimitive, timeoutMs: number): Promise<RouteResult> {
    return this.messages.route(id, req, timeoutMs);
  }

  stored(id: string): void {
    this.messages.stored(id);
  }

  evict(id: string): Promise<void> {
    return this.messages.evict(id);
  }

  owners(ids: readonly string[]): Promise<Map<string, string>> {
    return this.ownership.owners(ids);
  }

  boundCount(): Promise<number | undefined> {
    return this.ownership.boundCount();
  }

  /**
   * One refresh round now, after the one under way (the timer runs a round
   * every third of the TTL). Resolves when it is done: what it found lost
   * has been handed to `release` by then.
   */
  refreshOwnership(): Promise<void> {
    return this.ownership.refreshOwnership();
  }
}
