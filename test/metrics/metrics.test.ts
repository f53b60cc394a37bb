// Issue 17.2: upstream health is a metric (the /readyz probe, no traffic
// needed), build_info names the version, the counters the README lists exist
// at zero from the start, and `promtool check metrics` accepts the live output.
// Metric names are literals here: dashboards and alerts rely on them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { promtoolOrSkip, runWithInput } from '../support/promtool.js';

const promtool = promtoolOrSkip();

async function scrape(run: Running): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${run.addresses.admin.port}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** The value of one sample, `name{labels}` exactly as exported (labels in export order), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('`promtool check metrics` accepts the live /metrics output', { skip: promtool.skip }, async () => {
  const run = await startBridge();
  try {
    const text = await scrape(run);
    const r = await runWithInput(promtool.path!, ['check', 'metrics'], text);
    assert.equal(r.code, 0, `promtool check metrics exited ${r.code}:\n${r.stdout}${r.stderr}`);
    assert.equal(r.stderr.trim(), '', 'no lint problems');
  } finally {
    await run.stop();
  }
});

test('onem2m_bridge_upstream_up is 1 while the CSE answers and 0 once it is gone, without any traffic, as /readyz says', async () => {
  const run = await startBridge();
  try {
    assert.equal(sample(await scrape(run), 'onem2m_bridge_upstream_up'), 1);
    await run.cse.close();
    // No request from any registree: the scrape itself probes.
    assert.equal(sample(await scrape(run), 'onem2m_bridge_upstream_up'), 0);
    const ready = await fetch(`http://127.0.0.1:${run.addresses.admin.port}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { checks: { upstream: boolean } }).checks.upstream, false);
    assert.equal(sample(await scrape(run), 'onem2m_bridge_upstream_errors_total{kind="refused"}'), 0, 'a probe is not traffic');
  } finally {
    await run.bridge.stop();
  }
});

test('onem2m_bridge_build_info{version,node} is 1 with the package.json version and the Node.js version', async () => {
  const run = await startBridge();
  try {
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    assert.equal(sample(await scrape(run), `onem2m_bridge_build_info{version="${version}",node="${process.versions.node}"}`), 1);
  } finally {
    await run.stop();
  }
});

test('the counters the README lists exist at zero from the first scrape, for every label value it names', async () => {
  const run = await startBridge();
  try {
    const text = await scrape(run);
    const zero = [
      ...['refused', 'timeout', 'reset', 'bad_response', 'other'].map((kind) => `onem2m_bridge_upstream_errors_total{kind="${kind}"}`),
      ...['stored', 'delivered', 'expired', 'replaced', 'refused'].map((event) => `onem2m_bridge_queue_events_total{event="${event}"}`),
      'onem2m_bridge_ws_handshakes_total{result="accepted",reason="ok"}',
      ...['no_subprotocol', 'bad_path', 'bad_handshake', 'too_many_connections', 'unauthorized'].map((reason) => `onem2m_bridge_ws_handshakes_total{result="rejected",reason="${reason}"}`),
      ...['answered', 'no_owner', 'timeout', 'unavailable'].map((outcome) => `onem2m_bridge_cluster_routes_total{outcome="${outcome}"}`),
    ];
    for (const series of zero) assert.equal(sample(text, series), 0, series);
    // The README lists exactly these values: a value added to one must be added to the other.
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    assert.match(readme, /`onem2m_bridge_upstream_errors_total` \| counter \| `kind` \(refused, timeout, reset, bad_response, other\)/);
    assert.match(readme, /`reason` \(ok, no_subprotocol, bad_path, bad_handshake, too_many_connections, unauthorized\)/);
    assert.match(readme, /`outcome` \(answered, no_owner, timeout, unavailable\)/);
  } finally {
    await run.stop();
  }
});

