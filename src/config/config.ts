// Every setting once: its flag, its BRIDGE_* variable, its default, how it is
// parsed. loadConfig() validates everything, reports every problem with the
// setting's name, and returns a frozen config. Nothing below the composition
// root reads process.env.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseCredentials, parseIdentityMap } from '../bridge/access.js';
import { parseSourceAllowList } from '../http/source-allow.js';
import { redactUrl } from '../redact.js';
import { uplinkProblems } from '../uplink-mode/uplink-settings.js';
import { validateStoreSpec } from '../store/open-store.js';
import { pemProblems } from './pem.js';

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

type Kind = 'url' | 'hostport' | 'string' | 'enum' | 'duration' | 'int' | 'count' | 'bytes' | 'list' | 'boolean' | 'store';

interface Setting {
  key: keyof BridgeConfig;
  flag: string;
  kind: Kind;
  default: string;
  values?: readonly string[];
  help: string;
}

/** The single schema: flags, env names, defaults and help text come from here. */
export const SETTINGS: readonly Setting[] = [
  { key: 'upstream', flag: 'upstream', kind: 'url', default: 'http://127.0.0.1:8080', help: 'base URL of the HTTP-only CSE (http:// or https://)' },
  { key: 'listen', flag: 'listen', kind: 'hostport', default: '0.0.0.0:8180', help: 'public door: WebSocket (TS-0020) for registrees' },
  { key: 'downlinkListen', flag: 'downlink-listen', kind: 'hostport', default: '127.0.0.1:8181', help: 'downlink door: the CSE sends requests for registrees to /r/<key>' },
  { key: 'downlinkUrl', flag: 'downlink-url', kind: 'string', default: '', help: 'URL the CSE uses to reach the downlink door (default http://<downlink-listen>)' },
  { key: 'adminListen', flag: 'admin-listen', kind: 'hostport', default: '127.0.0.1:9464', help: 'admin door: /metrics, /healthz, /readyz, /api/registrees' },
  { key: 'passthrough', flag: 'passthrough', kind: 'boolean', default: 'true', help: 'pass plain HTTP requests on the public door through to the CSE (--no-passthrough answers 404)' },
  { key: 'store', flag: 'store', kind: 'store', default: 'lmdb:./data', help: 'where registrations and queues are kept: lmdb:DIR (durable, one node), redis://[:password@]host:port[/db] (shared), or memory (lost on exit)' },
  { key: 'redisPrefix', flag: 'redis-prefix', kind: 'string', default: 'onem2m-bridge:', help: 'key prefix for the redis store and cluster records' },
  { key: 'redisCa', flag: 'redis-ca', kind: 'string', default: '', help: 'PEM CA bundle that a rediss:// store\'s certificate must chain to (default: the system CAs)' },
  { key: 'replicaId', flag: 'replica-id', kind: 'string', default: '', help: 'this replica\'s name in cluster mode (redis store); empty = host name plus a random suffix' },
  { key: 'ownerTtlMs', flag: 'owner-ttl', kind: 'duration', default: '30s', help: 'cluster mode: lifetime of the record saying which replica holds a registree, refreshed every third of it' },
  { key: 'upstreamFormat', flag: 'upstream-format', kind: 'enum', values: ['json', 'cbor', 'xml'], default: 'json', help: 'serialization of bodies toward the CSE' },
  { key: 'upstreamTimeoutMs', flag: 'upstream-timeout', kind: 'duration', default: '30s', help: 'longest time the CSE has to answer; a request\'s rqet can shorten it, never lengthen it' },
  { key: 'upstreamConnections', flag: 'upstream-connections', kind: 'int', default: '64', help: 'keep-alive connections to the CSE' },
  { key: 'downlinkTimeoutMs', flag: 'downlink-timeout', kind: 'duration', default: '10s', help: 'time a registree has to answer a request from the CSE, and to read what was written to it (else close 1008)' },
  { key: 'poaMode', flag: 'poa-mode', kind: 'enum', values: ['auto', 'always'], default: 'auto', help: 'auto: keep http(s) poa entries, replace ws(s)/empty with the downlink URL; always: downlink URL only' },
  { key: 'allowOriginator', flag: 'allow-originator', kind: 'list', default: '', help: 'originators (comma-separated) that may send without registering, e.g. CAdmin' },
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
  { key: 'tlsCert', flag: 'tls-cert', kind: 'string', default: '', help: 'PEM certificate (chain) for wss:// on the public door; reloaded on SIGHUP' },
  { key: 'tlsKey', flag: 'tls-key', kind: 'string', default: '', help: 'PEM private key for --tls-cert' },
  { key: 'tlsCa', flag: 'tls-ca', kind: 'string', default: '', help: 'PEM CA bundle that client certificates must chain to' },
  { key: 'tlsClientAuth', flag: 'tls-client-auth', kind: 'enum', values: ['none', 'request', 'require'], default: 'none', help: 'client certificates: none, request (verified when sent), require (mutual TLS)' },
  { key: 'identity', flag: 'identity', kind: 'enum', values: ['auto', 'tls', 'none'], default: 'auto', help: 'tls: a registree is tied to the client certificate it registered with; none: trusted networks only; auto: tls when --tls-client-auth require' },
  { key: 'upstreamCa', flag: 'upstream-ca', kind: 'string', default: '', help: 'PEM CA bundle for an https:// upstream' },
  { key: 'upstreamCert', flag: 'upstream-cert', kind: 'string', default: '', help: 'PEM client certificate toward an https:// upstream' },
  { key: 'upstreamKey', flag: 'upstream-key', kind: 'string', default: '', help: 'PEM private key for --upstream-cert' },
  { key: 'identityMap', flag: 'identity-map', kind: 'string', default: '', help: 'YAML/JSON file: client-certificate "CN=…"/"URI:…"/"DNS:…" → originators it may register or bind as' },
  { key: 'credentials', flag: 'credentials', kind: 'string', default: '', help: 'YAML/JSON file: originator → {basic: "user:pass"} or {bearer: "token"}; handshakes must then carry X-M2M-Origin and a matching Authorization' },
  { key: 'uplink', flag: 'uplink', kind: 'string', default: '', help: 'uplink mode: ws:// or wss:// URL of a WebSocket registrar (IN-CSE) the upstream CSE registers to through the bridge (off when empty)' },
  { key: 'uplinkListen', flag: 'uplink-listen', kind: 'hostport', default: '127.0.0.1:8182', help: 'uplink door: the upstream CSE sends its requests for the registrar here (only with --uplink)' },
  { key: 'uplinkUrl', flag: 'uplink-url', kind: 'string', default: '', help: "URL the upstream CSE uses to reach the uplink door; replaces the registrar's ws:// poa (default http://<uplink-listen>)" },
  { key: 'uplinkPoa', flag: 'uplink-poa', kind: 'string', default: 'ws://default', help: "what replaces the upstream CSE's http(s) poa toward the registrar: a ws:// entry saying \"over this connection\" (ws://default is ACME's marker); empty = leave them out" },
  { key: 'uplinkOrigin', flag: 'uplink-origin', kind: 'string', default: '', help: "X-M2M-Origin of the uplink handshake: the upstream CSE's CSE-ID, e.g. /id-mn (default: learned from its registration)" },
  { key: 'uplinkFormat', flag: 'uplink-format', kind: 'enum', values: ['json', 'cbor', 'xml'], default: 'json', help: 'preferred serialization toward the registrar (the others are offered after it)' },
  { key: 'uplinkTimeoutMs', flag: 'uplink-timeout', kind: 'duration', default: '30s', help: 'time the registrar has to answer when the request carries no rqet' },
  { key: 'uplinkProxy', flag: 'uplink-proxy', kind: 'string', default: '', help: 'HTTP CONNECT proxy toward the registrar (TS-0020 6.6): http://host:port, or none (default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY)' },
  { key: 'uplinkCa', flag: 'uplink-ca', kind: 'string', default: '', help: 'PEM CA bundle for a wss:// registrar' },
  { key: 'uplinkCert', flag: 'uplink-cert', kind: 'string', default: '', help: 'PEM client certificate toward a wss:// registrar' },
  { key: 'uplinkKey', flag: 'uplink-key', kind: 'string', default: '', help: 'PEM private key for --uplink-cert' },
  { key: 'cseId', flag: 'cse-id', kind: 'string', default: '', help: "the upstream CSE's CSE-ID, e.g. /id-in (default: learned with a RETRIEVE of its CSEBase at start)" },
  { key: 'spId', flag: 'sp-id', kind: 'string', default: '', help: "the upstream's M2M-SP-ID, e.g. acme.example.com, so absolute IDs (//sp/...) compare equal to their short forms (default: none)" },
  { key: 'registrationTtlMs', flag: 'registration-ttl', kind: 'duration', default: '0', help: 'forget a registration (identity, key and queue) whose registree has not been bound for this long (0 = keep until the registree or an operator deletes it)' },
  { key: 'adminToken', flag: 'admin-token', kind: 'string', default: '', help: 'every /api/* request on the admin door needs Authorization: Bearer <token> (/metrics, /healthz, /readyz stay open)' },
  { key: 'adminTokenFile', flag: 'admin-token-file', kind: 'string', default: '', help: 'read --admin-token from this file (e.g. a mounted Secret)' },
  { key: 'downlinkAllow', flag: 'downlink-allow', kind: 'list', default: '', help: 'source address ranges (IPv4/IPv6 CIDR or single addresses, comma-separated) the downlink door accepts; others get HTTP 403 with X-M2M-RSC 4103 (default: any)' },
  { key: 'bodyTimeoutMs', flag: 'body-timeout', kind: 'duration', default: '30s', help: 'time a whole request body has to arrive, from its head, on every door (passthrough, downlink, uplink, admin); beyond it HTTP 408 and close' },
  { key: 'maxPassthroughBodyBytes', flag: 'max-passthrough-body', kind: 'bytes', default: '16MiB', help: 'largest request body passthrough forwards (larger: HTTP 413 as soon as it is passed)' },
  { key: 'maxDownlinkInflight', flag: 'max-downlink-inflight', kind: 'int', default: '64', help: 'requests from the CSE (live or stored) waiting on one registree; beyond it a storable NOTIFY is stored, anything else gets 5103' },
  { key: 'maxDownlinkBufferedBytes', flag: 'max-downlink-buffered', kind: 'bytes', default: '8MiB', help: 'bytes written to one registree but not yet sent; while more wait, a storable NOTIFY is stored, anything else gets 5103' },
  { key: 'maxUnboundMessageBytes', flag: 'max-unbound-message-size', kind: 'bytes', default: '64KiB', help: 'largest message a connection not yet bound to a registree may send, --allow-originator traffic included (larger: close 1009, not decoded); at least 1KiB' },
  { key: 'redisDurability', flag: 'redis-durability', kind: 'enum', values: ['fsync', 'applied'], default: 'fsync', help: 'redis store: acknowledge a stored request once Redis has it on disk (fsync: WAITAOF on Redis >= 7.2, else appendfsync always is checked at start) or once Redis applied it (applied: up to a second of acknowledged requests lost if Redis crashes)' },
  { key: 'logLevel', flag: 'log-level', kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', help: 'log level' },
];

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function envName(setting: Setting): string {
  return 'BRIDGE_' + setting.flag.toUpperCase().replace(/-/g, '_');
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const DURATION_FACTOR: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const BYTES = /^(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i;
const BYTES_FACTOR: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1 << 20, gb: 1e9, gib: 1 << 30 };

export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * DURATION_FACTOR[m[2] ?? 'ms']);
}

