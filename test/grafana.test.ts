// grafana/ (dashboard, provisioning, Prometheus scrape config and alert rules)
// checked against what a real bridge exports on its admin door (DESIGN 7):
// every metric name and every label in a selector must exist, so a renamed
// metric breaks this test instead of silently blanking a panel or an alert.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startBridge } from './support/harness.js';
import type { Running } from './support/harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GRAFANA = join(ROOT, 'grafana');
const DASHBOARD_FILE = join(GRAFANA, 'dashboards', 'onem2m-ws-bridge.json');
const ALERTS_FILE = join(GRAFANA, 'prometheus', 'alerts.yaml');
const PROMETHEUS_FILE = join(GRAFANA, 'prometheus', 'prometheus.yaml');
const DATASOURCE_FILE = join(GRAFANA, 'provisioning', 'datasources', 'prometheus.yaml');
const PROVIDER_FILE = join(GRAFANA, 'provisioning', 'dashboards', 'onem2m-ws-bridge.yaml');

const METRIC_NAME = /onem2m_bridge_[a-z0-9_]+/g;
/** Added by Prometheus to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

/** DESIGN 7's names as the dashboard and the alert rules spell them: literals, so a rename in src/ fails here. */
const METRIC_NAMES = {
  wsConnections: 'onem2m_bridge_ws_connections',
  wsHandshakes: 'onem2m_bridge_ws_handshakes_total',
  primitives: 'onem2m_bridge_primitives_total',
  requestDuration: 'onem2m_bridge_request_duration_seconds',
  upstreamErrors: 'onem2m_bridge_upstream_errors_total',
  registrees: 'onem2m_bridge_registrees',
  queueMessages: 'onem2m_bridge_queue_messages',
  queueBytes: 'onem2m_bridge_queue_bytes',
  queueEvents: 'onem2m_bridge_queue_events_total',
  passthroughRequests: 'onem2m_bridge_passthrough_requests_total',
  storeUp: 'onem2m_bridge_store_up',
  clusterRoutes: 'onem2m_bridge_cluster_routes_total',
  upstreamConnectionsOpened: 'onem2m_bridge_upstream_connections_opened_total',
  upstreamUp: 'onem2m_bridge_upstream_up',
  buildInfo: 'onem2m_bridge_build_info',
} as const;

/** Label names of each bridge metric (DESIGN 7), keyed like METRIC_NAMES so a new metric must be listed here. */
const BRIDGE_LABELS: Record<keyof typeof METRIC_NAMES, readonly string[]> = {
  wsConnections: ['subprotocol'],
  wsHandshakes: ['result', 'reason'],
  primitives: ['direction', 'op', 'rsc'],
  requestDuration: ['direction', 'op'],
  upstreamErrors: ['kind'],
  upstreamConnectionsOpened: [],
  registrees: ['state'],
  queueMessages: [],
  queueBytes: [],
  queueEvents: ['event'],
  passthroughRequests: ['status'],
  storeUp: [],
  clusterRoutes: ['outcome'],
  upstreamUp: [],
  buildInfo: ['version', 'node'],
};

// Parsed JSON and YAML are untyped data; the checks below look at the fields they need.
type Doc = any;

const dashboard: Doc = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
const alerts: Doc = parse(readFileSync(ALERTS_FILE, 'utf8'));

/** Panels including those nested in collapsed rows. */
function allPanels(): Doc[] {
  const out: Doc[] = [];
  for (const p of dashboard.panels as Doc[]) {
    out.push(p);
    if (Array.isArray(p.panels)) out.push(...p.panels);
  }
  return out;
}

const graphPanels = (): Doc[] => allPanels().filter((p) => p.type !== 'row');

/** Every PromQL expression of the dashboard: panel targets and template variable queries. */
function dashboardExprs(): string[] {
  const exprs: string[] = [];
  for (const p of graphPanels()) for (const t of p.targets ?? []) if (typeof t.expr === 'string') exprs.push(t.expr);
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    if (typeof v.definition === 'string') exprs.push(v.definition);
    if (typeof v.query === 'string') exprs.push(v.query);
    else if (typeof v.query?.query === 'string') exprs.push(v.query.query);
  }
  return exprs;
}

