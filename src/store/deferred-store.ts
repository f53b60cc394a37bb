// A Store whose implementation module is imported when it opens (issue 19):
// --store redis://… loads the redis store, and ioredis with it, at open();
// a bridge on lmdb or memory never loads the Redis client. Every call is
// handed to the loaded store as it is (no await, no wrapping: the hot path
// pays one call). Before open() the store holds nothing: queue figures are
// zero, other calls throw (the bridge opens its store before any door listens).
import { bridgeError } from '../errors.js';
import type {
  EnqueueRequest,
  EnqueueResult,
  QueueLimits,
  QueueSummary,
  QueueTotals,
  QueuedRequest,
  Registration,
  RegistrationPage,
  RegistrationPageQuery,
  Store,
} from './store.js';

const EMPTY: QueueTotals = Object.freeze({ messages: 0, bytes: 0 });

export class DeferredStore implements Store {
  private inner: Store | undefined;
  private loading: Promise<Store> | undefined;

  /**
   * @param named the description until the store is loaded (the loaded one's afterwards)
   * @param shared what the loaded store will say (redis: true), known before it loads
   */
  constructor(
    private readonly named: string,
    readonly shared: boolean,
    private readonly load: () => Promise<Store>,
  ) {}

  get description(): string {
    return this.inner?.description ?? this.named;
  }

  private get s(): Store {
    if (this.inner === undefined) throw bridgeError('BRIDGE_ERR_STORE', `${this.named} is not open`);
    return this.inner;
  }

  async open(): Promise<void> {
    this.loading ??= this.load();
    this.inner = await this.loading;
    await this.inner.open();
  }

  available(): boolean {
    return this.inner?.available() ?? false;
  }

  async close(): Promise<void> {
    await this.inner?.close();
  }

  getRegistration(id: string): Promise<Registration | undefined> {
    return this.s.getRegistration(id);
  }

  getRegistrationByKey(key: string): Promise<Registration | undefined> {
    return this.s.getRegistrationByKey(key);
  }

  putRegistration(reg: Registration): Promise<void> {
    return this.s.putRegistration(reg);
  }

  deleteRegistration(id: string): Promise<void> {
    return this.s.deleteRegistration(id);
  }

  listRegistrations(): Promise<Registration[]> {
    return this.s.listRegistrations();
  }

  countRegistrations(): Promise<number> {
    return this.s.countRegistrations();
  }

  listRegistrationsPage(query: RegistrationPageQuery): Promise<RegistrationPage> {
    return this.s.listRegistrationsPage(query);
  }

  enqueue(id: string, item: EnqueueRequest, limits: QueueLimits): Promise<EnqueueResult> {
    return this.s.enqueue(id, item, limits);
  }

  peek(id: string, afterSeq: number, limit: number): Promise<QueuedRequest[]> {
    return this.s.peek(id, afterSeq, limit);
  }

  ack(id: string, seq: number): Promise<void> {
    return this.s.ack(id, seq);
  }

  ackMany(id: string, seqs: readonly number[]): Promise<void> {
    return this.s.ackMany(id, seqs);
  }

  ackAcross(acks: ReadonlyMap<string, readonly number[]>): Promise<ReadonlyMap<string, Error>> {
    return this.s.ackAcross(acks);
  }

  purgeExpired(now: number): Promise<number> {
    return this.s.purgeExpired(now);
  }

  dropQueue(id: string): Promise<void> {
    return this.s.dropQueue(id);
  }

  queueStats(id: string): QueueTotals {
    return this.inner?.queueStats(id) ?? EMPTY;
  }

  totals(): QueueTotals {
    return this.inner?.totals() ?? EMPTY;
  }

  queuedIds(): string[] {
    return this.inner?.queuedIds() ?? [];
  }

  oldestStoredAt(id: string): Promise<number | undefined> {
    return this.s.oldestStoredAt(id);
  }

  queueSummary(id: string): Promise<QueueSummary> {
    return this.s.queueSummary(id);
  }
}
