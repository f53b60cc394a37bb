// Config edges (issue 17.7): unknown BRIDGE_* variables, "did you mean",
// --print-config typed, readable and loading back, --help grouped with
// metavariables. Real files and the real CLI where the CLI is the promise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { SETTINGS, helpText, loadConfigWithSources, printConfig } from '../../src/config/config.js';
import { problems } from '../support/config-problems.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as it ships (node dist/cli/main.js), built once per source state. */
const CLI = await builtCli();

const dir = mkdtempSync(join(tmpdir(), 'config-edges-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BRIDGE_')));
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...clean, ...env } });
}

/** The printed lines without their `# source` comments. */
function values(printed: string): string[] {
  return printed.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/  # .*$/, ''));
}

// ------------------------------------------------------ unknown names

test('an unknown BRIDGE_* variable is a problem naming it, with the nearest setting\'s variable for a near miss', () => {
  assert.deepEqual(problems([], { BRIDGE_UPSTRAEM: 'http://cse:8080' }), ['BRIDGE_UPSTRAEM: unknown setting; did you mean BRIDGE_UPSTREAM? (see --help)']);
  assert.deepEqual(problems([], { BRIDGE_QUEUE_TTL_HOURS: '6' }), ['BRIDGE_QUEUE_TTL_HOURS: unknown setting (see --help)']);
  assert.deepEqual(problems([], { BRIDGE_LISTEN_PORT: '9000' }), ['BRIDGE_LISTEN_PORT: unknown setting (see --help)']);
  // Not ours: other prefixes, BRIDGE_CONFIG, every real setting.
  assert.deepEqual(problems([], { BRIDGEX: '1', MY_BRIDGE_UPSTREAM: 'x', BRIDGE_CONFIG: '', BRIDGE_QUEUE_TTL: '6h' }), []);
});

test('variables Kubernetes injects for a Service named bridge… are not refused; the same names with other values are', () => {
  const serviceLinks = {
    BRIDGE_SERVICE_HOST: '10.96.12.7',
    BRIDGE_SERVICE_PORT: '8180',
    BRIDGE_SERVICE_PORT_PUBLIC: '8180',
    BRIDGE_PORT: 'tcp://10.96.12.7:8180',
    BRIDGE_PORT_8180_TCP: 'tcp://10.96.12.7:8180',
    BRIDGE_PORT_8180_TCP_PROTO: 'tcp',
    BRIDGE_PORT_8180_TCP_PORT: '8180',
    BRIDGE_PORT_8180_TCP_ADDR: '10.96.12.7',
    BRIDGE_ADMIN_SERVICE_HOST: 'fd00::12',
  };
  assert.deepEqual(problems([], serviceLinks), []);
  assert.deepEqual(problems([], { BRIDGE_PORT: '8180', BRIDGE_SERVICE_HOST: 'cse' }), ['BRIDGE_PORT: unknown setting (see --help)', 'BRIDGE_SERVICE_HOST: unknown setting (see --help)']);
});

