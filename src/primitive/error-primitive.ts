// The one place where failures become response primitives. Below bridge/ so
// that every layer answering a request (the cluster answering for its
// replica, the bridge, the registrar link) builds the same answer;
// http/error-answer.ts adds the HTTP answer carrying it.
import { BridgeError, errorMessage, ERRORS } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { formatTimestamp } from './timestamp.js';
import { Rsc } from './types.js';
import type { RequestPrimitive, ResponsePrimitive } from './types.js';

/** Release used in answers the bridge makes up itself when the request named none. */
export const DEFAULT_RVI = '3';

export function errorResponse(rqi: string, rsc: number, message: string, rvi: string = DEFAULT_RVI): ResponsePrimitive {
  // ot like every CSE answer carries (optional in TS-0004, but clients log it).
  return { rsc, rqi, rvi, ot: formatTimestamp(Date.now()), pc: { 'm2m:dbg': message } };
}

/** The answer for a catalogued error code (rsc from ERRORS). */
export function codedResponse(rqi: string, code: ErrorCode, message: string, rvi: string = DEFAULT_RVI): ResponsePrimitive {
  return errorResponse(rqi, ERRORS[code].rsc, message, rvi);
}

/** Any thrown value → the response primitive answering `req`. */
export function responseForError(req: Pick<RequestPrimitive, 'rqi' | 'rvi'>, err: unknown): ResponsePrimitive {
  if (err instanceof BridgeError) return errorResponse(req.rqi, err.rsc, err.message, req.rvi ?? DEFAULT_RVI);
  const message = errorMessage(err);
  return errorResponse(req.rqi, Rsc.INTERNAL_SERVER_ERROR, `internal error: ${message}`, req.rvi ?? DEFAULT_RVI);
}
