// oneM2M request and response primitives as plain data (short names, JSON
// shape of TS-0004 8.4). No I/O here: everything that moves bytes lives in
// src/ws and src/http.
import type { FloatLexeme } from './float-lexeme.js';

/** TS-0004 6.3.4.2.5. Discovery is RETRIEVE with fc.fu = 1, never its own code. */
export const Operation = {
  Create: 1,
  Retrieve: 2,
  Update: 3,
  Delete: 4,
  Notify: 5,
} as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

/** The resource types the bridge itself has to recognise (TS-0004 6.3.4.2.1). */
export const ResourceType = {
  AccessControlPolicy: 1,
  AE: 2,
  Container: 3,
  ContentInstance: 4,
  CSEBase: 5,
  Group: 9,
  Node: 14,
  PollingChannel: 15,
  RemoteCSE: 16,
  Subscription: 23,
  FlexContainer: 28,
  TimeSeries: 29,
  TimeSeriesInstance: 30,
  CrossResourceSubscription: 48,
} as const;

/** Response Status Codes the bridge produces or reacts to (TS-0004 6.6). */
export const Rsc = {
  ACCEPTED: 1000,
  ACCEPTED_NON_BLOCKING_SYNCH: 1001,
  ACCEPTED_NON_BLOCKING_ASYNCH: 1002,
  OK: 2000,
  CREATED: 2001,
  DELETED: 2002,
  UPDATED: 2004,
  BAD_REQUEST: 4000,
  RELEASE_VERSION_NOT_SUPPORTED: 4001,
  NOT_FOUND: 4004,
  OPERATION_NOT_ALLOWED: 4005,
  REQUEST_TIMEOUT: 4008,
  UNSUPPORTED_MEDIA_TYPE: 4015,
  SUBSCRIPTION_CREATOR_HAS_NO_PRIVILEGE: 4101,
  CONTENTS_UNACCEPTABLE: 4102,
  ORIGINATOR_HAS_NO_PRIVILEGE: 4103,
  CONFLICT: 4105,
  ORIGINATOR_HAS_ALREADY_REGISTERED: 4117,
  INTERNAL_SERVER_ERROR: 5000,
  NOT_IMPLEMENTED: 5001,
  TARGET_NOT_REACHABLE: 5103,
  RECEIVER_HAS_NO_PRIVILEGE: 5105,
  ALREADY_EXISTS: 5106,
  REMOTE_ENTITY_NOT_REACHABLE: 5107,
  SUBSCRIPTION_VERIFICATION_INITIATION_FAILED: 5204,
  NOT_ACCEPTABLE: 5207,
} as const;

/** TS-0004 6.3.4.2.6 responseType values. */
export const ResponseTypeValue = {
  NonBlockingRequestSynch: 1,
  NonBlockingRequestAsynch: 2,
  BlockingRequest: 3,
  FlexBlocking: 4,
  NoResponse: 5,
} as const;

/** TS-0004 6.3.3 eventCat. */
export const EventCategory = {
  Immediate: 2,
  BestEffort: 3,
  Latest: 4,
} as const;

/** The three serializations of TS-0004 8.3-8.5. */
export type Serialization = 'json' | 'xml' | 'cbor';

/**
 * A numeric parameter the bridge only passes on (rcn, ec, drt, cnst, cnot):
 * a number, a float marker (`5.0`, float-lexeme.ts) or a numeric string
 * (`"3"`). Printed as written into the query or header; the CSE judges it (issue 15).
 */
export type PassedNumber = number | string | FloatLexeme;
/** A boolean parameter the bridge only passes on (da, sqi, tqi, asi, auri, asri): `true`, or `"true"` as written. */
export type PassedBoolean = boolean | string;

/** Any JSON-shaped value that can appear inside primitive content. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Primitive content (`pc`): an object whose single member carries a namespace
 * prefix, e.g. `{"m2m:cnt": {...}}` (TS-0004 8.4.2). Kept as plain JSON data.
 */
export type PrimitiveContent = JsonObject;

/** m2m:responseTypeInfo (TS-0004 6.3.5.30). */
export interface ResponseTypeInfo {
  rtv: number;
  nu?: string[];
}

