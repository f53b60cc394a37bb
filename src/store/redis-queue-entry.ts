// One stored request as an entry of the redis store's stream q:<id>
// (redis-store.ts), read back. Entry ID `<seq>-0`; fields, written by the
// enqueue script (redis-scripts.ts): r = request JSON, b = bytes,
// e = expiresAt, t = storedAt, s = sur (optional).
import type { RequestPrimitive } from '../primitive/types.js';
import type { SummaryEntry } from './registration-page.js';
import type { QueuedRequest } from './store.js';

/** The summary fields of one stream entry (b, e, t, s), without parsing the request. */
export function queuedFields(flat: string[]): SummaryEntry {
  const e: SummaryEntry = { bytes: 0, expiresAt: 0, storedAt: 0 };
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const v = flat[i + 1];
    if (flat[i] === 'b') e.bytes = Number(v);
    else if (flat[i] === 'e') e.expiresAt = Number(v);
    else if (flat[i] === 't') e.storedAt = Number(v);
    else if (flat[i] === 's') e.sur = v;
  }
  return e;
}

/** The whole entry: the request parsed. */
export function queuedRequest(streamId: string, flat: string[]): QueuedRequest {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) f.set(flat[i], flat[i + 1]);
  const q: QueuedRequest = {
    seq: Number(streamId.slice(0, streamId.indexOf('-'))),
    request: JSON.parse(f.get('r') ?? 'null') as RequestPrimitive,
    bytes: Number(f.get('b')),
    expiresAt: Number(f.get('e')),
    storedAt: Number(f.get('t')),
  };
  const sur = f.get('s');
  if (sur !== undefined) q.sur = sur;
  return q;
}
