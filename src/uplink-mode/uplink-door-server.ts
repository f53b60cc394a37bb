// The uplink door's HTTP plumbing: every request the upstream CSE sends to
// its registrar arrives here (path = the TS-0009 Request-Target for the
// registrar) and gets what the handler answers. No oneM2M logic here.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { httpErrorAnswer } from '../http/error-answer.js';
import { collectBody } from '../http/door-limits.js';
import type { HttpResponseParts } from '../http/to-http-response.js';

export interface UplinkHttpRequest {
  method: string;
  /** Request-Target as received: path and query. */
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer | undefined;
}

export type UplinkRequestHandler = (req: UplinkHttpRequest) => Promise<HttpResponseParts>;

export function createUplinkDoorServer(handler: UplinkRequestHandler, maxBodyBytes: number): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    collectBody(req, res, maxBodyBytes, '--max-downlink-body', (body) => {
      // The upstream CSE speaks oneM2M here: a failure is answered with X-M2M-RSC (and X-M2M-RI), never a stack.
      const failed = (err: unknown) => write(res, httpErrorAnswer(req.headers['x-m2m-ri'], err));
      try {
        handler({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body }).then((answer) => write(res, answer), failed);
      } catch (err) {
        failed(err);
      }
    });
  });
}

function write(res: ServerResponse, answer: HttpResponseParts): void {
  if (res.destroyed) return;
  const body = answer.body;
  const headers: Record<string, string | number> = { ...answer.headers };
  headers['content-length'] = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  res.writeHead(answer.status, headers);
  res.end(body);
}
