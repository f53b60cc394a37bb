import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, SETTINGS, envName, helpText, loadConfig, loadConfigWithSources, parseDuration, parseHostPort, printConfig } from '../../src/config/config.js';
import { problems } from '../support/config-problems.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as shipped (node dist/cli/main.js), built once for this source. */
const CLI = await builtCli();

test('defaults match DESIGN: public 0.0.0.0:8180, downlink 127.0.0.1:8181, admin 127.0.0.1:9464', () => {
  const c = loadConfig([], {});
  assert.deepEqual(c.listen, { host: '0.0.0.0', port: 8180 });
  assert.deepEqual(c.downlinkListen, { host: '127.0.0.1', port: 8181 });
  assert.deepEqual(c.adminListen, { host: '127.0.0.1', port: 9464 });
  assert.equal(c.poaMode, 'auto');
  assert.equal(c.upstreamFormat, 'json');
  assert.equal(c.deflate, true);
  assert.deepEqual(c.allowOriginator, []);
  assert.equal(c.store, 'lmdb:./data');
  assert.equal(c.passthrough, true);
  assert.equal(c.offlineAck, 1000);
  assert.equal(c.autoVerify, false);
  assert.equal(c.queueTtlMs, 24 * 3600 * 1000);
});

test('store specs: memory and lmdb:DIR are accepted, anything else names the accepted forms', () => {
  assert.equal(loadConfig(['--store', 'memory'], {}).store, 'memory');
  assert.equal(loadConfig(['--store', 'lmdb:/var/lib/bridge'], {}).store, 'lmdb:/var/lib/bridge');
  assert.equal(loadConfig(['--store', 'redis://:pw@cache:6379/2'], {}).store, 'redis://:pw@cache:6379/2');
  for (const bad of ['lmdb:', 'sqlite:x', 'redis://']) {
    const found = problems(['--store', bad]);
    assert.equal(found.length, 1, bad);
    assert.match(found[0], /^--store: /);
  }
});

test('--offline-ack takes 1000 or 2000 only', () => {
  assert.equal(loadConfig(['--offline-ack', '2000'], {}).offlineAck, 2000);
  assert.match(problems(['--offline-ack', '2001'])[0], /^--offline-ack: "2001" is not one of 1000, 2000/);
});

test('flags take both --name value and --name=value forms, and --no-deflate turns deflate off', () => {
  const c = loadConfig(['--upstream', 'http://cse:8080/root', '--poa-mode=always', '--no-deflate', '--allow-originator', 'CAdmin, Cother', '--upstream-timeout', '2s'], {});
  assert.equal(c.upstream.href, 'http://cse:8080/root');
  assert.equal(c.poaMode, 'always');
  assert.equal(c.deflate, false);
  assert.deepEqual(c.allowOriginator, ['CAdmin', 'Cother']);
  assert.equal(c.upstreamTimeoutMs, 2000);
});

test('a flag wins over its BRIDGE_* variable, which wins over the default', () => {
  assert.equal(loadConfig([], { BRIDGE_UPSTREAM_FORMAT: 'cbor' }).upstreamFormat, 'cbor');
  assert.equal(loadConfig(['--upstream-format', 'xml'], { BRIDGE_UPSTREAM_FORMAT: 'cbor' }).upstreamFormat, 'xml');
});

test('every problem is reported, each naming its setting', () => {
  const found = problems(['--bogus', '1', '--upstream', 'ftp://x', '--poa-mode', 'sometimes', '--listen', 'nope'], { BRIDGE_UPSTREAM_TIMEOUT: 'soon' });
  assert.equal(found.length, 5, found.join('\n'));
  assert.ok(found.some((p) => p.startsWith('--bogus:')));
  assert.ok(found.some((p) => p.startsWith('--upstream:')));
  assert.ok(found.some((p) => p.startsWith('--poa-mode:')));
  assert.ok(found.some((p) => p.startsWith('--listen:')));
  assert.ok(found.some((p) => p.startsWith('BRIDGE_UPSTREAM_TIMEOUT:')));
});

test('a flag without its value is a problem', () => {
  assert.deepEqual(problems(['--upstream']), ['--upstream: needs a value']);
});

