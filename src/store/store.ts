// What the bridge keeps about registrees. One interface; implementations are
// chosen by --store (DESIGN 5). Registrations outlive connections (TS-0020 6.4).
import type { RequestPrimitive } from '../primitive/types.js';

export type RegistreeKind = 'ae' | 'cse';

export interface Registration {
  /** AE-ID (`aei`) or CSE-ID (`csi`) exactly as the CSE returned it. */
  id: string;
  /** Opaque key in the downlink URL `/r/<key>` put into the registree's poa. */
  key: string;
  kind: RegistreeKind;
  /** Resource ID and name of the registree's own <AE>/<remoteCSE>, to spot its deregistration. */
  ri?: string;
  rn?: string;
  /** Client-certificate fingerprint the registree registered with (identity tls). */
  identity?: string;
  /** ms since epoch. */
  createdAt: number;
}

/** One request the CSE sent while its registree was offline (DESIGN 4). */
export interface QueuedRequest {
  /** Position in the registree's queue, assigned by the store; strictly increasing per registree. */
  seq: number;
  /** The request primitive exactly as it will be sent to the registree. */
  request: RequestPrimitive;
  /** Size accounted against the caps (the encoded request). */
  bytes: number;
  /** ms since epoch after which the request is dropped as expired. */
  expiresAt: number;
  /** ms since epoch when it was stored. */
  storedAt: number;
  /** Subscription reference (`sur`) of a NOTIFY, for ec = latest replacement. */
  sur?: string;
}

export interface EnqueueRequest {
  request: RequestPrimitive;
  bytes: number;
  expiresAt: number;
  sur?: string;
  /**
   * TS-0004 eventCat latest (ec = 4): a stored request of the same registree
   * with the same `sur` is replaced by this one (it takes the new seq).
   */
  replaceSameSur: boolean;
}

export interface QueueLimits {
  /** Per registree. */
  maxMessages: number;
  /** Per registree, sum of `bytes`. */
  maxBytes: number;
  /** All registrees together, sum of `bytes`. */
  globalMaxBytes: number;
}

/**
 * The newest request is refused when a cap would be exceeded; nothing stored
 * is dropped to make room (TS-0004 Annex H purges the newest first).
 */
export type EnqueueResult =
  | { stored: true; seq: number; replaced: number }
  | { stored: false; reason: 'max_messages' | 'max_bytes' | 'global_max_bytes' };

export interface QueueTotals {
  messages: number;
  bytes: number;
}

/** One page of registrations in ID order (the admin API pages through 100k registrees). */
export interface RegistrationPageQuery {
  /** Only IDs after this one (exclusive); absent or '': from the first. */
  after?: string;
  /** At most this many (>= 1). */
  limit: number;
  /** Only IDs that contain this text, compared case-insensitively; absent or '': all. */
  q?: string;
}

export interface RegistrationPage {
  /** In ascending ID order (code-unit order; oneM2M IDs are ASCII, so byte order too). */
  registrations: Registration[];
  /** The last ID of this page when more registrations match after it: pass it as `after`. Absent at the end. */
  next?: string;
}

/** What waits for one registree, for the admin API (DESIGN 4: by `sur`, for ec = latest). */
export interface QueueSummary {
  messages: number;
  bytes: number;
  /** ms since epoch: when the oldest stored request was stored. */
  oldestStoredAt?: number;
  /** ms since epoch: the earliest `expiresAt` among the stored requests. */
  nextExpiresAt?: number;
  /** Per subscription reference; requests without one under `sur: null`. Most messages first. */
  bySur: Array<{ sur: string | null; messages: number; bytes: number; oldestStoredAt: number }>;
}

export interface Store {
  /** Human-readable description for logs, e.g. `memory` or `lmdb:./data`. */
  readonly description: string;
  /** True when other replicas read and write the same data (redis): local caches may lag. */
  readonly shared: boolean;
  open(): Promise<void>;
  /** False while the store cannot be reached (Redis down); /readyz reports it. */
  available(): boolean;
  close(): Promise<void>;
  getRegistration(id: string): Promise<Registration | undefined>;
  getRegistrationByKey(key: string): Promise<Registration | undefined>;
  /** Inserts or replaces the registration of `reg.id` (and its key index entry). */
  putRegistration(reg: Registration): Promise<void>;
  /** Removes the registration and its key index entry; no-op when unknown. */
  deleteRegistration(id: string): Promise<void>;
  listRegistrations(): Promise<Registration[]>;
  /** How many registrations there are, without reading them (start and resync of the registrees gauge: 100k of them). */
  countRegistrations(): Promise<number>;
  /** One page of registrations in ID order, optionally filtered by a part of the ID. */
  listRegistrationsPage(query: RegistrationPageQuery): Promise<RegistrationPage>;

  /** Stores a request durably (resolves only once it is committed) unless a cap refuses it. */
  enqueue(id: string, item: EnqueueRequest, limits: QueueLimits): Promise<EnqueueResult>;
  /**
   * Up to `limit` stored requests with seq > afterSeq, oldest first; expired ones are skipped.
   * Sees every request whose enqueue was called before it and is not refused, also while that
   * enqueue has not resolved yet (a drain that starts meanwhile must deliver it).
   * Fewer than `limit` means the queue had no further unexpired request at that read
   * (a drain then stops without reading again, issue 19).
   */
  peek(id: string, afterSeq: number, limit: number): Promise<QueuedRequest[]>;
  /** Removes one stored request after the registree answered it; no-op when already gone. */
  ack(id: string, seq: number): Promise<void>;
  /**
   * Removes several stored requests of one registree in one durable write
   * (a drain acknowledges what was answered since its last write, issue 19);
   * seqs already gone are no-ops, as in ack.
   */
  ackMany(id: string, seqs: readonly number[]): Promise<void>;
  /**
   * ackMany for many registrees in one durable write (lmdb: one transaction;
   * Redis: one pipeline): the store-wide acknowledgement writer of a reconnect
   * storm (issue 19). Resolves with the registrees whose removal failed, and
   * why (empty when all were written); their requests stay stored.
   */
  ackAcross(acks: ReadonlyMap<string, readonly number[]>): Promise<ReadonlyMap<string, Error>>;
  /** Removes every request that expired at `now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
  /** Drops a registree's whole queue (deregistration, admin DELETE). */
  dropQueue(id: string): Promise<void>;
  /** Queue size of one registree. */
  queueStats(id: string): QueueTotals;
  /** Queue size of all registrees together (for gauges; must be cheap). */
  totals(): QueueTotals;
  /** IDs whose queue is not empty, from the same view as queueStats (admin API: what is waiting). */
  queuedIds(): string[];
  /** When the oldest stored request of a registree was stored (ms since epoch); undefined when none is. */
  oldestStoredAt(id: string): Promise<number | undefined>;
  /** Everything stored for one registree, summed up (admin API). */
  queueSummary(id: string): Promise<QueueSummary>;
}
