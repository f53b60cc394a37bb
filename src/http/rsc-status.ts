// Response Status Code ⇄ HTTP status code (TS-0009 6.3.2 Table 6.3.2-1, ref B7)
// and the fallback for HTTP responses without X-M2M-RSC (ref B8). Pure data.
import { Operation } from '../primitive/types.js';

/**
 * rsc → HTTP status, TS-0009 V3.9.1 column of ref B7. 4128 and 4142 have no
 * row in TS-0009; the values are ACME's (ref B7 notes).
 */
export const RSC_HTTP_STATUS: Readonly<Record<number, number>> = Object.freeze({
  // Informational (TS-0004 6.6.3.2)
  1000: 202, 1001: 202, 1002: 202,
  // Success (TS-0004 6.6.3.3)
  2000: 200, 2001: 201, 2002: 200, 2004: 200,
  // Originator error (TS-0004 6.6.3.4)
  4000: 400, 4001: 501, 4004: 404, 4005: 405, 4008: 504, 4015: 415,
  4101: 403, 4102: 400, 4103: 403, 4104: 409, 4105: 409, 4106: 403, 4107: 403, 4108: 403,
  4109: 403, 4110: 400, 4111: 403, 4112: 403, 4113: 403, 4114: 403, 4115: 403, 4116: 403,
  4117: 403, 4118: 404, 4119: 404, 4120: 400, 4121: 404, 4122: 400, 4123: 400, 4124: 409,
  4125: 501, 4126: 403, 4127: 403,
  4128: 403, // not in TS-0009 V3.9.1; ACME (ref B7 notes)
  4142: 400, // later release; ACME (ref B7 notes)
  4143: 400,
  // Receiver error (TS-0004 6.6.3.5)
  5000: 500, 5001: 501, 5103: 404, 5105: 403, 5106: 409, 5107: 404,
  5203: 403, 5204: 500, 5205: 403, 5206: 501, 5207: 406, 5208: 403, 5209: 500, 5210: 500,
  5211: 500, 5212: 500, 5214: 403, 5215: 403, 5216: 500, 5217: 500, 5218: 403, 5219: 409,
  5220: 409, 5221: 500, 5222: 403,
  // Network service error (TS-0004 6.6.3.6)
  6003: 404, 6005: 404, 6010: 400, 6020: 500, 6021: 500, 6022: 400, 6023: 400, 6024: 400,
  6025: 500, 6026: 500, 6028: 409, 6029: 409, 6030: 504, 6031: 504,
});

/**
 * HTTP status for any integer rsc: the table, else the class default of
 * ref B7 notes (1xxx→202, 2xxx→200, 4xxx→400, 5xxx→500, 6xxx→500). Anything
 * outside those classes (or not an integer) → 500.
 */
export function httpStatusForRsc(rsc: number): number {
  const status = RSC_HTTP_STATUS[rsc];
  if (status !== undefined) return status;
  if (!Number.isInteger(rsc)) return 500;
  const cls = Math.floor(rsc / 1000);
  if (cls === 1) return 202;
  if (cls === 2) return 200;
  if (cls === 4) return 400;
  return 500; // 5xxx, 6xxx and anything unclassified
}

/** ref B8: HTTP 200 without X-M2M-RSC, by operation. */
const OK_RSC_BY_OP: Readonly<Record<number, number>> = Object.freeze({
  [Operation.Create]: 2001,
  [Operation.Retrieve]: 2000,
  [Operation.Update]: 2004,
  [Operation.Delete]: 2002,
  [Operation.Notify]: 2000,
});

/** ref B8 rows other than 200 and 204. */
const RSC_BY_HTTP_STATUS: Readonly<Record<number, number>> = Object.freeze({
  201: 2001,
  202: 1000,
  400: 4000,
  401: 4103, // ref B8 ("4103 (or 4106)")
  403: 4103,
  404: 4004,
  405: 4005,
  406: 5207,
  408: 4008,
  409: 4105,
  415: 4015,
  500: 5000,
  501: 5001,
  504: 4008,
});

/**
 * Synthesizes an rsc for an HTTP response that carries no X-M2M-RSC (ref B8,
 * a recommendation, not spec). `null` means "send no response primitive"
 * (204 No Content is ACME's answer to rt=5 noResponse, ref A7). Statuses
 * without a row — including other 2xx — become 5000, as ACME does when the
 * header is missing.
 */
export function rscForHttpStatus(status: number, op: number): number | null {
  if (status === 200) return OK_RSC_BY_OP[op] ?? 2000;
  if (status === 204) return null;
  return RSC_BY_HTTP_STATUS[status] ?? 5000;
}
