// GET /api/status: the bridge at a glance for the status page (issue 20), one
// small JSON document instead of parsing /metrics in the browser.
import type { QueueTotals } from '../store/store.js';
import type { BridgeStatus } from './admin-server.js';
import type { RequestRate } from './request-rate.js';

export interface BridgeStatusSources {
  version: string;
  /** ms since epoch when the bridge was created. */
  startedAt: number;
  replica: string;
  clustered: boolean;
  store: string;
  /** Without credentials, query or fragment. */
  upstream: string;
  /** The readiness checks (/readyz): its upstream probe and the store's state. */
  ready(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  /** Open WebSocket connections, bound or not, by subprotocol. */
  connections(): Record<string, number>;
  registrees(): { online: number; offline: number };
  queueTotals(): QueueTotals;
  rate: RequestRate;
}

/** `scheme://host[:port]/path` of a URL: no user, password, query or fragment. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export function bridgeStatus(s: BridgeStatusSources): () => Promise<BridgeStatus> {
  return async () => {
    const [ready, rates] = await Promise.all([s.ready(), s.rate.perSecond()]);
    const now = Date.now();
    const byProtocol = s.connections();
    let total = 0;
    for (const n of Object.values(byProtocol)) total += n;
    return {
      version: s.version,
      node: process.version,
      startedAt: new Date(s.startedAt).toISOString(),
      uptimeSeconds: Math.floor((now - s.startedAt) / 1000),
      replica: s.replica,
      clustered: s.clustered,
      ready: ready.ready,
      store: { description: s.store, up: ready.checks.store === true },
      upstream: { url: s.upstream, up: ready.checks.upstream === true },
      connections: { total, bySubprotocol: byProtocol },
      registrees: s.registrees(),
      requestsPerSecond: { uplink: round(rates.uplink), downlink: round(rates.downlink) },
      queue: s.queueTotals(),
    };
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
