// Issue 17.3: the shipped alert rules can fire. `promtool test rules` runs
// grafana/prometheus/alerts.test.yaml (upstream down without traffic, no
// bridge target at all, BridgeDown), and BridgeDown is checked once more
// against the job names the shipped scrape configurations really produce:
// grafana/prometheus/prometheus.yaml's job, and for each ServiceMonitor under
// deploy/ the selected Service's name (or its jobLabel label's value).
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { promtoolOrSkip, runWithInput } from './support/promtool.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RULES = join(ROOT, 'grafana', 'prometheus', 'alerts.yaml');
const RULE_TESTS = join(ROOT, 'grafana', 'prometheus', 'alerts.test.yaml');
const promtool = promtoolOrSkip();

// Parsed manifests are untyped data; the checks read the fields they need.
type Doc = any;

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function manifests(): Doc[] {
  return yamlFilesUnder(join(ROOT, 'deploy')).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS() as Doc)
      .filter((d) => d !== null && typeof d === 'object' && typeof d.kind === 'string'),
  );
}

/** The job label each shipped scrape configuration gives the bridge's targets. */
function shippedJobs(): Map<string, string> {
  const jobs = new Map<string, string>();
  const prometheus: Doc = parse(readFileSync(join(ROOT, 'grafana', 'prometheus', 'prometheus.yaml'), 'utf8'));
  for (const j of prometheus.scrape_configs as Doc[]) jobs.set(j.job_name, 'grafana/prometheus/prometheus.yaml');
  const all = manifests();
  const services = all.filter((d) => d.kind === 'Service');
  for (const monitor of all.filter((d) => d.kind === 'ServiceMonitor')) {
    const match: Record<string, string> = monitor.spec.selector.matchLabels;
    const selected = services.filter((s) => Object.entries(match).every(([k, v]) => s.metadata.labels?.[k] === v));
    assert.equal(selected.length, 1, `ServiceMonitor ${monitor.metadata.name} selects exactly one shipped Service`);
    const service = selected[0];
    // Prometheus Operator: job = the Service's jobLabel label when set, else the Service's name.
    const jobLabel: string | undefined = monitor.spec.jobLabel;
    const job = jobLabel !== undefined ? service.metadata.labels[jobLabel] : service.metadata.name;
    assert.equal(typeof job, 'string', `job of ServiceMonitor ${monitor.metadata.name}`);
    jobs.set(job, `ServiceMonitor ${monitor.metadata.name}`);
  }
  return jobs;
}

describe('grafana/prometheus/alerts.yaml with promtool', { skip: promtool.skip }, () => {
  test('`promtool check rules` accepts alerts.yaml', async () => {
    const r = await runWithInput(promtool.path!, ['check', 'rules', RULES], '');
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('`promtool test rules alerts.test.yaml` passes, and it covers BridgeUpstreamDown, BridgeAbsent and BridgeDown', async () => {
    const tests: Doc = parse(readFileSync(RULE_TESTS, 'utf8'));
    const firing = new Set<string>();
    for (const t of tests.tests as Doc[]) for (const a of t.alert_rule_test as Doc[]) if ((a.exp_alerts as Doc[]).length > 0) firing.add(a.alertname);
    for (const name of ['BridgeUpstreamDown', 'BridgeAbsent', 'BridgeDown']) assert.ok(firing.has(name), `alerts.test.yaml has a case where ${name} fires`);
    const r = await runWithInput(promtool.path!, ['test', 'rules', RULE_TESTS], '', dirname(RULE_TESTS));
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('BridgeDown fires for the job of every shipped scrape configuration (and for no other job)', async () => {
    const jobs = shippedJobs();
    assert.ok(jobs.size >= 3, `jobs: ${[...jobs.keys()].join(', ')}`);
    const dir = mkdtempSync(join(tmpdir(), 'bridge-alerts-'));
    try {
      copyFileSync(RULES, join(dir, 'alerts.yaml'));
      const names = [...jobs.keys()];
      const instance = (i: number) => `10.1.0.${i + 1}:9464`;
      const unitTest = {
        rule_files: ['alerts.yaml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              ...names.map((job, i) => ({ series: `up{job="${job}", instance="${instance(i)}"}`, values: '1 0 0 0 0 0' })),
              { series: 'up{job="not-a-bridge", instance="10.2.0.1:80"}', values: '1 0 0 0 0 0' },
            ],
            alert_rule_test: [
              {
                eval_time: '4m',
                alertname: 'BridgeDown',
                exp_alerts: names.map((job, i) => ({
                  exp_labels: { severity: 'critical', job, instance: instance(i) },
                  exp_annotations: {
                    summary: `onem2m-ws-bridge ${instance(i)} is not being scraped`,
                    description: `Prometheus could not scrape the admin door /metrics of ${instance(i)} (job ${job}) for 2 minutes. Registrees on it cannot reach the CSE and the CSE cannot reach them.`,
                  },
                })),
              },
            ],
          },
        ],
      };
      writeFileSync(join(dir, 'jobs.test.yaml'), stringify(unitTest));
      const r = await runWithInput(promtool.path!, ['test', 'rules', 'jobs.test.yaml'], '', dir);
      assert.equal(r.code, 0, `BridgeDown for jobs ${names.map((n) => `${n} (${jobs.get(n)})`).join(', ')}:\n${r.stdout}${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
