// The NOTIFY a CSE sends for a new <contentInstance>, as HTTP requests for the load generator.
import type { LoadRequest } from './http-load.js';

const body = JSON.stringify({ 'm2m:sgn': { nev: { net: 3, rep: { 'm2m:cin': { rn: 'cin_1', ty: 4, ri: 'cin1', con: '21', st: 1 } } }, sur: '/id-in/sub123' } });

/** Request n goes to path(n) with X-M2M-RI `<rqiPrefix><n>` (and an X-M2M-OT unless ot is false). */
export function notifyRequests(path: (n: number) => string, options: { rqiPrefix?: string; ot?: boolean } = {}): (n: number) => LoadRequest {
  const prefix = options.rqiPrefix ?? 'n';
  const ot = options.ot ?? true;
  return (n) => ({
    method: 'POST',
    path: path(n),
    headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': `${prefix}${n}`, 'x-m2m-rvi': '3', ...(ot ? { 'x-m2m-ot': '20240101T120000,000000' } : {}) },
    body,
  });
}
