// onem2m-ws-bridge/client: the client side of TS-0020 for AEs and CSEs that
// register over a WebSocket (to the bridge or any TS-0020 registrar).
export { Onem2mWsClient } from './onem2m-ws-client.js';
export type {
  ClientEvents,
  ClientTls,
  CloseInfo,
  ConnectOptions,
  Onem2mWsClientOptions,
  OpenInfo,
  RequestHandler,
  RequestInit,
  RequestOptions,
} from './onem2m-ws-client.js';
export type { ResponseInit } from './answer.js';
export { DEFAULT_BACKOFF, backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { CLIENT_ERRORS, Onem2mClientError } from './client-error.js';
export type { ClientErrorCode } from './client-error.js';
export { EventCategory, Operation, ResourceType, ResponseTypeValue, Rsc } from '../primitive/types.js';
export type {
  FilterCriteria,
  JsonObject,
  JsonValue,
  PrimitiveContent,
  RequestPrimitive,
  ResponsePrimitive,
  ResponseTypeInfo,
  Serialization,
} from '../primitive/types.js';