test('durations and host:port parse in their usual spellings', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('100'), 100);
  assert.equal(parseDuration('x'), undefined);
  assert.deepEqual(parseHostPort('[::1]:9000'), { host: '::1', port: 9000 });
  assert.deepEqual(parseHostPort(':80'), { host: '0.0.0.0', port: 80 });
  assert.deepEqual(parseHostPort('8180'), { host: '0.0.0.0', port: 8180 });
  assert.equal(parseHostPort('h:99999'), undefined);
});

/**
 * Flags and environment variables as README's Settings table names them
 * (operators' files, Kubernetes manifests and scripts use these): pinned here
 * as literals, not taken from SETTINGS, so a rename fails. The value is the
 * table's default where that is a valid value, '' where it says (none).
 */
const DOCUMENTED_SETTINGS: ReadonlyArray<readonly [flag: string, env: string, value: string]> = [
  ['upstream', 'BRIDGE_UPSTREAM', 'http://127.0.0.1:8080'],
  ['listen', 'BRIDGE_LISTEN', '0.0.0.0:8180'],
  ['downlink-listen', 'BRIDGE_DOWNLINK_LISTEN', '127.0.0.1:8181'],
  ['downlink-url', 'BRIDGE_DOWNLINK_URL', 'http://bridge.example:8181'],
  ['admin-listen', 'BRIDGE_ADMIN_LISTEN', '127.0.0.1:9464'],
  ['passthrough', 'BRIDGE_PASSTHROUGH', 'true'],
  ['store', 'BRIDGE_STORE', 'lmdb:./data'],
  ['redis-prefix', 'BRIDGE_REDIS_PREFIX', 'onem2m-bridge:'],
  ['redis-durability', 'BRIDGE_REDIS_DURABILITY', 'fsync'],
  ['redis-ca', 'BRIDGE_REDIS_CA', ''],
  ['replica-id', 'BRIDGE_REPLICA_ID', ''],
  ['owner-ttl', 'BRIDGE_OWNER_TTL', '30s'],
  ['upstream-format', 'BRIDGE_UPSTREAM_FORMAT', 'json'],
  ['upstream-timeout', 'BRIDGE_UPSTREAM_TIMEOUT', '30s'],
  ['upstream-connections', 'BRIDGE_UPSTREAM_CONNECTIONS', '64'],
  ['downlink-timeout', 'BRIDGE_DOWNLINK_TIMEOUT', '10s'],
  ['poa-mode', 'BRIDGE_POA_MODE', 'auto'],
  ['allow-originator', 'BRIDGE_ALLOW_ORIGINATOR', ''],
  ['deflate', 'BRIDGE_DEFLATE', 'true'],
  ['offline-ack', 'BRIDGE_OFFLINE_ACK', '1000'],
  ['auto-verify', 'BRIDGE_AUTO_VERIFY', 'false'],
  ['queue-ttl', 'BRIDGE_QUEUE_TTL', '24h'],
  ['queue-max-messages', 'BRIDGE_QUEUE_MAX_MESSAGES', '10000'],
  ['queue-max-bytes', 'BRIDGE_QUEUE_MAX_BYTES', '16MiB'],
  ['queue-global-max-bytes', 'BRIDGE_QUEUE_GLOBAL_MAX_BYTES', '1GiB'],
  ['max-connections', 'BRIDGE_MAX_CONNECTIONS', '100000'],
  ['max-connections-per-address', 'BRIDGE_MAX_CONNECTIONS_PER_ADDRESS', '0'],
  ['max-inflight', 'BRIDGE_MAX_INFLIGHT', '256'],
  ['rate-limit', 'BRIDGE_RATE_LIMIT', '0'],
  ['handshake-timeout', 'BRIDGE_HANDSHAKE_TIMEOUT', '10s'],
  ['idle-timeout', 'BRIDGE_IDLE_TIMEOUT', '0'],
  ['max-downlink-body', 'BRIDGE_MAX_DOWNLINK_BODY', '4MiB'],
  ['ping-interval', 'BRIDGE_PING_INTERVAL', '30s'],
  ['max-message-size', 'BRIDGE_MAX_MESSAGE_SIZE', '4MiB'],
  ['max-unbound-message-size', 'BRIDGE_MAX_UNBOUND_MESSAGE_SIZE', '64KiB'],
  ['max-downlink-inflight', 'BRIDGE_MAX_DOWNLINK_INFLIGHT', '64'],
  ['max-downlink-buffered', 'BRIDGE_MAX_DOWNLINK_BUFFERED', '8MiB'],
  ['body-timeout', 'BRIDGE_BODY_TIMEOUT', '30s'],
  ['max-passthrough-body', 'BRIDGE_MAX_PASSTHROUGH_BODY', '16MiB'],
  ['tls-cert', 'BRIDGE_TLS_CERT', ''],
  ['tls-key', 'BRIDGE_TLS_KEY', ''],
  ['tls-ca', 'BRIDGE_TLS_CA', ''],
  ['tls-client-auth', 'BRIDGE_TLS_CLIENT_AUTH', 'none'],
  ['identity', 'BRIDGE_IDENTITY', 'auto'],
  ['upstream-ca', 'BRIDGE_UPSTREAM_CA', ''],
  ['upstream-cert', 'BRIDGE_UPSTREAM_CERT', ''],
  ['upstream-key', 'BRIDGE_UPSTREAM_KEY', ''],
  ['identity-map', 'BRIDGE_IDENTITY_MAP', ''],
  ['credentials', 'BRIDGE_CREDENTIALS', ''],
  ['cse-id', 'BRIDGE_CSE_ID', ''],
  ['sp-id', 'BRIDGE_SP_ID', ''],
  ['registration-ttl', 'BRIDGE_REGISTRATION_TTL', '0'],
  ['admin-token', 'BRIDGE_ADMIN_TOKEN', ''],
  ['admin-token-file', 'BRIDGE_ADMIN_TOKEN_FILE', ''],
  ['downlink-allow', 'BRIDGE_DOWNLINK_ALLOW', ''],
  ['uplink', 'BRIDGE_UPLINK', ''],
  ['uplink-listen', 'BRIDGE_UPLINK_LISTEN', '127.0.0.1:8182'],
  ['uplink-url', 'BRIDGE_UPLINK_URL', ''],
  ['uplink-poa', 'BRIDGE_UPLINK_POA', 'ws://default'],
  ['uplink-origin', 'BRIDGE_UPLINK_ORIGIN', ''],
  ['uplink-format', 'BRIDGE_UPLINK_FORMAT', 'json'],
  ['uplink-timeout', 'BRIDGE_UPLINK_TIMEOUT', '30s'],
  ['uplink-proxy', 'BRIDGE_UPLINK_PROXY', ''],
  ['uplink-ca', 'BRIDGE_UPLINK_CA', ''],
  ['uplink-cert', 'BRIDGE_UPLINK_CERT', ''],
  ['uplink-key', 'BRIDGE_UPLINK_KEY', ''],
  ['log-level', 'BRIDGE_LOG_LEVEL', 'info'],
];

