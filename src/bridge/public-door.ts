// What the public door answers over plain HTTP (DESIGN 1): the WebSocket
// upgrade goes to the WebSocket server (door limits); every other request is
// HTTP passthrough to the CSE, gated by the identity mode, or a 404 naming
// --no-passthrough. A failure is answered in oneM2M terms, never with a stack.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { bridgeError, errorMessage } from '../errors.js';
import type { PassthroughHandler } from '../http/passthrough.js';
import { httpErrorAnswer } from '../http/error-answer.js';
import type { PassthroughVerdict } from './passthrough-gate.js';

export interface PublicDoorOptions {
  /** undefined with --no-passthrough. */
  passthrough: PassthroughHandler | undefined;
  /** DESIGN 3: with an identity mode on, passthrough authenticates like a handshake (undefined: no identity mode). */
  gate: ((req: IncomingMessage) => Promise<PassthroughVerdict>) | undefined;
  logger: Logger;
  /** Counts a passthrough request the gate refused (by HTTP status). */
  onRefused: (status: number) => void;
}

export type PublicRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** An error answered on an HTTP door in oneM2M terms (TS-0009: X-M2M-RSC, X-M2M-RI echoed), the request body discarded. */
function refuse(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const answer = httpErrorAnswer(req.headers['x-m2m-ri'], err);
  const body = answer.body ?? '';
  res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
  req.resume();
}

/** The public door's request handler (the 'request' listener of its http or https server). */
export function publicRequestHandler(o: PublicDoorOptions): PublicRequestHandler {
  const { passthrough, gate, logger } = o;
  const publicRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (passthrough !== undefined) {
      if (gate === undefined) {
        passthrough(req, res);
        return;
      }
      gate(req).then(
        (verdict) => {
          if (verdict.ok) {
            passthrough(req, res);
            return;
          }
          logger.warn({ remote: req.socket.remoteAddress, origin: req.headers['x-m2m-origin'], reason: verdict.reason }, 'passthrough request refused: identity');
          o.onRefused(403);
          refuse(req, res, bridgeError('BRIDGE_ERR_PASSTHROUGH_IDENTITY', verdict.reason));
        },
        (err: unknown) => refuse(req, res, err),
      );
      return;
    }
    const body = 'this door serves the oneM2M WebSocket binding (TS-0020) at "/"; HTTP passthrough is off (--no-passthrough)\n';
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    req.resume();
  };
  return (req, res) => {
    // The bridge's own error handler: a failure here is answered in oneM2M terms, never with a stack.
    try {
      publicRequest(req, res);
    } catch (err) {
      logger.error({ remote: req.socket.remoteAddress, err: errorMessage(err) }, 'public door request failed');
      refuse(req, res, err);
    }
  };
}