export function parseHostPort(text: string): HostPort | undefined {
  const t = text.trim();
  let host = '0.0.0.0';
  let portText = t;
  if (t.startsWith('[')) {
    const end = t.indexOf(']');
    if (end === -1 || t[end + 1] !== ':') return undefined;
    host = t.slice(1, end);
    portText = t.slice(end + 2);
  } else if (t.includes(':')) {
    const i = t.lastIndexOf(':');
    host = t.slice(0, i) || '0.0.0.0';
    portText = t.slice(i + 1);
  }
  if (!/^\d+$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

function parseValue(s: Setting, raw: string): { value?: unknown; problem?: string } {
  switch (s.kind) {
    case 'url': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return { problem: `"${redactUrl(raw)}" is not a URL` };
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `"${redactUrl(raw)}" must be http:// or https://` };
      return { value: url };
    }
    case 'hostport': {
      const hp = parseHostPort(raw);
      return hp === undefined ? { problem: `"${raw}" is not HOST:PORT` } : { value: hp };
    }
    case 'string':
      return { value: raw };
    case 'store': {
      const problem = validateStoreSpec(raw);
      return problem === undefined ? { value: raw } : { problem };
    }
    case 'enum': {
      if (!s.values?.includes(raw)) return { problem: `"${raw}" is not one of ${s.values?.join(', ')}` };
      return { value: /^\d+$/.test(raw) ? Number(raw) : raw };
    }
    case 'duration': {
      const ms = parseDuration(raw);
      return ms === undefined ? { problem: `"${raw}" is not a duration (e.g. 500ms, 30s, 5m, 1h)` } : { value: ms };
    }
    case 'int': {
      if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) return { problem: `"${raw}" is not a positive integer` };
      return { value: Number(raw) };
    }
    case 'count': {
      if (!/^\d+$/.test(raw.trim())) return { problem: `"${raw}" is not a whole number (0 or more)` };
      return { value: Number(raw) };
    }
    case 'bytes': {
      const m = BYTES.exec(raw.trim());
      if (m === null) return { problem: `"${raw}" is not a size (e.g. 65536, 64KiB, 4MiB)` };
      const bytes = Number(m[1]) * BYTES_FACTOR[(m[2] ?? 'b').toLowerCase()];
      // Every size is a limit: 0 would refuse everything, or (ws maxPayload) silently switch the limit off.
      if (bytes < 1) return { problem: `"${raw}" is not a positive size (e.g. 65536, 64KiB, 4MiB)` };
      return { value: bytes };
    }
    case 'list':
      return { value: raw.split(',').map((x) => x.trim()).filter((x) => x.length > 0) };
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return { value: true };
      if (['false', '0', 'no', 'off'].includes(v)) return { value: false };
      return { problem: `"${raw}" is not a boolean (true/false)` };
    }
  }
}