test('every flag and BRIDGE_* variable of the README Settings table is read under exactly that name', () => {
  for (const [flag, env, value] of DOCUMENTED_SETTINGS) {
    // the flag: known to the parser (an unknown one is a problem naming it)
    const viaFlag = problems(['--' + flag, value === '' ? 'x' : value]);
    assert.ok(!viaFlag.some((p) => p.startsWith(`--${flag}: unknown setting`)), `--${flag} is not a known setting: ${viaFlag.join('; ')}`);
    // the variable: taken as the setting's source, or named in the problem its value causes
    try {
      const { sources } = loadConfigWithSources([], { [env]: value });
      assert.equal(sources[flag], 'env', `${env} sets --${flag}`);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      assert.ok(err.problems.some((p) => p.startsWith(`${env}:`)), `${env} is read for --${flag}: ${err.problems.join('; ')}`);
    }
  }
});

test('--help lists every setting with its default and environment variable', () => {
  const text = helpText();
  for (const s of SETTINGS) {
    assert.ok(text.includes(`--${s.flag}`), s.flag);
    assert.ok(text.includes(envName(s)), envName(s));
  }
});

test('the CLI exits 2 and names the setting on bad configuration', () => {
  const r = spawnSync(process.execPath, [CLI, '--upstream-format', 'yaml', '--nope'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--upstream-format: "yaml" is not one of json, cbor, xml/);
  assert.match(r.stderr, /--nope: unknown setting/);
});

function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    if (!(path in map)) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    return map[path];
  };
}

