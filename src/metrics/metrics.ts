// Prometheus metrics of DESIGN 7 on an own prom-client Registry (so every
// bridge, and every test, gets fresh ones). Labels are bounded: no rqi and no
// originator IDs. Hot-path children are cached so an observation costs one
// Map lookup, not a label hash.
import { VERSION } from '../version.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueTotals } from '../store/store.js';

export const METRIC_PREFIX = 'onem2m_bridge_';

/** Every metric name the bridge exports (without prom-client's default process metrics). */
export const METRIC_NAMES = {
  wsConnections: `${METRIC_PREFIX}ws_connections`,
  wsHandshakes: `${METRIC_PREFIX}ws_handshakes_total`,
  primitives: `${METRIC_PREFIX}primitives_total`,
  requestDuration: `${METRIC_PREFIX}request_duration_seconds`,
  upstreamErrors: `${METRIC_PREFIX}upstream_errors_total`,
  upstreamConnectionsOpened: `${METRIC_PREFIX}upstream_connections_opened_total`,
  registrees: `${METRIC_PREFIX}registrees`,
  queueMessages: `${METRIC_PREFIX}queue_messages`,
  queueBytes: `${METRIC_PREFIX}queue_bytes`,
  queueEvents: `${METRIC_PREFIX}queue_events_total`,
  passthroughRequests: `${METRIC_PREFIX}passthrough_requests_total`,
  storeUp: `${METRIC_PREFIX}store_up`,
  clusterRoutes: `${METRIC_PREFIX}cluster_routes_total`,
  upstreamUp: `${METRIC_PREFIX}upstream_up`,
  buildInfo: `${METRIC_PREFIX}build_info`,
} as const;

/**
 * prom-client's default gauges named `_total`: `promtool check metrics` refuses
 * a `_total` suffix on anything but a counter. Their per-type gauges without
 * the suffix (`nodejs_active_handles{type}`, …) stay; sum them for the total.
 */
const DROPPED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Label values of the counters that exist from the start (README, Metrics), so panels and rate() see zeros, not gaps. */
const UPSTREAM_ERROR_KINDS = ['refused', 'timeout', 'reset', 'bad_response', 'other'] as const;
const HANDSHAKE_REJECTIONS = ['no_subprotocol', 'bad_path', 'bad_handshake', 'too_many_connections', 'unauthorized'] as const;
const ROUTE_OUTCOMES = ['answered', 'no_owner', 'timeout', 'unavailable'] as const;

export type Direction = 'uplink' | 'downlink';
export type QueueEvent = 'stored' | 'delivered' | 'expired' | 'replaced' | 'refused';
/** Fate of a downlink request for a registree bound on another replica (DESIGN 6). */
export type RouteOutcome = 'answered' | 'no_owner' | 'timeout' | 'unavailable';

/** Buckets from 100 µs to 30 s: loopback hops through slow CSEs. */
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface MetricsSources {
  registrees(): { online: number; offline: number };
  queueTotals(): QueueTotals;
  /** The store (and in cluster mode the cluster channel) can be reached. */
  storeUp(): boolean;
  /** The upstream CSE accepts a request: the probe /readyz uses, run at each scrape (no traffic needed). */
  upstreamUp(): Promise<boolean>;
}

type CounterChild = { inc(value?: number): void };
type HistogramChild = { observe(value: number): void };

