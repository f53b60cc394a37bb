// Requests the server sends down (notifications, verification requests,
// retargeted requests): each goes to the application's handler and gets
// exactly one answer on the connection it came on (none for rt.rtv = 5,
// TS-0004 6.3.4.2.6). Requests that arrive before a handler is registered
// wait for it, up to a bound.
import WebSocket from 'ws';
import { errorMessage } from '../errors.js';
import type { PrimitiveCodec } from '../primitive/codec.js';
import { errorResponse } from '../primitive/error-primitive.js';
import { Rsc } from '../primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive } from '../primitive/types.js';
import { completeAnswer } from './answer.js';
import type { ResponseInit } from './answer.js';
import { Onem2mClientError } from './client-error.js';
import type { RequestHandler } from './client-options.js';

/** Requests held while no handler is registered; beyond this they are answered 5001. */
const HELD_REQUESTS_MAX = 256;

export class ServerRequests {
  private handler: RequestHandler | undefined;
  private held: RequestPrimitive[] = [];

  /**
   * @param rvi the client's default release
   * @param connection the open connection and its codec now (undefined while there is none)
   */
  constructor(
    handler: RequestHandler | undefined,
    private readonly rvi: string,
    private readonly connection: () => { ws: WebSocket; codec: PrimitiveCodec } | undefined,
    private readonly emitError: (err: Onem2mClientError) => void,
  ) {
    this.handler = handler;
  }

  /** Registers the handler; requests held meanwhile go to it now. */
  setHandler(handler: RequestHandler): void {
    this.handler = handler;
    const held = this.held;
    this.held = [];
    for (const req of held) void this.answer(req);
  }

  /** One request from the server → the handler → exactly one answer (none for rt.rtv = 5). */
  async answer(req: RequestPrimitive): Promise<void> {
    const came = this.connection();
    if (came === undefined) return;
    const handler = this.handler;
    let answer: ResponseInit | null;
    if (handler === undefined) {
      if (this.held.length < HELD_REQUESTS_MAX) {
        // Notifications stored for an offline registree arrive right after the handshake: keep them for the handler.
        this.held.push(req);
        return;
      }
      answer = errorResponse(req.rqi, Rsc.NOT_IMPLEMENTED, 'this client has no request handler (Onem2mWsClient.onRequest)', req.rvi ?? this.rvi);
    } else {
      try {
        answer = await handler(req);
      } catch (err) {
        this.emitError(new Onem2mClientError('ONEM2M_CLIENT_PROTOCOL', `request handler failed for rqi "${req.rqi}": ${errorMessage(err)}`, { cause: err }));
        answer = errorResponse(req.rqi, Rsc.INTERNAL_SERVER_ERROR, `request handler failed: ${errorMessage(err)}`, req.rvi ?? this.rvi);
      }
    }
    if (answer === null || req.rt?.rtv === 5) return;
    // The answer goes back on the connection the request came on; after a drop the server has given up on it.
    if (this.connection()?.ws !== came.ws) return;
    this.send(came.ws, came.codec, completeAnswer(req, answer, this.rvi));
  }

  /** Writes an answer; one that cannot be encoded becomes a 5000 that can. */
  send(ws: WebSocket, codec: PrimitiveCodec, rsp: ResponsePrimitive): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    let data: Buffer | string;
    try {
      data = codec.encodeResponse(rsp);
    } catch (err) {
      data = codec.encodeResponse(errorResponse(rsp.rqi, Rsc.INTERNAL_SERVER_ERROR, `answer cannot be encoded as ${codec.serialization}: ${errorMessage(err)}`, rsp.rvi ?? this.rvi));
    }
    ws.send(data, { binary: codec.binary });
  }
}
