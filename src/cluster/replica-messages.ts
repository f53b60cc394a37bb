// What replicas of the Redis cluster say to each other (DESIGN 6): routed
// requests and their answers, release, evict and kick (redis-cluster.ts
// composes this with ownership.ts, whose records it reads to find a
// registree's owner).
//
// Keys and channels (under the same prefix as the store's keys):
//   replica:<name>        channel what other replicas send this replica (cluster-message.ts)
//   msg:<name>:<random>   string  a message too large for the channel, read
//                                 once by its receiver (message-ref.ts)
//
// Routing: a downlink request for a registree bound elsewhere is PUBLISHed on
// its owner's channel; the owner delivers it (or applies the offline rules)
// and PUBLISHes the answer back. PUBLISH says how many subscribers got the
// message: 0 means the owner is gone (killed, its record not yet expired), and
// the request follows the offline rules here. A request or answer above 64 KiB
// goes into a short-lived key msg:<replica>:<random> and only a reference is
// published (message-ref.ts): whole bodies on a channel can pass Redis's
// pub/sub output-buffer limit, which disconnects the subscriber.
//
// A request stored while its registree binds on another replica meanwhile is
// not stranded: after storing, the storing replica reads owner:<id> again and
// kicks the owner (the owner claims before it drains, so one of the two sees
// the other).
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { bridgeError, errorMessage } from '../errors.js';
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';
import { responseForError } from '../primitive/error-primitive.js';
import type { ClusterHandlers, RouteResult } from './cluster.js';
import { decodeMessage, encodeMessage } from './cluster-message.js';
import type { ClusterMessage } from './cluster-message.js';
import { INLINE_MAX_BYTES, messageKey, publishMessage, reference, takeMessage } from './message-ref.js';
import { LUA_ROUTE } from './cluster-scripts.js';
import { leaseKey, ownerKey } from './ownership.js';
import type { RouteOutcome } from '../metrics/metrics.js';

/** Time a routed request may take beyond the owner's own --downlink-timeout. */
const ROUTE_MARGIN_MS = 1000;

interface RouteScript {
  bridgeRoute(ownerKey: string, messageKey: string, me: string, channelPrefix: string, message: Buffer, ref: Buffer | string, ttl: number, leasePrefix: string): Promise<[string, number]>;
}
export type RouteConnection = Redis & RouteScript;

/** Defines the route script on the command connection. */
export function defineRouteScript(cmd: Redis): void {
  cmd.defineCommand('bridgeRoute', { numberOfKeys: 2, lua: LUA_ROUTE });
}

/** The channel replica `replica` listens on. */
export function replicaChannel(prefix: string, replica: string): string {
  return prefix + `replica:${replica}`;
}

export interface ReplicaMessagesOptions {
  prefix: string;
  replicaId: string;
  logger: Logger;
  /** The command connection while the cluster runs (undefined before start and after stop). */
  connection(): RouteConnection | undefined;
  handlers(): ClusterHandlers | undefined;
  /** Another replica claimed `id` (a release message): ownership.ts decides. */
  released(id: string, by: string): void;
  onRoute?(outcome: RouteOutcome): void;
}

interface PendingCall {
  resolve(rsp: ResponsePrimitive): void;
  timer: NodeJS.Timeout;
}

export class ReplicaMessages {
  private readonly o: ReplicaMessagesOptions;
  private readonly replicaId: string;
  private readonly calls = new Map<number, PendingCall>();
  private nextCall = 0;
  /** Messages waiting behind one being read by reference: acted on in the order they were published. */
  private inbound: Promise<void> | undefined;

  constructor(options: ReplicaMessagesOptions) {
    this.o = options;
    this.replicaId = options.replicaId;
  }

  private k(suffix: string): string {
    return this.o.prefix + suffix;
  }

  private channelOf(replica: string): string {
    return replicaChannel(this.o.prefix, replica);
  }

  /** This replica's own channel, the one to subscribe to. */
  channel(): string {
    return this.channelOf(this.replicaId);
  }

  /** Stopping: nobody waits for routed answers any more. */
  stop(): void {
    for (const [c, call] of this.calls) {
      clearTimeout(call.timer);
      this.calls.delete(c);
    }
  }

  async route(id: string, req: RequestPrimitive, timeoutMs: number): Promise<RouteResult> {
    const cmd = this.o.connection();
    if (cmd === undefined) return { routed: false };
    // The answer may arrive before the script's reply: wait for it first.
    const c = ++this.nextCall;
    const wait = timeoutMs + ROUTE_MARGIN_MS;
    let owner = '';
    const answer = new Promise<ResponsePrimitive>((resolve) => {
      const timer = setTimeout(() => {
        this.calls.delete(c);
        this.o.onRoute?.('timeout');
        resolve(responseForError(req, bridgeError('BRIDGE_ERR_ROUTE_TIMEOUT', `replica ${owner} holding ${id} did not answer within ${wait} ms`)));
      }, wait);
      this.calls.set(c, { resolve, timer });
    });
    let receivers: number;
    try {
      const message = encodeMessage({ t: 'req', c, from: this.replicaId, id, r: req, w: timeoutMs });
      // Large: stored under a key that outlives the wait, and referenced (message-ref.ts).
      const large = message.length > INLINE_MAX_BYTES;
      const key = large ? messageKey(this.o.prefix, this.replicaId) : this.k('msg:');
      [owner, receivers] = await cmd.bridgeRoute(ownerKey(this.o.prefix, id), key, this.replicaId, this.channelOf(''), message, large ? reference(key) : '', wait, leaseKey(this.o.prefix, ''));
    } catch (err) {
      this.dropCall(c);
      this.o.onRoute?.('unavailable');
      throw bridgeError('BRIDGE_ERR_STORE_UNAVAILABLE', `cannot route the request for ${id}: Redis is unreachable (${errorMessage(err)})`, { cause: err });
    }
    if (owner === '' || owner === this.replicaId) {
      this.dropCall(c);
      return { routed: false };
    }
    if (receivers <= 0) {
      // Its owner is gone: its lease has lapsed (-1), or killed, nobody listens on its channel (0).
      this.dropCall(c);
      this.o.onRoute?.('no_owner');
      return { routed: false };
    }
    return { routed: true, rsp: await answer };
  }

