// TS-0020 6.6 / 6.2.2.2: a client configured with a proxy opens a tunnel with
// CONNECT host:port first and sends its handshake through it. The agent
// (https-proxy-agent) does the CONNECT for ws:// and wss:// alike and starts
// TLS inside the tunnel for wss://.
import type { Agent } from 'node:http';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { Onem2mClientError } from './client-error.js';
import { redactUrl } from '../redact.js';

/**
 * `false`: connect directly. A URL: tunnel through that HTTP(S) proxy.
 * `undefined`: as the environment says — HTTPS_PROXY for wss://, HTTP_PROXY
 * for ws:// (ALL_PROXY for both), unless NO_PROXY names the host.
 */
export type ProxySetting = string | URL | false | undefined;

/** The proxy URL to use for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, proxy: ProxySetting): URL | undefined {
  if (proxy === false) return undefined;
  let text: string;
  if (proxy === undefined) {
    // proxy-from-env looks up <scheme>_PROXY: ask as the http(s) URL the
    // WebSocket URL stands for (RFC 6455 3), so HTTPS_PROXY/HTTP_PROXY apply.
    const asHttp = new URL(target.href);
    asHttp.protocol = target.protocol === 'wss:' ? 'https:' : 'http:';
    text = getProxyForUrl(asHttp.href);
    if (text === '') return undefined;
  } else {
    text = proxy instanceof URL ? proxy.href : proxy;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `proxy: "${redactUrl(text)}" is not a URL (expected http://host:port or https://host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Onem2mClientError('ONEM2M_CLIENT_BAD_OPTION', `proxy: "${url.protocol}" proxies are not supported; TS-0020 6.6 uses an HTTP proxy with CONNECT (http:// or https://)`);
  }
  return url;
}

/** An agent that tunnels through `proxy` with CONNECT (credentials in the URL become Proxy-Authorization). */
export function connectProxyAgent(proxy: URL): Agent {
  return new HttpsProxyAgent(proxy, { keepAlive: false });
}
