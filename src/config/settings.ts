// Every setting once: its flag, its BRIDGE_* variable, its default, its kind
// (how it is parsed: parse-value.ts) and its help line (help-text.ts). The
// loader (load-config.ts) reads flags, env and file through this table only.

export type UpstreamFormat = 'json' | 'cbor' | 'xml';
export type PoaMode = 'auto' | 'always';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface HostPort {
  host: string;
  port: number;
}

export interface BridgeConfig {
  upstream: URL;
  listen: HostPort;
  downlinkListen: HostPort;
  /** Base URL the CSE uses to reach the downlink door; '' = derived from downlinkListen once bound. */
  downlinkUrl: string;
  adminListen: HostPort;
  store: string;
  upstreamFormat: UpstreamFormat;
  upstreamTimeoutMs: number;
  upstreamConnections: number;
  downlinkTimeoutMs: number;
  poaMode: PoaMode;
  allowOriginator: readonly string[];
  deflate: boolean;
  pingIntervalMs: number;
  maxMessageBytes: number;
  logLevel: LogLevel;
  passthrough: boolean;
  /** rsc acknowledging a NOTIFY stored for an offline registree: 1000 (HTTP 202) or 2000 (HTTP 200). */
  offlineAck: number;
  autoVerify: boolean;
  queueTtlMs: number;
  queueMaxMessages: number;
  queueMaxBytes: number;
  queueGlobalMaxBytes: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxInFlight: number;
  /** Requests per second per connection; 0 = no limit. */
  rateLimit: number;
  handshakeTimeoutMs: number;
  /** Close a connection with no traffic for this long; 0 = never. */
  idleTimeoutMs: number;
  maxDownlinkBodyBytes: number;
  /** PEM files for wss:// on the public door ('' = plain ws://). */
  tlsCert: string;
  tlsKey: string;
  tlsCa: string;
  tlsClientAuth: 'none' | 'request' | 'require';
  /** Who may bind a registree: 'tls' ties it to its client certificate; 'auto' = tls when client auth is required. */
  identity: 'auto' | 'tls' | 'none';
  /** PEM files toward an https:// upstream ('' = system defaults / none). */
  upstreamCa: string;
  upstreamCert: string;
  upstreamKey: string;
  /** Key prefix of everything the redis store writes. */
  redisPrefix: string;
  /** PEM CA bundle for a rediss:// store ('' = system CAs). */
  redisCa: string;
  /** This replica's name in cluster mode ('' = host name plus a random suffix). */
  replicaId: string;
  /** Lifetime of a cluster ownership record; refreshed every third of it. */
  ownerTtlMs: number;
  /** YAML/JSON: certificate CN=/DNS:/URI: → originators the certificate may register or bind as. */
  identityMap: string;
  /** YAML/JSON: originator → {basic: "user:pass"} or {bearer: "token"} checked at the handshake. */
  credentials: string;
  /** Uplink mode (src/uplink-mode): ws:// or wss:// URL of a WebSocket registrar the upstream CSE registers to through the bridge; '' = off. */
  uplink: string;
  /** Uplink door: where the upstream CSE sends its requests for the registrar. */
  uplinkListen: HostPort;
  /** URL the upstream CSE uses to reach the uplink door; '' = derived from uplinkListen once bound. */
  uplinkUrl: string;
  /** What replaces the upstream CSE's http(s) poa toward the registrar ('' = leave them out). */
  uplinkPoa: string;
  /** X-M2M-Origin of the uplink handshake (the upstream CSE's CSE-ID); '' = learned from its registration. */
  uplinkOrigin: string;
  uplinkFormat: UpstreamFormat;
  uplinkTimeoutMs: number;
  /** HTTP CONNECT proxy toward the registrar; '' = HTTPS_PROXY/HTTP_PROXY/NO_PROXY, 'none' = direct. */
  uplinkProxy: string;
  /** PEM files toward a wss:// registrar ('' = system CAs / no client certificate). */
  uplinkCa: string;
  uplinkCert: string;
  uplinkKey: string;
  /** The upstream CSE's CSE-ID (`/id-in`); '' = learned with a RETRIEVE of its CSEBase. */
  cseId: string;
  /** The upstream's M2M-SP-ID (`acme.example.com`); '' = absolute IDs are only equal to themselves. */
  spId: string;
  /** Forget a registration its registree has not bound for this long; 0 = keep until deleted. */
  registrationTtlMs: number;
  /** Bearer token every /api/* request on the admin door needs ('' = none). */
  adminToken: string;
  /** File holding the admin token (read at start; '' = none). */
  adminTokenFile: string;
  /** Source address ranges (CIDR) the downlink door accepts; empty = any. */
  downlinkAllow: readonly string[];
  /** Time a request body may take to arrive on the HTTP doors (passthrough, downlink, uplink door). */
  bodyTimeoutMs: number;
  /** Largest request body passthrough forwards (larger: HTTP 413 as soon as it is passed). */
  maxPassthroughBodyBytes: number;
  /** Requests waiting on one registree's connection before the next is stored or refused. */
  maxDownlinkInflight: number;
  /** Bytes written to one registree's connection but not yet sent before the next request is stored or refused. */
  maxDownlinkBufferedBytes: number;
  /** Largest message a connection that is not bound to a registree may send. */
  maxUnboundMessageBytes: number;
  /** Redis store: acknowledge a stored request once it is on Redis's disk (fsync) or once Redis applied it (applied). */
  redisDurability: 'fsync' | 'applied';
}

