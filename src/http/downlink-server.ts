// The downlink door's HTTP plumbing: reads `/r/<key>[/rest]` requests from the
// CSE and writes back what the handler answers. No oneM2M logic here.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { httpErrorAnswer } from './error-answer.js';
import { bridgeError } from '../errors.js';
import { Rsc } from '../primitive/types.js';
import { collectBody, refuse } from './door-limits.js';
import { parseSourceAllowList } from './source-allow.js';

export interface DownlinkHttpRequest {
  method: string;
  /** Path and query after `/r/<key>`; '' when nothing follows the key. */
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer | undefined;
}

export interface DownlinkHttpResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

export type DownlinkRequestHandler = (key: string, req: DownlinkHttpRequest) => Promise<DownlinkHttpResponse>;

const PREFIX = '/r/';

export interface DownlinkServerOptions {
  /** Largest request body (--max-downlink-body); larger: 413 as soon as it is passed. */
  maxBodyBytes: number;
  /** Source ranges (CIDR) that may send (--downlink-allow); empty = any. */
  allow?: readonly string[];
}

export function createDownlinkServer(handler: DownlinkRequestHandler, options: DownlinkServerOptions): Server {
  const { maxBodyBytes } = options;
  const allowed = parseSourceAllowList(options.allow ?? []);
  if (allowed.problems.length > 0) throw new Error(`--downlink-allow: ${allowed.problems.join('; ')}`);
  const allow = allowed.list;
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    // Only the upstream CSE knocks here (DESIGN 1); anyone else never reaches the handler.
    if (allow !== undefined && !allow.allows(req.socket.remoteAddress)) {
      refuse(req, res, 403, Rsc.ORIGINATOR_HAS_NO_PRIVILEGE, 'source address not allowed on the downlink door (--downlink-allow)');
      return;
    }
    const url = req.url ?? '/';
    if (!url.startsWith(PREFIX)) {
      write(res, httpErrorAnswer(req.headers['x-m2m-ri'], bridgeError('BRIDGE_ERR_UNKNOWN_KEY', 'the downlink door serves /r/<key>[/<target>] only')));
      req.resume();
      return;
    }
    let end = url.length;
    for (let i = PREFIX.length; i < url.length; i++) {
      const c = url.charCodeAt(i);
      if (c === 47 /* / */ || c === 63 /* ? */) {
        end = i;
        break;
      }
    }
    const key = url.slice(PREFIX.length, end);
    const path = url.slice(end);
    collectBody(req, res, maxBodyBytes, '--max-downlink-body', (body) => {
      // The CSE speaks oneM2M here: a failure is answered with X-M2M-RSC (and X-M2M-RI), never a stack.
      const failed = (err: unknown) => write(res, httpErrorAnswer(req.headers['x-m2m-ri'], err));
      try {
        handler(key, { method: req.method ?? 'GET', path, headers: req.headers, body }).then((answer) => write(res, answer), failed);
      } catch (err) {
        failed(err);
      }
    });
  });
}

function write(res: ServerResponse, answer: DownlinkHttpResponse): void {
  if (res.destroyed) return;
  const body = answer.body;
  const headers: Record<string, string | number> = answer.headers;
  headers['content-length'] = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  res.writeHead(answer.status, headers);
  res.end(body);
}
