// The one debug line per forwarded request (issue 17): which way it went, the
// primitive's op, to, fr and rqi, the answer's rsc, the time it took in ms
// and the registree. Never the content. Callers check
// logger.isLevelEnabled('debug') first, so the hot path builds nothing when
// debug is off.
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';

/** uplink: a device's request to the CSE; downlink: the CSE's request to a registree; passthrough: plain HTTP to the CSE. */
export type RequestDirection = 'uplink' | 'downlink' | 'passthrough';

export interface RequestLine {
  direction: RequestDirection;
  op: number | undefined;
  to: string | undefined;
  fr: string | undefined;
  rqi: string | undefined;
  /** The answer's rsc; undefined when none was sent (rt = noResponse). */
  rsc: number | undefined;
  ms: number;
  registree: string | undefined;
  conn?: number;
}

export function requestLine(direction: RequestDirection, req: RequestPrimitive, rsp: ResponsePrimitive | null, seconds: number, registree: string | undefined, conn?: number): RequestLine {
  return { direction, op: req.op, to: req.to, fr: req.fr, rqi: req.rqi, rsc: rsp?.rsc, ms: toMs(seconds), registree, ...(conn !== undefined ? { conn } : {}) };
}

/** Milliseconds with microsecond resolution. */
export function toMs(seconds: number): number {
  return Math.round(seconds * 1e6) / 1e3;
}