test('a YAML or JSON config file sets any setting by flag name or config key', () => {
  const yaml = files({ 'b.yaml': 'upstream-format: cbor\nallowOriginator: [CAdmin, Cx]\ndeflate: false\nqueue-ttl: 2h\n' });
  const c = loadConfig(['--config', 'b.yaml'], {}, yaml);
  assert.equal(c.upstreamFormat, 'cbor');
  assert.deepEqual(c.allowOriginator, ['CAdmin', 'Cx']);
  assert.equal(c.deflate, false);
  assert.equal(c.queueTtlMs, 7_200_000);
  const json = files({ 'b.json': '{"poa-mode": "always", "queue-max-messages": 5}' });
  const j = loadConfig([], { BRIDGE_CONFIG: 'b.json' }, json);
  assert.equal(j.poaMode, 'always');
  assert.equal(j.queueMaxMessages, 5);
});

test('precedence is flag > env > file > default', () => {
  const read = files({ f: 'upstream-format: xml\npoa-mode: always\nlog-level: warn\n' });
  const { config, sources } = loadConfigWithSources(['--config', 'f', '--upstream-format', 'cbor'], { BRIDGE_POA_MODE: 'auto' }, read);
  assert.equal(config.upstreamFormat, 'cbor');
  assert.equal(config.poaMode, 'auto');
  assert.equal(config.logLevel, 'warn');
  assert.equal(config.listen.port, 8180);
  assert.deepEqual([sources['upstream-format'], sources['poa-mode'], sources['log-level'], sources.listen], ['flag', 'env', 'file', 'default']);
});

test('config file problems name the file and the setting; a missing file is a problem too', () => {
  assert.deepEqual(problems(['--config', 'nope.yaml']).map((p) => p.split(':')[0]), ['--config']);
  try {
    loadConfig(['--config', 'bad.yaml'], {}, files({ 'bad.yaml': 'bogus: 1\nupstream-timeout: soon\nlisten: [1, [2]]\n' }));
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.ok(err.problems.some((p) => p === 'bad.yaml: bogus: unknown setting (see --help)'));
    assert.ok(err.problems.some((p) => p.startsWith('bad.yaml: upstream-timeout: "soon" is not a duration')));
    assert.ok(err.problems.some((p) => p.startsWith('bad.yaml: listen: must be')));
  }
});