test('the CLI exits 2 on an unknown BRIDGE_* variable, one line naming it', () => {
  const r = cli(['--print-config'], { BRIDGE_LOG_LEVLE: 'debug' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'onem2m-ws-bridge: BRIDGE_LOG_LEVLE: unknown setting; did you mean BRIDGE_LOG_LEVEL? (see --help)\n');
  assert.equal(r.stdout, '');
});

test('a misspelt flag or file key names the nearest one; something else entirely names none', () => {
  assert.deepEqual(problems(['--upstrem', 'http://cse:8080']), ['--upstrem: unknown setting; did you mean --upstream? (see --help)']);
  assert.deepEqual(problems(['--print-confg']), ['--print-confg: unknown setting; did you mean --print-config? (see --help)']);
  assert.deepEqual(problems(['--max-mesage-size', '1MiB']), ['--max-mesage-size: unknown setting; did you mean --max-message-size? (see --help)']);
  assert.deepEqual(problems(['--colour', 'red']), ['--colour: unknown setting (see --help)']);
  const path = file('typo.yaml', 'queue-tll: 6h\nlog_level: debug\nfavourite-colour: red\n');
  assert.deepEqual(problems(['--config', path]), [
    `${path}: queue-tll: unknown setting; did you mean queue-ttl? (see --help)`,
    `${path}: log_level: unknown setting; did you mean log-level? (see --help)`,
    `${path}: favourite-colour: unknown setting (see --help)`,
  ]);
});

// ------------------------------------------------------ --print-config

test('--print-config is typed YAML: numbers, booleans and lists as such, durations and sizes in readable units, the downlink URL in effect', () => {
  const { config, sources } = loadConfigWithSources(
    ['--queue-ttl', '5400000', '--queue-max-bytes', '1000000', '--max-message-size', '1500', '--allow-originator', 'CAdmin,Cother', '--no-deflate', '--downlink-listen', '[::1]:9181'],
    { BRIDGE_UPSTREAM_TIMEOUT: '2m', BRIDGE_MAX_INFLIGHT: '12', BRIDGE_OFFLINE_ACK: '2000' },
  );
  const doc = parseYaml(printConfig(config, sources)) as Record<string, unknown>;
  assert.equal(doc['queue-ttl'], '90m');
  assert.equal(doc['upstream-timeout'], '2m');
  assert.equal(doc['ping-interval'], '30s');
  assert.equal(doc['idle-timeout'], '0s');
  assert.equal(doc['queue-max-bytes'], '1MB');
  assert.equal(doc['max-message-size'], '1500B');
  assert.equal(doc['queue-global-max-bytes'], '1GiB');
  assert.equal(doc['max-unbound-message-size'], '64KiB');
  assert.equal(doc['max-inflight'], 12);
  assert.equal(doc['rate-limit'], 0);
  assert.equal(doc['offline-ack'], 2000);
  assert.equal(doc.deflate, false);
  assert.equal(doc.passthrough, true);
  assert.deepEqual(doc['allow-originator'], ['CAdmin', 'Cother']);
  assert.deepEqual(doc['downlink-allow'], []);
  assert.equal(doc['downlink-listen'], '[::1]:9181');
  assert.equal(doc['downlink-url'], 'http://[::1]:9181');
  assert.equal(doc['upstream-format'], 'json');
  // Every setting once, nothing else.
  assert.deepEqual(Object.keys(doc).sort(), SETTINGS.map((s) => s.flag).sort());
});

test('round trip: --print-config, loaded back with --config, is the same configuration and prints the same', () => {
  const token = file('token', 'tok-in-a-file\n');
  const given = file(
    'given.yaml',
    ['upstream: https://user:p%40ss@cse.example:8443/onem2m', 'store: memory', 'queue-ttl: 6h', 'max-downlink-body: 1MiB', 'downlink-allow: [10.0.0.0/8, "fd00::/8"]', `admin-token-file: ${token}`, 'registration-ttl: 36h', 'uplink: ws://in-cse:8081/', 'uplink-timeout: 1500ms'].join('\n'),
  );
  const first = loadConfigWithSources(['--config', given, '--listen', '127.0.0.1:28180', '--no-passthrough', '--rate-limit', '50'], { BRIDGE_CSE_ID: '/id-mn', BRIDGE_MAX_DOWNLINK_BUFFERED: '3MiB' });
  const printed = printConfig(first.config, first.sources);
  const again = loadConfigWithSources(['--config', file('printed.yaml', printed)], {});
  // The derived downlink URL is now given: the same URL in effect.
  assert.equal(first.config.downlinkUrl, '');
  assert.equal(again.config.downlinkUrl, 'http://127.0.0.1:8181');
  assert.deepEqual({ ...again.config, upstream: again.config.upstream.href, downlinkUrl: '' }, { ...first.config, upstream: first.config.upstream.href });
  assert.equal(again.config.adminToken, 'tok-in-a-file');
  assert.deepEqual(values(printConfig(again.config, again.sources)), values(printed));
  assert.ok(Object.values(again.sources).every((s) => s === 'file'), 'every value came from the printed file');
});

test('round trip through the CLI: onem2m-ws-bridge --print-config > file; --config file --print-config prints the same values', () => {
  const r = cli(['--print-config', '--store', 'memory', '--queue-max-messages', '77', '--admin-token', 'printed-in-full'], { BRIDGE_UPSTREAM: 'http://u:pw@cse:7579', BRIDGE_PING_INTERVAL: '45000' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^upstream: "http:\/\/u:pw@cse:7579\/"  # env$/m);
  assert.match(r.stdout, /^admin-token: "printed-in-full"  # flag$/m);
  assert.match(r.stdout, /^ping-interval: "45s"  # env$/m);
  const back = cli(['--config', file('cli.yaml', r.stdout), '--print-config']);
  assert.equal(back.status, 0, back.stderr);
  assert.deepEqual(values(back.stdout), values(r.stdout));
  const masked = cli(['--print-config=masked', '--admin-token', 'printed-in-full'], { BRIDGE_UPSTREAM: 'http://u:pw@cse:7579', BRIDGE_STORE: 'redis://:redispw@redis:6379' });
  assert.equal(masked.status, 0, masked.stderr);
  assert.ok(!/printed-in-full|:pw@|redispw/.test(masked.stdout), masked.stdout);
  assert.match(masked.stdout, /^admin-token: "\*\*\*"/m);
  assert.match(masked.stdout, /^store: "redis:\/\/:\*\*\*@redis:6379"/m);
  const bad = cli(['--print-config=secret']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^onem2m-ws-bridge: --print-config: "secret" is not masked/);
});

// ------------------------------------------------------------- --help

test('--help groups the settings by door and concern, every setting in a named group, with FILE/URL/DURATION/SIZE/HOST:PORT metavariables', () => {
  const text = helpText();
  const sections = text.split('\n').filter((l) => /^\S.*:$/.test(l));
  assert.ok(sections.length >= 8, sections.join(' / '));
  assert.ok(!sections.includes('Other settings:'), 'every setting belongs to a group: add new ones to HELP_GROUPS in src/config/help-text.ts');
  for (const usage of ['--upstream URL', '--listen HOST:PORT', '--downlink-listen HOST:PORT', '--downlink-url URL', '--tls-cert FILE', '--credentials FILE', '--admin-token-file FILE', '--queue-ttl DURATION', '--max-message-size SIZE', '--queue-max-messages N', '--uplink-proxy URL|none', '--log-level LEVEL', '--passthrough / --no-passthrough']) {
    assert.match(text, new RegExp(`^  ${usage.replace(/[|]/g, '\\|')}$`, 'm'), usage);
  }
  assert.doesNotMatch(text, / (STRING|TEXT|LIST|STORE)$/m, 'every setting has a metavariable that says what it takes');
  for (const s of SETTINGS) assert.equal(text.split('\n').filter((l) => new RegExp(`^  --${s.flag}( |$)`).test(l)).length, 1, `--${s.flag} once`);
});

test('the README\'s Settings table shows each setting as --help does', () => {
  const readme = readFileSync('README.md', 'utf8');
  const text = helpText();
  for (const s of SETTINGS) {
    const usage = new RegExp(`^  (--${s.flag}(?: .*)?)$`, 'm').exec(text)?.[1];
    assert.ok(usage, s.flag);
    const inReadme = usage.includes(' / ') ? usage.split(' / ').map((u) => `\`${u}\``).join(' / ') : `\`${usage.replace(/\|/g, '\\|')}\``;
    assert.ok(readme.includes(inReadme), `README.md shows ${inReadme} (as --help does)`);
  }
});
