// Large cluster messages travel by reference (issue 21 item 3). A routed
// request carries its whole body (up to --max-downlink-body, 4 MiB by
// default), and so does its answer. Redis disconnects a subscriber whose
// pub/sub output buffer passes `client-output-buffer-limit pubsub` (default
// hard 32 MB, soft 8 MB for 60 s; operators lower it), and every routed
// request then times out. A message above INLINE_MAX_BYTES is therefore put
// into a short-lived key, and only a reference to it is published; the
// receiver reads and deletes the key in one transaction.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { encodeMessage } from './cluster-message.js';

/** Largest encoded message published as it is; larger ones go by reference. */
export const INLINE_MAX_BYTES = 64 * 1024;

/** A fresh key for one message of this replica's (never reused). */
export function messageKey(prefix: string, replicaId: string): string {
  return `${prefix}msg:${replicaId}:${randomBytes(9).toString('base64url')}`;
}

/** The reference published in place of a message stored under `key`. */
export function reference(key: string): Buffer {
  return encodeMessage({ t: 'ref', k: key });
}

/**
 * PUBLISHes `message` on `channel`, by reference when it is large (the key
 * lives `ttlMs`, and goes at once when nobody subscribes). Resolves to the
 * number of subscribers reached.
 */
export async function publishMessage(cmd: Redis, channel: string, message: Buffer, key: () => string, ttlMs: number): Promise<number> {
  if (message.length <= INLINE_MAX_BYTES) return cmd.publish(channel, message);
  const k = key();
  // MULTI: the key is there before any subscriber sees the reference.
  const replies = await cmd.multi().set(k, message, 'PX', ttlMs).publish(channel, reference(k)).exec();
  const failed = replies?.find(([err]) => err !== null)?.[0];
  if (replies === null || failed !== undefined) throw failed ?? new Error('cluster: transaction aborted');
  const reached = Number(replies[1][1]);
  if (reached === 0) void cmd.del(k).catch(() => undefined);
  return reached;
}

/** The message stored under `key`, read and deleted at once; undefined when it expired or was read already. */
export async function takeMessage(cmd: Redis, key: string): Promise<Buffer | undefined> {
  const replies = await cmd.multi().getBuffer(key).del(key).exec();
  const failed = replies?.find(([err]) => err !== null)?.[0];
  if (replies === null || failed !== undefined) throw failed ?? new Error('cluster: transaction aborted');
  const value = replies[0][1];
  return Buffer.isBuffer(value) ? value : undefined;
}