test('--print-config prints credentials in full and loads back to the same configuration; --print-config=masked masks them', () => {
  const { config, sources } = loadConfigWithSources(['--upstream', 'http://admin:secret@cse:8080/root', '--queue-ttl', '90s', '--allow-originator', 'CAdmin'], {});
  const text = printConfig(config, sources);
  assert.match(text, /^upstream: "http:\/\/admin:secret@cse:8080\/root"  # flag$/m);
  const again = loadConfig(['--config', 'printed.yaml'], {}, files({ 'printed.yaml': text }));
  assert.deepEqual({ ...again, upstream: again.upstream.href, downlinkUrl: '' }, { ...config, upstream: config.upstream.href });
  const masked = printConfig(config, sources, { masked: true });
  assert.ok(!masked.includes(':secret@'), masked);
  assert.match(masked, /^upstream: "http:\/\/admin:\*\*\*@cse:8080\/root"  # flag$/m);
});

test('TLS settings are checked together and their files must be readable', () => {
  const found = problems(['--tls-cert', 'test/fixtures/tls/server.pem', '--tls-client-auth', 'require', '--identity', 'tls', '--upstream-cert', 'nope.pem']);
  assert.ok(found.includes('--tls-key: needed together with --tls-cert'), found.join('\n'));
  assert.ok(found.includes('--tls-client-auth: "require" needs --tls-ca to verify client certificates'), found.join('\n'));
  assert.ok(found.includes('--upstream-key: needed together with --upstream-cert'), found.join('\n'));
  assert.ok(found.some((p) => p.startsWith('--upstream-cert: cannot read nope.pem')), found.join('\n'));
  assert.deepEqual(problems(['--identity', 'tls']), ['--identity: "tls" needs --tls-client-auth request or require']);
  const ok = loadConfig(['--tls-cert', 'test/fixtures/tls/server.pem', '--tls-key', 'test/fixtures/tls/server-key.pem', '--tls-ca', 'test/fixtures/tls/ca.pem', '--tls-client-auth', 'require'], {});
  assert.equal(ok.tlsClientAuth, 'require');
  assert.equal(ok.identity, 'auto');
});

test('PEM files are parsed at load: garbage, a key of another certificate, a broken CA bundle each name their setting', () => {
  const fixture = (name: string) => readFileSync(`test/fixtures/tls/${name}`, 'utf8');
  const read = files({
    'server.pem': fixture('server.pem'),
    'server-key.pem': fixture('server-key.pem'),
    'other-key.pem': fixture('client-a-key.pem'),
    'ca.pem': fixture('ca.pem'),
    'bundle.pem': fixture('ca.pem') + fixture('other-ca.pem'),
    'garbage.pem': 'not a certificate\n',
    'broken.pem': '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    'half-bundle.pem': fixture('ca.pem') + '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  });
  const found = (argv: string[]): readonly string[] => {
    try {
      loadConfig(argv, {}, read);
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.problems;
    }
  };
  // the fixtures load as they are, a chain of CAs included
  assert.deepEqual(found(['--tls-cert', 'server.pem', '--tls-key', 'server-key.pem', '--tls-ca', 'bundle.pem', '--tls-client-auth', 'require']), []);
  const one = (argv: string[], pattern: RegExp) => {
    const p = found(argv);
    assert.equal(p.length, 1, p.join('\n'));
    assert.match(p[0], pattern);
  };
  one(['--tls-cert', 'garbage.pem', '--tls-key', 'server-key.pem'], /^--tls-cert: garbage\.pem holds no PEM certificate/);
  one(['--tls-cert', 'broken.pem', '--tls-key', 'server-key.pem'], /^--tls-cert: broken\.pem certificate 1 of 1 cannot be read/);
  one(['--tls-cert', 'server.pem', '--tls-key', 'garbage.pem'], /^--tls-key: garbage\.pem is not a readable PEM private key/);
  one(['--tls-cert', 'server.pem', '--tls-key', 'other-key.pem'], /^--tls-key: other-key\.pem does not match the certificate in --tls-cert \(server\.pem\)$/);
  one(['--tls-cert', 'server.pem', '--tls-key', 'server-key.pem', '--tls-ca', 'half-bundle.pem', '--tls-client-auth', 'require'], /^--tls-ca: half-bundle\.pem certificate 2 of 2 cannot be read/);
  one(['--upstream-cert', 'server.pem', '--upstream-key', 'other-key.pem'], /^--upstream-key: other-key\.pem does not match the certificate in --upstream-cert/);
  one(['--upstream-ca', 'garbage.pem'], /^--upstream-ca: garbage\.pem holds no PEM certificate/);
  one(['--redis-ca', 'server-key.pem'], /^--redis-ca: server-key\.pem holds no PEM certificate/);
});

test('sizes are positive: 0 would switch --max-message-size off (ws reads 0 as no limit)', () => {
  assert.deepEqual(problems(['--max-message-size', '0']), ['--max-message-size: "0" is not a positive size (e.g. 65536, 64KiB, 4MiB)']);
  assert.deepEqual(problems([], { BRIDGE_MAX_MESSAGE_SIZE: '0KiB' }), ['BRIDGE_MAX_MESSAGE_SIZE: "0KiB" is not a positive size (e.g. 65536, 64KiB, 4MiB)']);
  assert.equal(loadConfig(['--max-message-size', '1'], {}).maxMessageBytes, 1);
});

test('--downlink-allow takes IPv4 and IPv6 CIDR ranges or single addresses; a bad entry is named', () => {
  assert.deepEqual(loadConfig(['--downlink-allow', '10.0.0.0/8, fd00::/8,192.0.2.7'], {}).downlinkAllow, ['10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
  const found = problems(['--downlink-allow', '10.0.0.0/33,cse.local,fd00::/129,10.0.0.0/8']);
  assert.deepEqual(found, [
    '--downlink-allow: "10.0.0.0/33": the prefix length must be 0 to 32',
    '--downlink-allow: "cse.local" is not an IPv4 or IPv6 address or CIDR range',
    '--downlink-allow: "fd00::/129": the prefix length must be 0 to 128',
  ]);
  const r = spawnSync(process.execPath, [CLI, '--downlink-allow', '10.0.0.0/40'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'onem2m-ws-bridge: --downlink-allow: "10.0.0.0/40": the prefix length must be 0 to 32\n');
});
