// Requests per second up and down for the status page, from the primitives
// counter (DESIGN 7) the hot path already moves: nothing is added per request.
// The rate is the change between two reads at least a second apart, however
// many viewers ask; before the second read, the average since the start.
import type { Registry } from 'prom-client';

export interface DirectionRates {
  uplink: number;
  downlink: number;
}

const MIN_INTERVAL_MS = 1000;

/** Sums `onem2m_bridge_primitives_total` by its `direction` label. */
export async function primitiveTotals(registry: Registry, metricName: string): Promise<DirectionRates> {
  const totals: DirectionRates = { uplink: 0, downlink: 0 };
  const metric = registry.getSingleMetric(metricName);
  if (metric === undefined) return totals;
  for (const v of (await metric.get()).values) {
    if (v.labels.direction === 'uplink') totals.uplink += v.value;
    else if (v.labels.direction === 'downlink') totals.downlink += v.value;
  }
  return totals;
}

export class RequestRate {
  private previous: { at: number; totals: DirectionRates };
  private rates: DirectionRates = { uplink: 0, downlink: 0 };
  private first = true;

  constructor(
    private readonly totals: () => Promise<DirectionRates>,
    startedAt: number,
    private readonly now: () => number = Date.now,
  ) {
    this.previous = { at: startedAt, totals: { uplink: 0, downlink: 0 } };
  }

  async perSecond(): Promise<DirectionRates> {
    const totals = await this.totals();
    const at = this.now();
    const seconds = (at - this.previous.at) / 1000;
    // The first read averages over the time since the start, however short.
    if (at - this.previous.at >= MIN_INTERVAL_MS || (this.first && seconds > 0)) {
      this.first = false;
      this.rates = {
        uplink: Math.max(0, totals.uplink - this.previous.totals.uplink) / seconds,
        downlink: Math.max(0, totals.downlink - this.previous.totals.downlink) / seconds,
      };
      this.previous = { at, totals };
    }
    return this.rates;
  }
}
