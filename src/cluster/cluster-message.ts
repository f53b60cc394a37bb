// What replicas say to each other on their Redis channels (DESIGN 6), in
// CBOR (cbor-x): one binary message, no string escaping of the primitive.
import { Encoder } from 'cbor-x';
import { isObject } from '../primitive/is-object.js';
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';

export type ClusterMessage =
  /** Deliver `r` to registree `id` and answer on channel of replica `from` with call id `c`. */
  | { t: 'req'; c: number; from: string; id: string; r: RequestPrimitive; w: number }
  /** The answer to call `c`. */
  | { t: 'rsp'; c: number; r: ResponsePrimitive }
  /** Replica `by` now owns `id` (newer binding): close the connection here. */
  | { t: 'release'; id: string; by: string }
  /** An operator deleted `id`: close its connection with 4001. */
  | { t: 'evict'; id: string }
  /** Something was stored for `id`: deliver it if it is bound here. */
  | { t: 'kick'; id: string }
  /** A message too large for the channel (a req or rsp with a large body): read once from key `k`, then act on it. */
  | { t: 'ref'; k: string };

const encoder = new Encoder({ useRecords: false, mapsAsObjects: true });

export function encodeMessage(m: ClusterMessage): Buffer {
  return encoder.encode(m);
}

/** undefined for anything that is not a message this version understands (ignored, never thrown). */
export function decodeMessage(bytes: Buffer): ClusterMessage | undefined {
  let m: unknown;
  try {
    m = encoder.decode(bytes);
  } catch {
    return undefined;
  }
  if (!isObject(m)) return undefined;
  switch (m.t) {
    case 'req':
      return typeof m.c === 'number' && typeof m.from === 'string' && typeof m.id === 'string' && isObject(m.r) && typeof m.w === 'number'
        ? (m as ClusterMessage)
        : undefined;
    case 'rsp':
      return typeof m.c === 'number' && isObject(m.r) ? (m as ClusterMessage) : undefined;
    case 'release':
      return typeof m.id === 'string' && typeof m.by === 'string' ? (m as ClusterMessage) : undefined;
    case 'evict':
    case 'kick':
      return typeof m.id === 'string' ? (m as ClusterMessage) : undefined;
    case 'ref':
      return typeof m.k === 'string' ? (m as ClusterMessage) : undefined;
    default:
      return undefined;
  }
}