/** m2m:attribute used in filter criteria `atr`, `catr`, `patr`. */
export type FilterAttribute = {
  nm: string;
  val: JsonValue;
};

/** m2m:filterCriteria (TS-0004 6.3.5.8); members as in the reference, A8. */
export interface FilterCriteria {
  crb?: string;
  cra?: string;
  ms?: string;
  us?: string;
  sts?: number;
  stb?: number;
  exb?: string;
  exa?: string;
  lbl?: string[];
  clbl?: string[];
  palb?: string[];
  lbq?: string;
  ty?: number[];
  chty?: number[];
  pty?: number[];
  sza?: number;
  szb?: number;
  cty?: string[];
  atr?: FilterAttribute[];
  catr?: FilterAttribute[];
  patr?: FilterAttribute[];
  fu?: number;
  lim?: number;
  smf?: string[];
  fo?: number;
  cfs?: number;
  cfq?: string;
  lvl?: number;
  ofst?: number;
  arp?: string;
  gmty?: number;
  geom?: string;
  gsf?: number;
  aq?: string;
  /** ACME writes attribute filters as plain members of fc (reference A8). */
  [attribute: string]: JsonValue | undefined;
}

/** absRelTimestamp: an m2m:timestamp string or a relative offset in ms. */
export type AbsRelTimestamp = string | number;

/** Request primitive (TS-0004 7.2.1.1, short names). */
export interface RequestPrimitive {
  op: number;
  to: string;
  fr?: string;
  rqi: string;
  ty?: number;
  pc?: PrimitiveContent;
  rids?: string[];
  ot?: string;
  rqet?: AbsRelTimestamp;
  rset?: AbsRelTimestamp;
  oet?: AbsRelTimestamp;
  rt?: ResponseTypeInfo;
  rp?: AbsRelTimestamp;
  rcn?: PassedNumber;
  ec?: PassedNumber;
  da?: PassedBoolean;
  gid?: string;
  fc?: FilterCriteria;
  drt?: PassedNumber;
  tkns?: string[];
  tids?: string[];
  ltids?: string[];
  tqi?: PassedBoolean;
  grtm?: string[];
  asi?: PassedBoolean;
  aus?: string[];
  auri?: PassedBoolean;
  sqi?: PassedBoolean;
  rvi?: string;
  vsi?: string;
  ma?: string;
}

/** m2m:dynAuthLocalTokenIdAssignments (X-M2M-ATI). */
export interface AssignedTokenIdentifiers {
  ltia: Array<{ lti: string; tkid: string }>;
}

/** Response primitive (TS-0004 7.2.1.2, short names). */
export interface ResponsePrimitive {
  rsc: number;
  rqi: string;
  pc?: PrimitiveContent;
  to?: string;
  fr?: string;
  ot?: string;
  rset?: AbsRelTimestamp;
  ec?: PassedNumber;
  cnst?: PassedNumber;
  cnot?: PassedNumber;
  ati?: AssignedTokenIdentifiers;
  tqf?: JsonObject;
  asri?: PassedBoolean;
  rvi?: string;
  vsi?: string;
}

export type Primitive =
  | { kind: 'request'; primitive: RequestPrimitive }
  | { kind: 'response'; primitive: ResponsePrimitive };

/** Request parameters in the order of TS-0004 Table 6.4.1-1 (XML element order). */
export const REQUEST_PARAMETER_ORDER = [
  'op', 'to', 'fr', 'rqi', 'ty', 'pc', 'rids', 'ot', 'rqet', 'rset', 'oet', 'rt', 'rp', 'rcn',
  'ec', 'da', 'gid', 'fc', 'drt', 'tkns', 'tids', 'ltids', 'tqi', 'grtm', 'asi', 'aus', 'auri',
  'sqi', 'rvi', 'vsi', 'ma',
] as const;

/** Response parameters in the order of TS-0004 Table 6.4.2-1 (XML element order). */
export const RESPONSE_PARAMETER_ORDER = [
  'rsc', 'rqi', 'pc', 'to', 'fr', 'ot', 'rset', 'ec', 'cnst', 'cnot', 'ati', 'tqf', 'asri',
  'rvi', 'vsi',
] as const;
