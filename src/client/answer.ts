// What a request handler returns → the response primitive that goes back.
// Like the bridge's own answers: the request's rqi (the peer matches by it,
// TS-0020 5.2), its rvi unless the handler names one, and an ot.
import { DEFAULT_RVI } from '../primitive/error-primitive.js';
import { formatTimestamp } from '../primitive/timestamp.js';
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';

/** A handler's answer: at least an rsc; rqi is always the request's. */
export type ResponseInit = Omit<ResponsePrimitive, 'rqi' | 'rvi'> & { rvi?: string };

export function completeAnswer(req: RequestPrimitive, answer: ResponseInit, defaultRvi: string = DEFAULT_RVI, now: number = Date.now()): ResponsePrimitive {
  return { ...answer, rqi: req.rqi, rvi: answer.rvi ?? req.rvi ?? defaultRvi, ot: answer.ot ?? formatTimestamp(now) };
}