function alertRules(): Doc[] {
  return (alerts.groups as Doc[]).flatMap((g) => g.rules as Doc[]);
}

const alertExprs = (): string[] => alertRules().map((r) => String(r.expr));

/** Every string anywhere in a parsed document (names may hide in descriptions and annotations too). */
function allStrings(doc: Doc): string[] {
  if (typeof doc === 'string') return [doc];
  if (Array.isArray(doc)) return doc.flatMap(allStrings);
  if (doc !== null && typeof doc === 'object') return Object.values(doc).flatMap(allStrings);
  return [];
}

const metricNamesIn = (texts: string[]): Set<string> => new Set(texts.flatMap((t) => t.match(METRIC_NAME) ?? []));

interface Exported {
  /** Every series name a scrape can contain: histogram bases expanded to _bucket/_sum/_count. */
  names: Set<string>;
  /** Label names seen on samples, per series name. */
  labels: Map<string, Set<string>>;
}

function exportedFrom(text: string): Exported {
  const names = new Set<string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      const [, name, kind] = type;
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      else if (kind === 'summary') for (const s of ['', '_sum', '_count']) names.add(name + s);
      else names.add(name);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const set = labels.get(sample[1]) ?? new Set<string>();
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) set.add(m[1]);
    labels.set(sample[1], set);
  }
  return { names, labels };
}

/** Allowed label names per series name: DESIGN 7 for the bridge's metrics, the scrape for prom-client's defaults. */
function allowedLabels(exported: Exported): Map<string, Set<string>> {
  const allowed = new Map<string, Set<string>>();
  for (const [name, seen] of exported.labels) allowed.set(name, new Set([...seen, ...TARGET_LABELS]));
  for (const key of Object.keys(METRIC_NAMES) as (keyof typeof METRIC_NAMES)[]) {
    const base = METRIC_NAMES[key];
    const own = [...BRIDGE_LABELS[key], ...TARGET_LABELS];
    if (exported.names.has(`${base}_bucket`)) {
      allowed.set(`${base}_bucket`, new Set([...own, 'le']));
      allowed.set(`${base}_sum`, new Set(own));
      allowed.set(`${base}_count`, new Set(own));
    } else {
      allowed.set(base, new Set(own));
    }
  }
  return allowed;
}

interface Selector {
  metric: string;
  labels: string[];
}

/** `metric{a="x", b=~"y"}` → the metric and its matcher labels; throws on a matcher list it cannot read. */
function selectorsIn(expr: string): Selector[] {
  const out: Selector[] = [];
  for (const m of expr.matchAll(/(onem2m_bridge_[a-z0-9_]+)\s*\{([^}]*)\}/g)) {
    const body = m[2];
    const matcher = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*(?:,|$)/y;
    const labels: string[] = [];
    matcher.lastIndex = 0;
    while (matcher.lastIndex < body.length) {
      const start = matcher.lastIndex;
      const hit = matcher.exec(body);
      assert.ok(hit, `unreadable matchers in ${m[0]} (at "${body.slice(start)}") of: ${expr}`);
      labels.push(hit[1]);
    }
    out.push({ metric: m[1], labels });
  }
  // label_values(metric{…}, label) in template variables names a label too.
  for (const m of expr.matchAll(/label_values\(\s*(onem2m_bridge_[a-z0-9_]+)\s*(?:\{[^}]*\})?\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/g)) {
    out.push({ metric: m[1], labels: [m[2]] });
  }
  return out;
}

/** Labels named in by (…), without (…), on (…), ignoring (…), group_left (…), group_right (…). */
function groupingLabelsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}

function assertBalanced(expr: string, where: string): void {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  let quoted = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c in pairs) assert.equal(stack.pop(), pairs[c], `${where}: unbalanced "${c}" in ${expr}`);
  }
  assert.equal(quoted, false, `${where}: unterminated string in ${expr}`);
  assert.deepEqual(stack, [], `${where}: unclosed brackets in ${expr}`);
}