  stored(id: string): void {
    const cmd = this.o.connection();
    if (cmd === undefined) return;
    cmd.get(ownerKey(this.o.prefix, id)).then(
      (owner) => {
        if (owner === null) return;
        if (owner === this.replicaId) this.o.handlers()?.kick(id);
        else return cmd.publish(this.channelOf(owner), encodeMessage({ t: 'kick', id }));
      },
      // Redis away: delivery waits for the next binding, or the owner's kick when it resubscribes.
      (err: unknown) => this.o.logger.warn({ registree: id, err: errorMessage(err) }, 'cluster: could not tell the owner about a stored request'),
    ).catch(() => undefined);
  }

  async evict(id: string): Promise<void> {
    const cmd = this.o.connection();
    if (cmd === undefined) return;
    const owner = await cmd.get(ownerKey(this.o.prefix, id));
    if (owner === null) return;
    if (owner === this.replicaId) this.o.handlers()?.release(id, 'deregistered');
    else await cmd.publish(this.channelOf(owner), encodeMessage({ t: 'evict', id }));
  }

  private dropCall(c: number): void {
    const call = this.calls.get(c);
    if (call === undefined) return;
    clearTimeout(call.timer);
    this.calls.delete(c);
  }

  /** A message on this replica's channel. */
  onMessage(bytes: Buffer): void {
    const m = decodeMessage(bytes);
    if (m === undefined) {
      this.o.logger.warn({ bytes: bytes.length }, 'cluster: unreadable message on this replica\'s channel ignored');
      return;
    }
    // Nothing waits and no read by reference is needed: at once (the common case).
    if (this.inbound === undefined && m.t !== 'ref') {
      this.act(m);
      return;
    }
    const turn: Promise<void> = (this.inbound ?? Promise.resolve()).then(() => (m.t === 'ref' ? this.actOnReference(m.k) : this.act(m)));
    this.inbound = turn;
    void turn.finally(() => {
      if (this.inbound === turn) this.inbound = undefined;
    });
  }

  /** A large message: read from its key (message-ref.ts), then acted on. */
  private async actOnReference(key: string): Promise<void> {
    const cmd = this.o.connection();
    if (cmd === undefined) return;
    let bytes: Buffer | undefined;
    try {
      bytes = await takeMessage(cmd, key);
    } catch (err) {
      this.o.logger.warn({ err: errorMessage(err) }, 'cluster: a large routed message could not be read; its sender times out');
      return;
    }
    const m = bytes === undefined ? undefined : decodeMessage(bytes);
    if (m === undefined || m.t === 'ref') {
      this.o.logger.warn({ found: bytes !== undefined }, 'cluster: a large routed message expired or is unreadable; its sender times out');
      return;
    }
    this.act(m);
  }

  private act(m: ClusterMessage): void {
    switch (m.t) {
      case 'req':
        void this.answer(m);
        return;
      case 'rsp': {
        const call = this.calls.get(m.c);
        if (call === undefined) return; // timed out already
        clearTimeout(call.timer);
        this.calls.delete(m.c);
        this.o.onRoute?.('answered');
        call.resolve(m.r);
        return;
      }
      case 'release':
        this.o.released(m.id, m.by);
        return;
      case 'evict':
        this.o.handlers()?.release(m.id, 'deregistered');
        return;
      case 'kick':
        this.o.handlers()?.kick(m.id);
        return;
      case 'ref':
        return; // read by onMessage
    }
  }

  private async answer(m: Extract<ClusterMessage, { t: 'req' }>): Promise<void> {
    let rsp: ResponsePrimitive;
    const handlers = this.o.handlers();
    try {
      rsp = handlers === undefined ? responseForError(m.r, bridgeError('BRIDGE_ERR_INTERNAL', 'replica is stopping')) : await handlers.deliver(m.id, m.r);
    } catch (err) {
      rsp = responseForError(m.r, err);
    }
    try {
      const cmd = this.o.connection();
      // A large answer goes by reference too; its key lives as long as the sender waits.
      if (cmd !== undefined) await publishMessage(cmd, this.channelOf(m.from), encodeMessage({ t: 'rsp', c: m.c, r: rsp }), () => messageKey(this.o.prefix, this.replicaId), m.w + ROUTE_MARGIN_MS);
    } catch (err) {
      this.o.logger.warn({ registree: m.id, rqi: m.r.rqi, err: errorMessage(err) }, 'cluster: could not return a routed answer');
    }
  }
}
