// What happens to a CSE request whose registree is not connected (DESIGN 4,
// TS-0020 6.5, TS-0004 Annex H). Pure: no store, no sockets.
import { absRelToEpochMs } from '../primitive/timestamp.js';
import { EventCategory, Operation, Rsc } from '../primitive/types.js';
import { isObject } from '../primitive/is-object.js';
import type { JsonObject, RequestPrimitive } from '../primitive/types.js';

export type OfflineDecision =
  /** Store durably; with `latest`, replace a stored NOTIFY of the same subscription. */
  | { action: 'store'; latest: boolean; sur: string | undefined }
  /** Answer the verification request on the registree's behalf (--auto-verify). */
  | { action: 'verify' }
  | { action: 'refuse'; rsc: number; reason: string };

/** The m2m:sgn of a NOTIFY, if that is what it carries (ref D1). */
function notification(req: RequestPrimitive): JsonObject | undefined {
  const sgn = req.pc?.['m2m:sgn'];
  return isObject(sgn) ? sgn : undefined;
}

export function decideOffline(req: RequestPrimitive, autoVerify: boolean): OfflineDecision {
  // TS-0020 6.5: only Notify requests are kept for a client that is away.
  if (req.op !== Operation.Notify) {
    return { action: 'refuse', rsc: Rsc.TARGET_NOT_REACHABLE, reason: 'registree is offline; only notifications are stored' };
  }
  const sgn = notification(req);
  if (sgn?.vrq === true) {
    // ref D3: a verification must be answered now or the subscription fails.
    if (autoVerify) return { action: 'verify' };
    return { action: 'refuse', rsc: Rsc.TARGET_NOT_REACHABLE, reason: 'registree is offline and cannot answer the verification request' };
  }
  if (req.ec === EventCategory.Immediate) {
    // TS-0004 Annex H: immediate requests are not buffered.
    return { action: 'refuse', rsc: Rsc.TARGET_NOT_REACHABLE, reason: 'registree is offline; ec=immediate requests are not stored' };
  }
  const sur = typeof sgn?.sur === 'string' ? sgn.sur : undefined;
  return { action: 'store', latest: req.ec === EventCategory.Latest && sur !== undefined, sur };
}

/** When a stored request expires: its rqet (absolute or relative ms), else now + ttl. */
export function expiryOf(req: RequestPrimitive, now: number, ttlMs: number): number {
  if (req.rqet !== undefined) {
    const at = absRelToEpochMs(req.rqet, now);
    if (at !== undefined) return at;
  }
  return now + ttlMs;
}