describe('grafana/ against the metrics a real bridge exports', () => {
  let run: Running;
  let exported: Exported;
  before(async () => {
    run = await startBridge();
    const res = await fetch(`http://127.0.0.1:${run.addresses.admin.port}/metrics`);
    assert.equal(res.status, 200);
    exported = exportedFrom(await res.text());
  });
  after(async () => {
    await run.stop();
  });

  test('every onem2m_bridge_ metric name in the dashboard and in the alert rules is one the bridge exports', () => {
    // Sanity: the scrape holds the bridge's metrics and prom-client's defaults under the prefix.
    for (const name of Object.values(METRIC_NAMES)) {
      assert.ok(exported.names.has(name) || exported.names.has(`${name}_bucket`), `${name} in /metrics`);
    }
    assert.ok(exported.names.has('onem2m_bridge_process_cpu_seconds_total'));
    const sources: [string, Set<string>][] = [
      ['grafana/dashboards/onem2m-ws-bridge.json', metricNamesIn(allStrings(dashboard))],
      ['grafana/prometheus/alerts.yaml', metricNamesIn(allStrings(alerts))],
    ];
    for (const [file, names] of sources) {
      assert.ok(names.size > 0, `${file} names bridge metrics`);
      const unknown = [...names].filter((n) => !exported.names.has(n));
      assert.deepEqual(unknown, [], `${file} names metrics the bridge does not export`);
    }
  });

  test('every label in a selector or grouping on a bridge metric is one of that metric\'s labels (or job/instance)', () => {
    const allowed = allowedLabels(exported);
    const exprs = [...dashboardExprs().map((e) => ['dashboard', e] as const), ...alertExprs().map((e) => ['alerts.yaml', e] as const)];
    assert.ok(exprs.length > 20);
    for (const [where, expr] of exprs) {
      const selectors = selectorsIn(expr);
      for (const { metric, labels } of selectors) {
        const own = allowed.get(metric);
        assert.ok(own, `${where}: no label list for ${metric}`);
        for (const label of labels) assert.ok(own.has(label), `${where}: ${metric} has no label "${label}" (has ${[...own].join(', ')}): ${expr}`);
      }
      // by (…) etc. may only name labels some metric of the same expression carries, or one label_replace creates.
      const inExpr = new Set<string>(TARGET_LABELS);
      for (const name of expr.match(METRIC_NAME) ?? []) for (const l of allowed.get(name) ?? []) inExpr.add(l);
      for (const m of expr.matchAll(/label_replace\([^,]+,\s*"([a-zA-Z_][a-zA-Z0-9_]*)"/g)) inExpr.add(m[1]);
      for (const label of groupingLabelsIn(expr)) assert.ok(inExpr.has(label), `${where}: groups by "${label}", which no metric of the expression has: ${expr}`);
    }
  });

  test('the label lists used here match the labels the bridge puts on its samples', () => {
    // Series that exist from the start (zero-initialised counters) show their real label names.
    const keys = Object.keys(METRIC_NAMES) as (keyof typeof METRIC_NAMES)[];
    let checked = 0;
    for (const key of keys) {
      const seen = exported.labels.get(METRIC_NAMES[key]);
      if (seen === undefined || seen.size === 0) continue;
      assert.deepEqual([...seen].sort(), [...BRIDGE_LABELS[key]].sort(), METRIC_NAMES[key]);
      checked++;
    }
    assert.ok(checked >= 2, 'at least the handshake and queue event counters are present from the start');
  });
});

describe('grafana/dashboards/onem2m-ws-bridge.json', () => {
  test('every panel has a title, panel ids are unique, and every non-row panel has a target with an expr', () => {
    const panels = allPanels();
    assert.ok(panels.length > 10);
    const ids = panels.map((p) => p.id);
    assert.ok(ids.every((id) => Number.isInteger(id)), 'integer ids');
    assert.equal(new Set(ids).size, ids.length, `duplicate panel ids: ${ids.filter((id, i) => ids.indexOf(id) !== i).join(', ')}`);
    for (const p of panels) assert.ok(typeof p.title === 'string' && p.title.trim() !== '', `panel ${p.id} has a title`);
    for (const p of graphPanels()) {
      const targets = (p.targets ?? []) as Doc[];
      assert.ok(targets.some((t) => typeof t.expr === 'string' && t.expr.trim() !== ''), `panel ${p.id} "${p.title}" has a target with an expr`);
      const refIds = targets.map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `panel ${p.id}: unique refIds`);
      for (const t of targets) assertBalanced(t.expr, `panel ${p.id} "${p.title}"`);
    }
  });

  test('every panel and target queries the templated Prometheus data source and filters by $job and $instance', () => {
    const vars = new Map<string, Doc>((dashboard.templating.list as Doc[]).map((v) => [v.name, v]));
    assert.equal(vars.get('DS_PROMETHEUS')?.type, 'datasource');
    assert.equal(vars.get('DS_PROMETHEUS')?.query, 'prometheus');
    for (const name of ['job', 'instance']) {
      assert.equal(vars.get(name)?.type, 'query', `a ${name} variable`);
      assert.equal(vars.get(name)?.datasource?.uid, '${DS_PROMETHEUS}');
    }
    for (const p of graphPanels()) {
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${DS_PROMETHEUS}' }, `panel ${p.id} data source`);
      for (const t of p.targets as Doc[]) {
        assert.deepEqual(t.datasource, { type: 'prometheus', uid: '${DS_PROMETHEUS}' }, `panel ${p.id} target ${t.refId} data source`);
        for (const { metric, labels } of selectorsIn(t.expr)) {
          assert.ok(labels.includes('job') && labels.includes('instance'), `panel ${p.id}: ${metric} filtered by job and instance`);
        }
      }
    }
  });

  test('every {{label}} in a legend is a label the target\'s aggregation keeps', () => {
    for (const p of graphPanels()) {
      for (const t of p.targets as Doc[]) {
        const kept = new Set(groupingLabelsIn(t.expr));
        for (const m of String(t.legendFormat ?? '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) {
          assert.ok(kept.has(m[1]), `panel ${p.id} "${p.title}": legend {{${m[1]}}} but the expr keeps only ${[...kept].join(', ')}`);
        }
      }
    }
  });

  test('no two panels overlap on the grid', () => {
    const boxes = allPanels().map((p) => ({ id: p.id, ...(p.gridPos as { x: number; y: number; w: number; h: number }) }));
    for (const b of boxes) assert.ok(b.x >= 0 && b.x + b.w <= 24 && b.h > 0, `panel ${b.id} fits the 24-column grid`);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        assert.ok(!overlap, `panels ${a.id} and ${b.id} overlap`);
      }
    }
  });

  test('the dashboard shows every bridge metric and the process CPU, resident memory and event loop lag', () => {
    const names = metricNamesIn(dashboardExprs());
    for (const name of Object.values(METRIC_NAMES)) {
      assert.ok(names.has(name) || names.has(`${name}_bucket`), `a panel shows ${name}`);
    }
    for (const name of ['onem2m_bridge_process_cpu_seconds_total', 'onem2m_bridge_process_resident_memory_bytes', 'onem2m_bridge_nodejs_eventloop_lag_p99_seconds']) {
      assert.ok(names.has(name), `a panel shows ${name}`);
    }
    const exprs = dashboardExprs().join('\n');
    for (const cls of ['1', '2', '4', '5']) assert.ok(exprs.includes(`rsc=~"${cls}..."`), `primitives by rsc class ${cls}xxx`);
    for (const p of ['0.5', '0.95', '0.99']) {
      for (const direction of ['uplink', 'downlink']) {
        assert.match(exprs, new RegExp(`histogram_quantile\\(${p.replace('.', '\\.')}, sum by \\(le, direction\\) \\(rate\\(onem2m_bridge_request_duration_seconds_bucket\\{direction="${direction}"`), `p${p} ${direction}`);
      }
    }
  });
});

