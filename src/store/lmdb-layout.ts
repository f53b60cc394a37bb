// The on-disk layout of the lmdb store (lmdb-store.ts) and opening it.
//
// Layout (named sub-databases of one environment):
//   registrations: id → Registration
//   keys:          key → id                  (the downlink key index)
//   queue:         [id, seq] → StoredRequest (ordered array keys: per-registree FIFO)
//   expiry:        [expiresAt, id, seq] → [bytes, sur?]: every queue entry once more, in
//                  order of expiry, with what the ledger needs (issue 19: the offline fleet)
// A store written before `expiry` existed (or by such a version since) has
// fewer or more expiry entries than queue entries: open() rebuilds the index
// from the queue once (one full scan, as every open did before).
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import type { RequestPrimitive } from '../primitive/types.js';
import { QueueLedger } from './queue-ledger.js';
import type { LedgerEntry } from './queue-ledger.js';
import type { Registration } from './store.js';

export type QueueKey = [string, number];

/** Value of one queue entry; its seq is the second half of the key. */
export interface StoredRequest {
  request: RequestPrimitive;
  bytes: number;
  expiresAt: number;
  storedAt: number;
  sur?: string;
}

export interface Handles {
  root: RootDatabase;
  registrations: Database<Registration, string>;
  keys: Database<string, string>;
  queue: Database<StoredRequest, QueueKey>;
  expiry: Database<ExpiryValue, ExpiryKey>;
}

/** [expiresAt, id, seq]: ordered by time first, so the expired ones are a prefix of the range. */
export type ExpiryKey = [number, string, number];
/** [bytes, sur] or [bytes]: the rest of a LedgerEntry. */
export type ExpiryValue = [number, string] | [number];

/**
 * mkdir -p. Not mkdir({ recursive: true }): Node's loops forever, at 100% CPU
 * and without an answer, where mkdir says ENOENT under a parent that exists
 * (/proc/nope). Here each level is tried at most twice.
 */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return; // a file in the way fails at open, with ENOTDIR
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    await makeDirectory(parent);
  }
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * The environment and its sub-databases. Default sync mode (no noSync): a
 * commit reported flushed survives power loss. noSubdir false: DIR is the
 * environment's directory even when its name has a dot (lmdb-js takes
 * `bridge.data` for a file name unless told otherwise).
 */
export function openHandles(dir: string): Handles {
  const root = open({ path: dir, maxDbs: 8, noSubdir: false });
  return {
    root,
    registrations: root.openDB<Registration, string>({ name: 'registrations' }),
    keys: root.openDB<string, string>({ name: 'keys' }),
    queue: root.openDB<StoredRequest, QueueKey>({ name: 'queue' }),
    expiry: root.openDB<ExpiryValue, ExpiryKey>({ name: 'expiry' }),
  };
}

/**
 * One scan of the small expiry entries rebuilds counters, seqs and the sur
 * lookup. They come in time order, not seq order: nothing reads the ledger's
 * per-registree order (peek and the summaries read the queue itself).
 */
export function loadLedger(db: Handles): QueueLedger<LedgerEntry> {
  const ledger = new QueueLedger<LedgerEntry>();
  for (const { key, value } of db.expiry.getRange({ snapshot: true })) {
    const [expiresAt, id, seq] = key;
    const e: LedgerEntry = { seq, bytes: value[0], expiresAt };
    if (value.length > 1) e.sur = value[1];
    ledger.load(id, e);
  }
  return ledger;
}

export function expiryValue(e: { bytes: number; sur?: string }): ExpiryValue {
  return e.sur !== undefined ? [e.bytes, e.sur] : [e.bytes];
}

export function entryCount(db: { getStats(): object }): number {
  return (db.getStats() as { entryCount: number }).entryCount;
}

/**
 * The expiry index written anew from the queue, in one commit: a store from
 * before the index, or one a version without it has written to since. Reads
 * (and decodes) every stored request once, as every open() did before.
 */
export async function rebuildExpiry(db: Handles): Promise<void> {
  const entries: Array<[ExpiryKey, ExpiryValue]> = [];
  for (const { key, value } of db.queue.getRange({ snapshot: true })) {
    entries.push([[value.expiresAt, key[0], key[1]], expiryValue(value)]);
  }
  await db.root.transaction(() => {
    db.expiry.clearSync();
    for (const [key, value] of entries) void db.expiry.put(key, value);
  });
  await db.root.flushed;
}
