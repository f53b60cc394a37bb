// Registrar → upstream CSE. A request primitive arriving on the outbound
// WebSocket (TS-0020 5.2: requests flow both ways on one connection) becomes
// a TS-0009 HTTP request to the upstream CSE; its answer goes back on the
// socket. Every request gets exactly one answer, none for rt.rtv = 5.
import type { Logger } from 'pino';
import type { ResponseInit } from '../client/answer.js';
import { BridgeError } from '../errors.js';
import { responseForError } from '../http/error-answer.js';
import type { UpstreamClient } from '../http/upstream-client.js';
import type { RequestPrimitive } from '../primitive/types.js';
import { contentForRegistrar, contentForUpstream } from './poa-rewrite.js';

export interface FromRegistrarOptions {
  upstream: UpstreamClient;
  logger: Logger;
  /** The uplink door URL, put where the registrar's ws:// poa was. */
  uplinkUrl(): string;
  /** --uplink-poa: what replaces the upstream CSE's http(s) poa toward the registrar ('' = leave them out). */
  registreePoa: string;
}

export function fromRegistrarHandler(o: FromRegistrarOptions): (req: RequestPrimitive) => Promise<ResponseInit | null> {
  return async (incoming) => {
    const req = incoming.pc === undefined ? incoming : { ...incoming, pc: contentForUpstream(incoming.pc, o.uplinkUrl()) };
    try {
      const rsp = await o.upstream.send(req);
      if (rsp === null) return null;
      return rsp.pc === undefined ? rsp : { ...rsp, pc: contentForRegistrar(rsp.pc, o.registreePoa) };
    } catch (err) {
      if (!(err instanceof BridgeError)) o.logger.error({ rqi: req.rqi, err: String(err) }, 'request from the registrar failed');
      return responseForError(req, err);
    }
  };
}