export class BridgeMetrics {
  readonly registry = new Registry();
  private readonly wsConnections: Gauge<'subprotocol'>;
  private readonly handshakes: Counter<'result' | 'reason'>;
  private readonly primitives: Counter<'direction' | 'op' | 'rsc'>;
  private readonly duration: Histogram<'direction' | 'op'>;
  private readonly upstreamErrors: Counter<'kind'>;
  private readonly upstreamConnections: Counter;
  private readonly queueEvents: Counter<'event'>;
  private readonly passthrough: Counter<'status'>;
  private readonly clusterRoutes: Counter<'outcome'>;
  private readonly primitiveChildren = new Map<string, CounterChild>();
  private readonly durationChildren = new Map<string, HistogramChild>();

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    for (const name of DROPPED_DEFAULTS) this.registry.removeSingleMetric(METRIC_PREFIX + name);
    this.wsConnections = new Gauge({ name: METRIC_NAMES.wsConnections, help: 'Open WebSocket connections by subprotocol', labelNames: ['subprotocol'], registers });
    this.handshakes = new Counter({ name: METRIC_NAMES.wsHandshakes, help: 'WebSocket opening handshakes by result and reason', labelNames: ['result', 'reason'], registers });
    this.primitives = new Counter({ name: METRIC_NAMES.primitives, help: 'Request primitives answered, by direction, operation and response status code', labelNames: ['direction', 'op', 'rsc'], registers });
    this.duration = new Histogram({ name: METRIC_NAMES.requestDuration, help: 'Time from request to response through the bridge', labelNames: ['direction', 'op'], buckets: DURATION_BUCKETS, registers });
    this.upstreamErrors = new Counter({ name: METRIC_NAMES.upstreamErrors, help: 'Failed exchanges with the upstream CSE by kind', labelNames: ['kind'], registers });
    this.upstreamConnections = new Counter({ name: METRIC_NAMES.upstreamConnectionsOpened, help: 'TCP connections opened to the upstream CSE for forwarded requests (about one per request when the CSE closes them)', registers });
    new Gauge({
      name: METRIC_NAMES.registrees,
      help: 'Known registrees by state',
      labelNames: ['state'],
      registers,
      collect() {
        const r = sources.registrees();
        this.set({ state: 'online' }, r.online);
        this.set({ state: 'offline' }, r.offline);
      },
    });
    new Gauge({
      name: METRIC_NAMES.queueMessages,
      help: 'Requests stored for offline registrees',
      registers,
      collect() {
        this.set(sources.queueTotals().messages);
      },
    });
    new Gauge({
      name: METRIC_NAMES.queueBytes,
      help: 'Bytes stored for offline registrees',
      registers,
      collect() {
        this.set(sources.queueTotals().bytes);
      },
    });
    this.queueEvents = new Counter({ name: METRIC_NAMES.queueEvents, help: 'Store-and-forward events', labelNames: ['event'], registers });
    this.passthrough = new Counter({ name: METRIC_NAMES.passthroughRequests, help: 'Plain HTTP requests passed through to the CSE, by status', labelNames: ['status'], registers });
    new Gauge({
      name: METRIC_NAMES.storeUp,
      help: '1 while the store (Redis in cluster mode) can be reached, else 0',
      registers,
      collect() {
        this.set(sources.storeUp() ? 1 : 0);
      },
    });
    this.clusterRoutes = new Counter({ name: METRIC_NAMES.clusterRoutes, help: 'Downlink requests for registrees bound on another replica, by outcome', labelNames: ['outcome'], registers });
    new Gauge({
      name: METRIC_NAMES.upstreamUp,
      help: '1 while the upstream CSE answers the /readyz probe (probed at each scrape, without traffic), else 0',
      registers,
      async collect() {
        this.set((await sources.upstreamUp()) ? 1 : 0);
      },
    });
    new Gauge({ name: METRIC_NAMES.buildInfo, help: 'Always 1; the labels say which version runs on which Node.js', labelNames: ['version', 'node'], registers }).set(
      { version: VERSION, node: process.versions.node },
      1,
    );
    // Series that should exist from the start, so dashboards show zeros, not gaps.
    for (const event of ['stored', 'delivered', 'expired', 'replaced', 'refused'] as const) this.queueEvents.inc({ event }, 0);
    this.handshakes.inc({ result: 'accepted', reason: 'ok' }, 0);
    for (const reason of HANDSHAKE_REJECTIONS) this.handshakes.inc({ result: 'rejected', reason }, 0);
    for (const kind of UPSTREAM_ERROR_KINDS) this.upstreamErrors.inc({ kind }, 0);
    for (const outcome of ROUTE_OUTCOMES) this.clusterRoutes.inc({ outcome }, 0);
  }

  connectionOpened(subprotocol: string): void {
    this.wsConnections.inc({ subprotocol });
  }

  connectionClosed(subprotocol: string): void {
    this.wsConnections.dec({ subprotocol });
  }

  /** reason: a short bounded token such as `no_subprotocol`, `bad_path`, `bad_handshake`. */
  handshake(result: 'accepted' | 'rejected', reason: string): void {
    this.handshakes.inc({ result, reason });
  }

  /** One request answered: counts it and observes its duration. */
  primitive(direction: Direction, op: number, rsc: number, seconds: number): void {
    const key = `${direction}:${op}:${rsc}`;
    let counter = this.primitiveChildren.get(key);
    if (counter === undefined) {
      counter = this.primitives.labels(direction, String(op), String(rsc));
      this.primitiveChildren.set(key, counter);
    }
    counter.inc();
    const dkey = `${direction}:${op}`;
    let histogram = this.durationChildren.get(dkey);
    if (histogram === undefined) {
      histogram = this.duration.labels(direction, String(op));
      this.durationChildren.set(dkey, histogram);
    }
    histogram.observe(seconds);
  }

  upstreamError(kind: string): void {
    this.upstreamErrors.inc({ kind });
  }

  upstreamConnectionOpened(): void {
    this.upstreamConnections.inc();
  }

  queueEvent(event: QueueEvent, n = 1): void {
    this.queueEvents.inc({ event }, n);
  }

  clusterRoute(outcome: RouteOutcome): void {
    this.clusterRoutes.inc({ outcome });
  }

  passthroughRequest(status: number): void {
    this.passthrough.inc({ status: String(status) });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
