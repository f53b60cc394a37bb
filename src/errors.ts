// Errors carry a stable string code and the oneM2M rsc they become. They turn
// into response primitives in one place only: src/primitive/error-primitive.ts (the HTTP form: src/http/error-answer.ts).
// docs/errors.md documents every code; a test fails if one is missing.
import { Rsc } from './primitive/types.js';

/** Every error the bridge answers with: its code, the rsc it becomes, and when. */
export const ERRORS = {
  BRIDGE_ERR_BAD_PRIMITIVE: { rsc: Rsc.BAD_REQUEST, when: 'a WebSocket message or HTTP request is not a valid primitive' },
  BRIDGE_ERR_UNSUPPORTED_MEDIA_TYPE: { rsc: Rsc.UNSUPPORTED_MEDIA_TYPE, when: 'a request body on the downlink door has a media type the bridge cannot read' },
  BRIDGE_ERR_NOT_REGISTERED: { rsc: Rsc.ORIGINATOR_HAS_NO_PRIVILEGE, when: 'an unbound connection sends anything but a registration (TS-0020 6.4)' },
  BRIDGE_ERR_FOREIGN_ORIGINATOR: { rsc: Rsc.ORIGINATOR_HAS_NO_PRIVILEGE, when: 'a bound connection sends with an fr that is not its registree' },
  BRIDGE_ERR_IDENTITY: { rsc: Rsc.ORIGINATOR_HAS_NO_PRIVILEGE, when: 'with --identity tls, a connection without the client certificate a registree registered with tries to act as it' },
  BRIDGE_ERR_ID_HELD: { rsc: Rsc.ORIGINATOR_HAS_NO_PRIVILEGE, when: 'a registration names an ID that another identity holds at the bridge, or a CSE-ID the connection may not claim' },
  BRIDGE_ERR_PASSTHROUGH_IDENTITY: { rsc: Rsc.ORIGINATOR_HAS_NO_PRIVILEGE, when: 'with an identity mode on, a passthrough HTTP request does not authenticate as its X-M2M-Origin' },
  BRIDGE_ERR_TOO_MANY_IN_FLIGHT: { rsc: Rsc.INTERNAL_SERVER_ERROR, when: 'a connection already has --max-inflight requests waiting for the CSE' },
  BRIDGE_ERR_RATE_LIMITED: { rsc: Rsc.INTERNAL_SERVER_ERROR, when: 'a connection sends more than --rate-limit requests per second' },
  BRIDGE_ERR_UPSTREAM_REFUSED: { rsc: Rsc.TARGET_NOT_REACHABLE, when: 'the CSE refuses the connection or cannot be resolved' },
  BRIDGE_ERR_UPSTREAM_RESET: { rsc: Rsc.TARGET_NOT_REACHABLE, when: 'the CSE drops the connection mid-request' },
  BRIDGE_ERR_UPSTREAM_TIMEOUT: { rsc: Rsc.REQUEST_TIMEOUT, when: 'the CSE does not answer before rqet or within --upstream-timeout, whichever comes first (or rqet already passed)' },
  BRIDGE_ERR_UPSTREAM_BAD_RESPONSE: { rsc: Rsc.INTERNAL_SERVER_ERROR, when: "the CSE's successful answer cannot be read" },
  BRIDGE_ERR_UPSTREAM_OTHER: { rsc: Rsc.TARGET_NOT_REACHABLE, when: 'any other failure talking to the CSE' },
  BRIDGE_ERR_UNKNOWN_KEY: { rsc: Rsc.NOT_FOUND, when: 'the downlink door gets /r/<key> for a key no registree has' },
  BRIDGE_ERR_REGISTREE_GONE: { rsc: Rsc.TARGET_NOT_REACHABLE, when: 'the registree disconnects before answering a request sent down to it' },
  BRIDGE_ERR_REGISTREE_TIMEOUT: { rsc: Rsc.REQUEST_TIMEOUT, when: 'the registree does not answer within --downlink-timeout' },
  BRIDGE_ERR_REGISTREE_BUSY: { rsc: Rsc.TARGET_NOT_REACHABLE, when: "the registree's connection already has --max-downlink-inflight requests waiting or more than --max-downlink-buffered bytes unsent, and the request is not a NOTIFY that may be stored" },
  BRIDGE_ERR_OFFLINE_NOT_STORED: { rsc: Rsc.TARGET_NOT_REACHABLE, when: 'the registree is offline and the request is not one that is stored (DESIGN 4)' },
  BRIDGE_ERR_OFFLINE_EXPIRED: { rsc: Rsc.REQUEST_TIMEOUT, when: 'the registree is offline and the request expired (X-M2M-RET) before it could be stored' },
  BRIDGE_ERR_QUEUE_FULL: { rsc: Rsc.TARGET_NOT_REACHABLE, when: 'the registree is offline and a queue cap refuses the newest request' },
  BRIDGE_ERR_STORE: { rsc: Rsc.INTERNAL_SERVER_ERROR, when: 'the store cannot write (disk full, unwritable directory)' },
  BRIDGE_ERR_STORE_UNAVAILABLE: { rsc: Rsc.TARGET_NOT_REACHABLE, when: 'the shared store (Redis) cannot be reached: requests for registrees not connected to this replica cannot be routed or stored' },
  BRIDGE_ERR_ROUTE_TIMEOUT: { rsc: Rsc.REQUEST_TIMEOUT, when: 'the replica holding the registree did not answer a routed request within --downlink-timeout (plus 1 s)' },
  BRIDGE_ERR_XML_ENCODE: { rsc: Rsc.NOT_ACCEPTABLE, when: 'content cannot be expressed in XML (e.g. a member name that is no XML element name)' },
  BRIDGE_ERR_ENCODE: { rsc: Rsc.INTERNAL_SERVER_ERROR, when: "a response cannot be encoded in the registree's serialization" },
  BRIDGE_ERR_INTERNAL: { rsc: Rsc.INTERNAL_SERVER_ERROR, when: 'a bug: anything not covered above' },
  BRIDGE_ERR_CONFIG: { rsc: Rsc.INTERNAL_SERVER_ERROR, when: 'a setting is invalid (at start: exit code 2, never an answer)' },
} as const satisfies Record<string, { rsc: number; when: string }>;