describe('grafana/prometheus/alerts.yaml', () => {
  test('parses, and every rule has alert, expr, for, labels.severity and annotations.summary', () => {
    const groups = alerts.groups as Doc[];
    assert.ok(Array.isArray(groups) && groups.length > 0, 'groups');
    for (const g of groups) {
      assert.ok(typeof g.name === 'string' && g.name !== '', 'group name');
      assert.ok(Array.isArray(g.rules) && g.rules.length > 0, `group ${g.name} has rules`);
    }
    const names = alertRules().map((r) => r.alert);
    assert.equal(new Set(names).size, names.length, 'unique alert names');
    for (const r of alertRules()) {
      assert.ok(typeof r.alert === 'string' && /^[A-Za-z][A-Za-z0-9]*$/.test(r.alert), `alert name: ${r.alert}`);
      assert.ok(typeof r.expr === 'string' && r.expr.trim() !== '', `${r.alert}: expr`);
      assertBalanced(r.expr, r.alert);
      assert.match(String(r.for), /^\d+[smhdwy]$/, `${r.alert}: for`);
      assert.ok(['critical', 'warning', 'info'].includes(r.labels?.severity), `${r.alert}: labels.severity`);
      assert.ok(typeof r.annotations?.summary === 'string' && r.annotations.summary !== '', `${r.alert}: annotations.summary`);
      assert.ok(typeof r.annotations?.description === 'string' && r.annotations.description !== '', `${r.alert}: annotations.description`);
    }
  });

  test('holds the alerts grafana/README.md documents, each on the metric it is about', () => {
    const byName = new Map<string, string>(alertRules().map((r) => [r.alert, String(r.expr)]));
    const expected: Record<string, RegExp> = {
      BridgeUpstreamDown: /^onem2m_bridge_upstream_up == 0$/,
      BridgeUpstreamErrors: /onem2m_bridge_upstream_errors_total\{kind=~"refused\|reset\|timeout"\}/,
      BridgeAbsent: /^absent\(up\{job=~"[^"]*"\}\)$/,
      BridgeQueueGrowing: /deriv\(onem2m_bridge_queue_messages\[/,
      BridgeQueueNearByteCap: /onem2m_bridge_queue_bytes/,
      BridgeHandshakeRejectionsSpiking: /onem2m_bridge_ws_handshakes_total\{result="rejected"\}/,
      BridgeQueueRefusing: /increase\(onem2m_bridge_queue_events_total\{event="refused"\}/,
      BridgeDownlinkTimeouts: /onem2m_bridge_primitives_total\{direction="downlink", rsc="4008"\}/,
      BridgeDown: /^up\{job=~"[^"]*"\} == 0$/,
    };
    for (const [name, pattern] of Object.entries(expected)) {
      assert.ok(byName.has(name), `alert ${name}`);
      assert.match(byName.get(name)!, pattern, name);
    }
    const readme = readFileSync(join(GRAFANA, 'README.md'), 'utf8');
    for (const name of byName.keys()) assert.ok(readme.includes(name), `grafana/README.md explains ${name}`);
  });
});

describe('grafana/ provisioning and scrape configuration', () => {
  test('Prometheus scrapes the admin door as job onem2m-ws-bridge and loads alerts.yaml', () => {
    const prometheus: Doc = parse(readFileSync(PROMETHEUS_FILE, 'utf8'));
    assert.deepEqual(prometheus.rule_files, ['alerts.yaml']);
    const jobs = prometheus.scrape_configs as Doc[];
    const job = jobs.find((j) => j.job_name === 'onem2m-ws-bridge');
    assert.ok(job, 'job onem2m-ws-bridge');
    assert.equal(job.metrics_path, '/metrics');
    assert.deepEqual(job.static_configs.flatMap((s: Doc) => s.targets), ['bridge:9464']);
  });

  test('Grafana provisions the Prometheus data source the dashboard defaults to and loads /var/lib/grafana/dashboards', () => {
    const ds: Doc = parse(readFileSync(DATASOURCE_FILE, 'utf8'));
    assert.equal(ds.apiVersion, 1);
    const prom = (ds.datasources as Doc[]).find((d) => d.name === 'Prometheus');
    assert.ok(prom, 'a data source named Prometheus');
    assert.equal(prom.type, 'prometheus');
    assert.equal(prom.url, 'http://prometheus:9090');
    const variable = (dashboard.templating.list as Doc[]).find((v) => v.name === 'DS_PROMETHEUS');
    assert.equal(variable.current?.value, prom.uid, 'the dashboard defaults to the provisioned data source');
    const provider: Doc = parse(readFileSync(PROVIDER_FILE, 'utf8'));
    assert.equal(provider.apiVersion, 1);
    const files = (provider.providers as Doc[]).filter((p) => p.type === 'file');
    assert.deepEqual(
      files.map((p) => p.options.path),
      ['/var/lib/grafana/dashboards'],
    );
  });
});
