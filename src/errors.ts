// Errors carry a stable string code and the oneM2M rsc they become. They turn
// into response primitives in one place only: src/bridge/error-response.ts.
import { Rsc } from './primitive/types.js';

export class BridgeError extends Error {
  readonly code: string;
  readonly rsc: number;
  constructor(code: string, rsc: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BridgeError';
    this.code = code;
    this.rsc = rsc;
  }
}

/** A WebSocket message or HTTP body that is not a valid primitive (rsc 4000). */
export class PrimitiveDecodeError extends BridgeError {
  /** The request identifier, when it could be read from the broken input. */
  readonly rqi: string | undefined;
  constructor(message: string, rqi?: string, options?: { cause?: unknown }) {
    super('BRIDGE_ERR_BAD_PRIMITIVE', Rsc.BAD_REQUEST, message, options);
    this.name = 'PrimitiveDecodeError';
    this.rqi = rqi;
  }
}