export type ErrorCode = keyof typeof ERRORS;

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

/** A BridgeError whose rsc comes from the catalog. */
export function bridgeError(code: ErrorCode, message: string, options?: { cause?: unknown }): BridgeError {
  return new BridgeError(code, ERRORS[code].rsc, message, options);
}

/** A WebSocket message or HTTP body that is not a valid primitive (rsc 4000). */
export class PrimitiveDecodeError extends BridgeError {
  /** The request identifier, when it could be read from the broken input. */
  readonly rqi: string | undefined;
  /** The broken input was a response primitive (it has `rsc`): it is never answered. */
  readonly response: boolean;
  constructor(message: string, rqi?: string, options?: { cause?: unknown; response?: boolean }) {
    super('BRIDGE_ERR_BAD_PRIMITIVE', Rsc.BAD_REQUEST, message, { cause: options?.cause });
    this.name = 'PrimitiveDecodeError';
    this.rqi = rqi;
    this.response = options?.response === true;
  }
}

/**
 * Why `start()` failed; never an answer. `config`: a setting is wrong (the
 * process exits 2); `environment`: the host refused what the settings ask (a
 * door's address in use or not on this host, a store that cannot open; exit 1).
 * The message is one line that begins with the setting, e.g. `--listen 0.0.0.0:8180: …`.
 */
export class StartError extends Error {
  readonly kind: 'config' | 'environment';
  /** The setting concerned, e.g. `--listen` or `--store`. */
  readonly setting: string;
  constructor(kind: 'config' | 'environment', setting: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartError';
    this.kind = kind;
    this.setting = setting;
  }
}

/** What a thrown value says: its message, or the value as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
