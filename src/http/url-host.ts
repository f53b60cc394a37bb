// A bound listen address as the host part of a URL others can use.

/** 0.0.0.0/:: → 127.0.0.1 (reachable from this host); IPv6 in brackets. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
