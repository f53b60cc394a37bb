// What a client is told (Onem2mWsClientOptions) and what it makes of it: every
// option checked once in the constructor, a bad one an
// ONEM2M_CLIENT_BAD_OPTION naming it; URLs in messages without passwords.
import type { Agent } from 'node:http';
import type { RequestPrimitive, Serialization } from '../primitive/types.js';
import { DEFAULT_RVI } from '../primitive/error-primitive.js';
import { redactUrl, redactUrls } from '../redact.js';
import { negotiateSubprotocol } from '../ws/subprotocol.js';
import type { ResponseInit } from './answer.js';
import { DEFAULT_BACKOFF, backoffProblems } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import { Onem2mClientError } from './client-error.js';
import { connectProxyAgent, proxyFor } from './proxy-agent.js';

/** TLS toward a wss:// server (TS-0020 7): trusted CAs and the client certificate. */
export interface ClientTls {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  /** Default true: the server certificate must chain to `ca` (or the system CAs). */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface Onem2mWsClientOptions {
  /** ws://host:port/ or wss://host:port/ (TS-0020 6.2.1). */
  url: string | URL;
  /** Serializations in order of preference (default 'json'); each is offered as oneM2M.<s> and oneM2M.R2.0.<s> (TS-0020 6.2.2.9). */
  serialization?: Serialization | readonly Serialization[];
  /** Exact Sec-WebSocket-Protocol tokens to offer instead (TS-0020 6.2.2.7); the server's choice decides the serialization. */
  subprotocols?: readonly string[];
  /**
   * This registree's ID: sent as X-M2M-Origin in every handshake (so a
   * registrar binds a new connection to an earlier registration) and as `fr`
   * of requests that name none. Learned from a successful registration when
   * not given.
   */
  origin?: string;
  /** Extra handshake headers, e.g. Authorization for a bridge with --credentials. */
  headers?: Readonly<Record<string, string>>;
  tls?: ClientTls;
  /** HTTP CONNECT proxy (TS-0020 6.6): a URL, false for none; default from HTTPS_PROXY / HTTP_PROXY / NO_PROXY. */
  proxy?: string | URL | false;
  /** Time an answer may take, counted from request() (default 30 s). */
  requestTimeoutMs?: number;
  /** Time one opening handshake may take (default 10 s). */
  connectTimeoutMs?: number;
  /** Reconnect after a drop (default true, with DEFAULT_BACKOFF); false: stay disconnected. */
  reconnect?: boolean | Partial<BackoffOptions>;
  /** Keepalive ping interval; a server that misses a pong is dropped and reconnected (default 30 s, 0 = off). */
  pingIntervalMs?: number;
  /** rvi of requests that name none (default '3'). */
  rvi?: string;
  /** Largest message accepted (default 4 MiB). */
  maxMessageBytes?: number;
  /** Offer permessage-deflate (TS-0020 6.2.2.8; default false). */
  perMessageDeflate?: boolean;
  /** Answers requests from the server; the same as calling onRequest(). */
  onRequest?: RequestHandler;
}

/** Answers one request from the server; null sends no answer. */
export type RequestHandler = (req: RequestPrimitive) => ResponseInit | null | Promise<ResponseInit | null>;

/** What one connection attempt needs (connection.ts). */
export interface ConnectionSettings {
  url: URL;
  /** The URL as messages show it: a password in it masked. */
  shownUrl: string;
  protocols: string[];
  headers: Readonly<Record<string, string>>;
  tls: ClientTls;
  /** The proxy connections are tunnelled through, if any, and its agent. */
  proxyUrl: URL | undefined;
  agent: Agent | undefined;
  connectTimeoutMs: number;
  maxMessageBytes: number;
  perMessageDeflate: boolean;
  pingIntervalMs: number;
}

export interface ClientSettings extends ConnectionSettings {
  requestTimeoutMs: number;
  /** undefined: reconnect is off. */
  backoff: BackoffOptions | undefined;
  rvi: string;
  origin: string | undefined;
  onRequest: RequestHandler | undefined;
}

const SERIALIZATIONS: readonly Serialization[] = ['json', 'xml', 'cbor'];

function offeredSubprotocols(options: Onem2mWsClientOptions): string[] {
  if (options.subprotocols !== undefined) {
    if (options.subprotocols.length === 0) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', 'subprotocols: offer at least one (TS-0020 6.2.2.7)');
    for (const token of options.subprotocols) {
      if (!negotiateSubprotocol(token).ok) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `subprotocols: "${token}" is not a oneM2M subprotocol (TS-0020 6.2.2.9)`);
    }
    return [...options.subprotocols];
  }
  const preference = options.serialization === undefined ? ['json' as const] : typeof options.serialization === 'string' ? [options.serialization] : options.serialization;
  if (preference.length === 0) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', 'serialization: name at least one of json, xml, cbor');
  const tokens: string[] = [];
  for (const s of preference) {
    if (!SERIALIZATIONS.includes(s)) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `serialization: "${String(s)}" is not one of json, xml, cbor`);
    tokens.push(`oneM2M.${s}`, `oneM2M.R2.0.${s}`);
  }
  return [...new Set(tokens)];
}

export function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `${name}: must be a finite number ${allowZero ? '≥ 0' : '> 0'}, got ${String(value)}`);
  }
  return value;
}

export function clientSettings(options: Onem2mWsClientOptions): ClientSettings {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `url: "${redactUrls(String(options.url))}" is not a URL (expected ws://host:port/ or wss://host:port/)`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `url: "${redactUrl(url.href)}" must be ws:// or wss:// (TS-0020 6.2.1)`);
  }
  const shownUrl = redactUrl(url.href);
  const protocols = offeredSubprotocols(options);
  const headers = { ...options.headers };
  const tls = { ...options.tls };
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `tls.${tls.cert === undefined ? 'cert' : 'key'}: needed together with tls.${tls.cert === undefined ? 'key' : 'cert'}`);
  }
  const proxyUrl = proxyFor(url, options.proxy);
  const agent = proxyUrl === undefined ? undefined : connectProxyAgent(proxyUrl);
  const requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs, 30_000);
  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, 10_000);
  const pingIntervalMs = positive('pingIntervalMs', options.pingIntervalMs, 30_000, true);
  const maxMessageBytes = positive('maxMessageBytes', options.maxMessageBytes, 4 * 1024 * 1024);
  const perMessageDeflate = options.perMessageDeflate ?? false;
  const rvi = options.rvi ?? DEFAULT_RVI;
  let backoff: BackoffOptions | undefined;
  if (options.reconnect !== false) {
    backoff = { ...DEFAULT_BACKOFF, ...(typeof options.reconnect === 'object' ? options.reconnect : {}) };
    const problems = backoffProblems(backoff);
    if (problems.length > 0) throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', problems.join('; '));
  }
  if (options.origin !== undefined && options.origin === '') throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', 'origin: must not be empty');
  return { url, shownUrl, protocols, headers, tls, proxyUrl, agent, requestTimeoutMs, connectTimeoutMs, pingIntervalMs, maxMessageBytes, perMessageDeflate, rvi, backoff, origin: options.origin, onRequest: options.onRequest };
}
