// The status page's requests per second (src/admin/request-rate.ts): the
// change of the primitives counter between reads at least a second apart,
// the average since the start before that; many viewers do not shorten it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { RequestRate, primitiveTotals } from '../../src/admin/request-rate.js';

test('first read: the average since the start; then the change over at least 1 s; reads in between keep the last rate', async () => {
  let now = 10_000;
  const totals = { uplink: 0, downlink: 0 };
  const rate = new RequestRate(async () => ({ ...totals }), 8_000, () => now);
  totals.uplink = 40;
  totals.downlink = 10;
  assert.deepEqual(await rate.perSecond(), { uplink: 20, downlink: 5 });
  // 300 ms later, 30 more up: too short an interval, the rate stays
  now += 300;
  totals.uplink = 70;
  assert.deepEqual(await rate.perSecond(), { uplink: 20, downlink: 5 });
  // 2 s after the first read: (110 - 40) / 2 up, (10 - 10) / 2 down
  now = 12_000;
  totals.uplink = 110;
  assert.deepEqual(await rate.perSecond(), { uplink: 35, downlink: 0 });
});

test('primitiveTotals sums onem2m_bridge_primitives_total by direction over every op and rsc', async () => {
  const registry = new Registry();
  const c = new Counter({ name: 'onem2m_bridge_primitives_total', help: 'x', labelNames: ['direction', 'op', 'rsc'], registers: [registry] });
  c.inc({ direction: 'uplink', op: '1', rsc: '2001' }, 3);
  c.inc({ direction: 'uplink', op: '2', rsc: '2000' }, 4);
  c.inc({ direction: 'downlink', op: '5', rsc: '1000' }, 2);
  assert.deepEqual(await primitiveTotals(registry, 'onem2m_bridge_primitives_total'), { uplink: 7, downlink: 2 });
  assert.deepEqual(await primitiveTotals(registry, 'onem2m_bridge_nothing_total'), { uplink: 0, downlink: 0 });
});
