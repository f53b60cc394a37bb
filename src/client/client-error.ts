// Errors of the client SDK: a stable string code per failure, like the
// bridge's BRIDGE_ERR_* catalog, but for the client side of TS-0020. A
// failure is never dressed up as a response primitive: a response always
// came from the peer.

/** Every way a client call can fail, and when. */
export const CLIENT_ERRORS = {
  ONEM2M_CLIENT_BAD_OPTION: 'an option or argument is invalid (the message names it)',
  ONEM2M_CLIENT_BAD_REQUEST: 'a request cannot be sent as given (e.g. its rqi is already waiting for an answer)',
  ONEM2M_CLIENT_HANDSHAKE: 'the server refused the WebSocket handshake (HTTP status and reason in the message)',
  ONEM2M_CLIENT_CONNECT: 'the connection could not be made (network, TLS, proxy)',
  ONEM2M_CLIENT_NOT_CONNECTED: 'no connection was open in time to send the request',
  ONEM2M_CLIENT_CONNECTION_LOST: 'the connection dropped before the answer arrived; the request may or may not have been carried out',
  ONEM2M_CLIENT_TIMEOUT: 'no answer with the request\'s rqi arrived in time',
  ONEM2M_CLIENT_CLOSED: 'close() was called',
  ONEM2M_CLIENT_ENCODE: 'the primitive cannot be expressed in the negotiated serialization',
  ONEM2M_CLIENT_PROTOCOL: 'the peer sent a message that is not a oneM2M primitive',
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERRORS;

export class Onem2mClientError extends Error {
  readonly code: ClientErrorCode;
  /** HTTP status of a refused handshake. */
  readonly status: number | undefined;
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'Onem2mClientError';
    this.code = code;
    this.status = options?.status;
  }
}