export type Kind = 'url' | 'hostport' | 'string' | 'enum' | 'duration' | 'int' | 'count' | 'bytes' | 'list' | 'boolean' | 'store';

export interface Setting {
  key: keyof BridgeConfig;
  flag: string;
  kind: Kind;
  default: string;
  values?: readonly string[];
  /** What --help and the README show after the flag; default: from the kind (URL, HOST:PORT, DURATION, SIZE, N, the enum's values). */
  metavar?: string;
  help: string;
}

/** The single schema: flags, env names, defaults and help text come from here. */
export const SETTINGS: readonly Setting[] = [
  { key: 'upstream', flag: 'upstream', kind: 'url', default: 'http://127.0.0.1:8080', help: 'base URL of the HTTP-only CSE (http:// or https://)' },
  { key: 'listen', flag: 'listen', kind: 'hostport', default: '0.0.0.0:8180', help: 'public door: WebSocket (TS-0020) for registrees' },
  { key: 'downlinkListen', flag: 'downlink-listen', kind: 'hostport', default: '127.0.0.1:8181', help: 'downlink door: the CSE sends requests for registrees to /r/<key>' },
  { key: 'downlinkUrl', flag: 'downlink-url', kind: 'string', default: '', metavar: 'URL', help: 'URL the CSE uses to reach the downlink door (default http://<downlink-listen>)' },
  { key: 'adminListen', flag: 'admin-listen', kind: 'hostport', default: '127.0.0.1:9464', help: 'admin door: /metrics, /healthz, /readyz, /api/registrees' },
  { key: 'passthrough', flag: 'passthrough', kind: 'boolean', default: 'true', help: 'pass plain HTTP requests on the public door through to the CSE (--no-passthrough answers 404)' },
  { key: 'store', flag: 'store', kind: 'store', default: 'lmdb:./data', metavar: 'lmdb:DIR|redis://…|memory', help: 'where registrations and queues are kept: lmdb:DIR (durable, one node), redis://[:password@]host:port[/db] (shared), or memory (lost on exit)' },
  { key: 'redisPrefix', flag: 'redis-prefix', kind: 'string', default: 'onem2m-bridge:', metavar: 'PREFIX', help: 'key prefix for the redis store and cluster records' },
  { key: 'redisCa', flag: 'redis-ca', kind: 'string', default: '', metavar: 'FILE', help: 'PEM CA bundle that a rediss:// store\'s certificate must chain to (default: the system CAs)' },
  { key: 'replicaId', flag: 'replica-id', kind: 'string', default: '', metavar: 'NAME', help: 'this replica\'s name in cluster mode (redis store); empty = host name plus a random suffix' },
  { key: 'ownerTtlMs', flag: 'owner-ttl', kind: 'duration', default: '30s', help: 'cluster mode: lifetime of a replica\'s lease (its records of which registrees it holds count while it runs), extended every third of it' },
  { key: 'upstreamFormat', flag: 'upstream-format', kind: 'enum', values: ['json', 'cbor', 'xml'], default: 'json', help: 'serialization of bodies toward the CSE' },
  { key: 'upstreamTimeoutMs', flag: 'upstream-timeout', kind: 'duration', default: '30s', help: 'longest time the CSE has to answer; a request\'s rqet can shorten it, never lengthen it' },
  { key: 'upstreamConnections', flag: 'upstream-connections', kind: 'int', default: '64', help: 'keep-alive connections to the CSE' },
  { key: 'downlinkTimeoutMs', flag: 'downlink-timeout', kind: 'duration', default: '10s', help: 'time a registree has to answer a request from the CSE, and to read what was written to it (else close 1008)' },
  { key: 'poaMode', flag: 'poa-mode', kind: 'enum', values: ['auto', 'always'], default: 'auto', help: 'auto: keep http(s) poa entries, replace ws(s)/empty with the downlink URL, leave a registration with rr false as it is; always: downlink URL only and rr true, also over rr false' },
  { key: 'allowOriginator', flag: 'allow-originator', kind: 'list', default: '', metavar: 'ID[,ID]', help: 'originators (comma-separated) that may send without registering, e.g. CAdmin; a trailing * makes a prefix pattern (Ctest*)' },
  { key: 'deflate', flag: 'deflate', kind: 'boolean', default: 'true', help: 'negotiate permessage-deflate when offered (--no-deflate refuses it)' },
  { key: 'pingIntervalMs', flag: 'ping-interval', kind: 'duration', default: '30s', help: 'WebSocket keepalive ping interval; a peer missing one pong is dropped (0 = off)' },
  { key: 'maxMessageBytes', flag: 'max-message-size', kind: 'bytes', default: '4MiB', help: 'largest WebSocket message accepted (larger: close 1009)' },
  { key: 'offlineAck', flag: 'offline-ack', kind: 'enum', values: ['1000', '2000'], default: '1000', help: 'rsc that acknowledges a NOTIFY stored for an offline registree: 1000 ACCEPTED (HTTP 202) or 2000 OK (HTTP 200)' },
  { key: 'autoVerify', flag: 'auto-verify', kind: 'boolean', default: 'false', help: 'answer subscription verification requests for offline registrees with 2000 (else 5103)' },
  { key: 'queueTtlMs', flag: 'queue-ttl', kind: 'duration', default: '24h', help: 'how long a stored request is kept when it carries no rqet' },
  { key: 'queueMaxMessages', flag: 'queue-max-messages', kind: 'int', default: '10000', help: 'stored requests per registree; the newest is refused beyond it' },
  { key: 'queueMaxBytes', flag: 'queue-max-bytes', kind: 'bytes', default: '16MiB', help: 'stored bytes per registree; the newest is refused beyond it' },
  { key: 'queueGlobalMaxBytes', flag: 'queue-global-max-bytes', kind: 'bytes', default: '1GiB', help: 'stored bytes over all registrees; the newest is refused beyond it' },
  { key: 'maxConnections', flag: 'max-connections', kind: 'int', default: '100000', help: 'WebSocket connections in total; beyond it handshakes get HTTP 503' },
  { key: 'maxConnectionsPerAddress', flag: 'max-connections-per-address', kind: 'count', default: '0', help: 'WebSocket connections from one remote address; beyond it handshakes get HTTP 503 (0 = no limit: behind a load balancer or NAT many devices share one address)' },
  { key: 'maxInFlight', flag: 'max-inflight', kind: 'int', default: '256', help: 'uplink requests one connection may have waiting for the CSE; more are answered 5000 at once' },
  { key: 'rateLimit', flag: 'rate-limit', kind: 'count', default: '0', help: 'requests per second one connection may send (burst of one second); more are answered 5000; 0 = no limit' },
  { key: 'handshakeTimeoutMs', flag: 'handshake-timeout', kind: 'duration', default: '10s', help: 'time a client has to send the complete handshake / request head, on every door and per connection (slowloris); beyond it HTTP 408 and close' },
  { key: 'idleTimeoutMs', flag: 'idle-timeout', kind: 'duration', default: '0', help: 'close a WebSocket that sent nothing for this long (0 = never; keepalive pings still drop dead peers)' },
  { key: 'maxDownlinkBodyBytes', flag: 'max-downlink-body', kind: 'bytes', default: '4MiB', help: 'largest request body the downlink and uplink doors accept (larger: HTTP 413 as soon as it is passed)' },
  { key: 'tlsCert', flag: 'tls-cert', kind: 'string', default: '', metavar: 'FILE', help: 'PEM certificate (chain) for wss:// on the public door; reloaded on SIGHUP' },
  { key: 'tlsKey', flag: 'tls-key', kind: 'string', default: '', metavar: 'FILE', help: 'PEM private key for --tls-cert' },
  { key: 'tlsCa', flag: 'tls-ca', kind: 'string', default: '', metavar: 'FILE', help: 'PEM CA bundle that client certificates must chain to' },
  { key: 'tlsClientAuth', flag: 'tls-client-auth', kind: 'enum', values: ['none', 'request', 'require'], default: 'none', help: 'client certificates: none, request (verified when sent), require (mutual TLS)' },
  { key: 'identity', flag: 'identity', kind: 'enum', values: ['auto', 'tls', 'none'], default: 'auto', help: 'tls: a registree is tied to the client certificate it registered with; none: trusted networks only; auto: tls when --tls-client-auth require' },
  { key: 'upstreamCa', flag: 'upstream-ca', kind: 'string', default: '', metavar: 'FILE', help: 'PEM CA bundle for an https:// upstream' },
  { key: 'upstreamCert', flag: 'upstream-cert', kind: 'string', default: '', metavar: 'FILE', help: 'PEM client certificate toward an https:// upstream' },
  { key: 'upstreamKey', flag: 'upstream-key', kind: 'string', default: '', metavar: 'FILE', help: 'PEM private key for --upstream-cert' },
  { key: 'identityMap', flag: 'identity-map', kind: 'string', default: '', metavar: 'FILE', help: 'YAML/JSON file: client-certificate "CN=…"/"URI:…"/"DNS:…" → originators it may register or bind as' },
  { key: 'credentials', flag: 'credentials', kind: 'string', default: '', metavar: 'FILE', help: 'YAML/JSON file: originator → {basic: "user:pass"} or {bearer: "token"}; handshakes must then carry X-M2M-Origin and a matching Authorization' },
  { key: 'uplink', flag: 'uplink', kind: 'string', default: '', metavar: 'URL', help: 'uplink mode: ws:// or wss:// URL of a WebSocket registrar (IN-CSE) the upstream CSE registers to through the bridge (off when empty)' },
  { key: 'uplinkListen', flag: 'uplink-listen', kind: 'hostport', default: '127.0.0.1:8182', help: 'uplink door: the upstream CSE sends its requests for the registrar here (only with --uplink)' },
  { key: 'uplinkUrl', flag: 'uplink-url', kind: 'string', default: '', metavar: 'URL', help: "URL the upstream CSE uses to reach the uplink door; replaces the registrar's ws:// poa (default http://<uplink-listen>)" },
  { key: 'uplinkPoa', flag: 'uplink-poa', kind: 'string', default: 'ws://default', metavar: 'URL', help: "what replaces the upstream CSE's http(s) poa toward the registrar: a ws:// entry saying \"over this connection\" (ws://default is ACME's marker); empty = leave them out" },
  { key: 'uplinkOrigin', flag: 'uplink-origin', kind: 'string', default: '', metavar: 'ID', help: "X-M2M-Origin of the uplink handshake: the upstream CSE's CSE-ID, e.g. /id-mn (default: learned from its registration)" },
  { key: 'uplinkFormat', flag: 'uplink-format', kind: 'enum', values: ['json', 'cbor', 'xml'], default: 'json', help: 'preferred serialization toward the registrar (the others are offered after it)' },
  { key: 'uplinkTimeoutMs', flag: 'uplink-timeout', kind: 'duration', default: '30s', help: 'time the registrar has to answer when the request carries no rqet' },
  { key: 'uplinkProxy', flag: 'uplink-proxy', kind: 'string', default: '', metavar: 'URL|none', help: 'HTTP CONNECT proxy toward the registrar (TS-0020 6.6): http://host:port, or none (default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY)' },
  { key: 'uplinkCa', flag: 'uplink-ca', kind: 'string', default: '', metavar: 'FILE', help: 'PEM CA bundle for a wss:// registrar' },
  { key: 'uplinkCert', flag: 'uplink-cert', kind: 'string', default: '', metavar: 'FILE', help: 'PEM client certificate toward a wss:// registrar' },
  { key: 'uplinkKey', flag: 'uplink-key', kind: 'string', default: '', metavar: 'FILE', help: 'PEM private key for --uplink-cert' },
  { key: 'cseId', flag: 'cse-id', kind: 'string', default: '', metavar: 'ID', help: "the upstream CSE's CSE-ID, e.g. /id-in (default: learned with a RETRIEVE of its CSEBase at start)" },
  { key: 'spId', flag: 'sp-id', kind: 'string', default: '', metavar: 'ID', help: "the upstream's M2M-SP-ID, e.g. acme.example.com, so absolute IDs (//sp/...) compare equal to their short forms (default: none)" },
  { key: 'registrationTtlMs', flag: 'registration-ttl', kind: 'duration', default: '0', help: 'forget a registration (identity, key and queue) whose registree has not been bound for this long (0 = keep until the registree or an operator deletes it)' },
  { key: 'adminToken', flag: 'admin-token', kind: 'string', default: '', metavar: 'TOKEN', help: 'every /api/* request on the admin door needs Authorization: Bearer <token> (/metrics, /healthz, /readyz stay open)' },
  { key: 'adminTokenFile', flag: 'admin-token-file', kind: 'string', default: '', metavar: 'FILE', help: 'read --admin-token from this file (e.g. a mounted Secret)' },
  { key: 'downlinkAllow', flag: 'downlink-allow', kind: 'list', default: '', metavar: 'CIDR[,CIDR]', help: 'source address ranges (IPv4/IPv6 CIDR or single addresses, comma-separated) the downlink door accepts; others get HTTP 403 with X-M2M-RSC 4103 (default: any)' },
  { key: 'bodyTimeoutMs', flag: 'body-timeout', kind: 'duration', default: '30s', help: 'time a whole request body has to arrive, from its head, on every door (passthrough, downlink, uplink, admin); beyond it HTTP 408 and close' },
  { key: 'maxPassthroughBodyBytes', flag: 'max-passthrough-body', kind: 'bytes', default: '16MiB', help: 'largest request body passthrough forwards (larger: HTTP 413 as soon as it is passed)' },
  { key: 'maxDownlinkInflight', flag: 'max-downlink-inflight', kind: 'int', default: '64', help: 'requests from the CSE (live or stored) waiting on one registree; beyond it a storable NOTIFY is stored, anything else gets 5103' },
  { key: 'maxDownlinkBufferedBytes', flag: 'max-downlink-buffered', kind: 'bytes', default: '8MiB', help: 'bytes written to one registree but not yet sent; while more wait, a storable NOTIFY is stored, anything else gets 5103' },
  { key: 'maxUnboundMessageBytes', flag: 'max-unbound-message-size', kind: 'bytes', default: '64KiB', help: 'largest message a connection not yet bound to a registree may send, --allow-originator traffic included (larger: close 1009, not decoded); at least 1KiB' },
  { key: 'redisDurability', flag: 'redis-durability', kind: 'enum', values: ['fsync', 'applied'], default: 'fsync', help: 'redis store: acknowledge a stored request once Redis has it on disk (fsync: WAITAOF on Redis >= 7.2, else appendfsync always is checked at start) or once Redis applied it (applied: up to a second of acknowledged requests lost if Redis crashes)' },
  { key: 'logLevel', flag: 'log-level', kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', metavar: 'LEVEL', help: 'fatal, error, warn, info, debug, trace or silent' },
];

export function envName(setting: Setting): string {
  return 'BRIDGE_' + setting.flag.toUpperCase().replace(/-/g, '_');
}
