// One warn line per bad HTTP request on any door (issue 17): what Node's
// parser refused, a head or body that came too late, a body too large — with
// the door, the peer address and the reason. Rate-limited per door and kind
// (ThrottledLog: the first at once, then one line a second with a count), so
// a scan or a broken peer costs a few lines, not one per request. Never the
// request's bytes: they may hold a payload.
import type { Logger } from 'pino';
import { ThrottledLog } from '../log.js';
import type { BadHttpRequest } from './door-limits.js';

export function badRequestLogger(logger: Logger): (report: BadHttpRequest) => void {
  const throttled = new ThrottledLog(logger);
  return (r) => {
    throttled.warn(`${r.door} ${r.status} ${r.code}`, { door: r.door, remote: r.remote, status: r.status, code: r.code, reason: r.reason, ...(r.hint !== undefined ? { hint: r.hint } : {}) }, `bad HTTP request on the ${r.door} door answered ${r.status}`);
  };
}