export interface ParsedArgs {
  help: boolean;
  printConfig: boolean;
  /** --config FILE, when given. */
  configFile: string | undefined;
  raw: Map<string, string>;
  problems: string[];
}

/** Splits argv into --flag value / --flag=value / --no-flag pairs; unknown flags are problems. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const byFlag = new Map(SETTINGS.map((s) => [s.flag, s]));
  const raw = new Map<string, string>();
  const problems: string[] = [];
  let help = false;
  let printConfig = false;
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--print-config') {
      printConfig = true;
      continue;
    }
    if (arg === '--config' || arg.startsWith('--config=')) {
      configFile = arg === '--config' ? argv[++i] : arg.slice('--config='.length);
      if (configFile === undefined || configFile === '') problems.push('--config: needs a file name');
      continue;
    }
    if (!arg.startsWith('--')) {
      problems.push(`${arg}: unexpected argument (settings are given as --name value)`);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let setting = byFlag.get(name);
    if (setting === undefined && name.startsWith('no-')) {
      const positive = byFlag.get(name.slice(3));
      if (positive?.kind === 'boolean' && value === undefined) {
        setting = positive;
        name = positive.flag;
        value = 'false';
      }
    }
    if (setting === undefined) {
      problems.push(`--${name}: unknown setting (see --help)`);
      // Its value, if any, belongs to it and is not a stray argument.
      if (value === undefined && i + 1 < argv.length && !argv[i + 1].startsWith('--')) i++;
      continue;
    }
    if (value === undefined) {
      if (setting.kind === 'boolean') value = 'true';
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
      else {
        problems.push(`--${name}: needs a value`);
        continue;
      }
    }
    raw.set(setting.flag, value);
  }
  return { help, printConfig, configFile, raw, problems };
}

/** Reads a YAML or JSON config file; keys are setting names (`upstream-format`) or config keys (`upstreamFormat`). */
export function readConfigFile(path: string, read: (path: string) => string): { raw: Map<string, string>; problems: string[] } {
  const raw = new Map<string, string>();
  const problems: string[] = [];
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    return { raw, problems: [`--config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`] };
  }
  let doc: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    doc = parseYaml(text);
  } catch (err) {
    return { raw, problems: [`--config: ${path} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (doc === null || doc === undefined) return { raw, problems };
  if (typeof doc !== 'object' || Array.isArray(doc)) return { raw, problems: [`--config: ${path} must hold a map of settings`] };
  const byName = new Map<string, Setting>();
  for (const st of SETTINGS) {
    byName.set(st.flag, st);
    byName.set(st.key, st);
  }
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    const st = byName.get(name);
    if (st === undefined) {
      problems.push(`${path}: ${name}: unknown setting (see --help)`);
      continue;
    }
    if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) raw.set(st.flag, value.join(','));
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') raw.set(st.flag, String(value));
    else problems.push(`${path}: ${name}: must be a string, number, boolean or list`);
  }
  return { raw, problems };
}

/** Where each setting's value came from, for --print-config and problem lines. */
export type SettingSource = 'flag' | 'env' | 'file' | 'default';

/**
 * flag > env > file (--config / BRIDGE_CONFIG) > default. Validates every
 * setting once and throws ConfigError listing every problem, each naming its
 * setting. `read` reads the config file (tests inject one).
 */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): BridgeConfig {
  return loadConfigWithSources(argv, env, read).config;
}

export function loadConfigWithSources(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { config: BridgeConfig; sources: Record<string, SettingSource> } {
  const args = parseArgs(argv);
  const problems = [...args.problems];
  const configFile = args.configFile ?? env.BRIDGE_CONFIG;
  const file = configFile === undefined || configFile === '' ? { raw: new Map<string, string>(), problems: [] } : readConfigFile(configFile, read);
  problems.push(...file.problems);
  const out: Record<string, unknown> = {};
  const sources: Record<string, SettingSource> = {};
  for (const s of SETTINGS) {
    const fromFlag = args.raw.get(s.flag);
    const fromEnv = env[envName(s)];
    const fromFile = file.raw.get(s.flag);
    const raw = fromFlag ?? fromEnv ?? fromFile ?? s.default;
    const origin: SettingSource = fromFlag !== undefined ? 'flag' : fromEnv !== undefined ? 'env' : fromFile !== undefined ? 'file' : 'default';
    sources[s.flag] = origin;
    const source = { flag: `--${s.flag}`, env: envName(s), file: `${configFile}: ${s.flag}`, default: `--${s.flag} (default)` }[origin];
    const parsed = parseValue(s, raw);
    if (parsed.problem !== undefined) problems.push(`${source}: ${parsed.problem}`);
    else out[s.key] = parsed.value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = out as unknown as BridgeConfig;
  // TLS settings only make sense together; files must be readable now, not at the first handshake.
  if ((config.tlsCert === '') !== (config.tlsKey === '')) problems.push(`--tls-${config.tlsCert === '' ? 'cert' : 'key'}: needed together with --tls-${config.tlsCert === '' ? 'key' : 'cert'}`);
  if (config.ownerTtlMs < 1000) problems.push(`--owner-ttl: ${config.ownerTtlMs}ms is too short; at least 1s (it is refreshed every third of it)`);
  if (/[\s*?[\]]/.test(config.replicaId)) problems.push(`--replica-id: "${config.replicaId}" may not contain spaces or glob characters`);
  if (config.tlsClientAuth !== 'none' && config.tlsCert === '') problems.push(`--tls-client-auth: "${config.tlsClientAuth}" needs --tls-cert and --tls-key`);
  if (config.tlsClientAuth !== 'none' && config.tlsCa === '') problems.push(`--tls-client-auth: "${config.tlsClientAuth}" needs --tls-ca to verify client certificates`);
  if (config.identity === 'tls' && config.tlsClientAuth === 'none') problems.push('--identity: "tls" needs --tls-client-auth request or require');
  if ((config.upstreamCert === '') !== (config.upstreamKey === '')) problems.push(`--upstream-${config.upstreamCert === '' ? 'cert' : 'key'}: needed together with --upstream-${config.upstreamCert === '' ? 'key' : 'cert'}`);
  // Below this no registration fits, and no device could ever bind.
  if (config.maxUnboundMessageBytes < 1024) problems.push(`--max-unbound-message-size: ${config.maxUnboundMessageBytes} bytes cannot hold a registration; at least 1KiB`);
  for (const [flag, path] of [['tls-cert', config.tlsCert], ['tls-key', config.tlsKey], ['tls-ca', config.tlsCa], ['upstream-ca', config.upstreamCa], ['upstream-cert', config.upstreamCert], ['upstream-key', config.upstreamKey], ['redis-ca', config.redisCa]] as const) {
    if (path === '') continue;
    try {
      read(path);
    } catch (err) {
      problems.push(`--${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  // Parsed now: a garbage PEM or a key of another certificate is a setting's problem (exit 2), not a crash at start.
  const pem = (flag: string, path: string) => (path === '' ? undefined : ([flag, path] as const));
  problems.push(...pemProblems([
    { cert: pem('tls-cert', config.tlsCert), key: pem('tls-key', config.tlsKey), ca: pem('tls-ca', config.tlsCa) },
    { cert: pem('upstream-cert', config.upstreamCert), key: pem('upstream-key', config.upstreamKey), ca: pem('upstream-ca', config.upstreamCa) },
    { ca: pem('redis-ca', config.redisCa) },
  ], read));
  if (config.identityMap !== '' && config.tlsClientAuth === 'none') problems.push('--identity-map: needs --tls-client-auth request or require');
  for (const [flag, path, parse] of [
    ['identity-map', config.identityMap, (t: string) => parseIdentityMap(t, config.identityMap).problems],
    ['credentials', config.credentials, (t: string) => parseCredentials(t, config.credentials).problems],
  ] as const) {
    if (path === '') continue;
    try {
      for (const p of parse(read(path))) problems.push(`--${flag}: ${p}`);
    } catch (err) {
      problems.push(`--${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (config.adminToken !== '' && config.adminTokenFile !== '') problems.push('--admin-token-file: give either --admin-token or --admin-token-file, not both');
  if (config.adminTokenFile !== '') {
    try {
      config.adminToken = read(config.adminTokenFile).trim();
      if (config.adminToken === '') problems.push(`--admin-token-file: ${config.adminTokenFile} is empty`);
    } catch (err) {
      problems.push(`--admin-token-file: cannot read ${config.adminTokenFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (config.cseId !== '' && !/^\/[^/\s]+$/.test(config.cseId)) problems.push(`--cse-id: "${config.cseId}" is not an SP-relative CSE-ID such as /id-in`);
  if (config.spId !== '' && !/^[^/\s]+$/.test(config.spId)) problems.push(`--sp-id: "${config.spId}" is not an M2M-SP-ID such as acme.example.com (no slashes)`);
  problems.push(...uplinkProblems(config, read));
  for (const p of parseSourceAllowList(config.downlinkAllow).problems) problems.push(`--downlink-allow: ${p}`);
  if (config.downlinkUrl !== '') {
    try {
      const u = new URL(config.downlinkUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push(`--downlink-url: "${redactUrl(config.downlinkUrl)}" must be http:// or https://`);
    } catch {
      problems.push(`--downlink-url: "${redactUrl(config.downlinkUrl)}" is not a URL`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: Object.freeze({ ...config, allowOriginator: Object.freeze([...config.allowOriginator]), downlinkAllow: Object.freeze([...config.downlinkAllow]) }), sources };
}

/** The effective configuration as YAML, one line per setting with its source; secrets masked. */
export function printConfig(config: BridgeConfig, sources: Record<string, SettingSource>): string {
  const lines = ['# effective configuration of onem2m-ws-bridge (source in the comment)'];
  for (const s of SETTINGS) {
    const v = config[s.key];
    let text: string;
    if (v instanceof URL) text = redactUrl(v.href);
    else if (typeof v === 'object' && v !== null && 'host' in v && 'port' in v) text = `${(v as HostPort).host.includes(':') ? `[${(v as HostPort).host}]` : (v as HostPort).host}:${(v as HostPort).port}`;
    else if (Array.isArray(v)) text = v.join(',');
    else if (s.key === 'adminToken' && v !== '') text = config.adminTokenFile !== '' ? '' : '***';
    else if (s.kind === 'duration') text = `${String(v)}ms`;
    else text = redactUrl(String(v));
    lines.push(`${s.flag}: ${JSON.stringify(text)}  # ${sources[s.flag]}`);
  }
  return lines.join('\n');
}

/** Defaults overlaid with the given values: for tests and embedding (createBridge). */
export function configWith(overrides: Partial<BridgeConfig>): BridgeConfig {
  return Object.freeze({ ...loadConfig([], {}), ...overrides });
}

export function helpText(): string {
  const lines = [
    'Usage: onem2m-ws-bridge [--config FILE] [--print-config] [settings]',
    '       onem2m-ws-bridge client --url ws://host:port/ ...   (a oneM2M WebSocket client; client --help)',
    '',
    'Every setting is a flag, a BRIDGE_* environment variable and a key of the YAML/JSON file',
    'given by --config (or BRIDGE_CONFIG). Precedence: flag > env > file > default.',
    '  --config FILE       read settings from a YAML or JSON file (keys as the flag names below)',
    '  --print-config      print the effective configuration and exit',
    '  --help              this text',
    '',
  ];
  for (const s of SETTINGS) {
    const flag = s.kind === 'boolean' ? `--${s.flag} / --no-${s.flag}` : `--${s.flag} ${s.values ? s.values.join('|') : s.kind.toUpperCase()}`;
    lines.push(`  ${flag}`);
    lines.push(`      ${s.help}`);
    lines.push(`      default: ${s.default === '' ? '(none)' : s.default}   env: ${envName(s)}`);
  }
  return lines.join('\n');
}
