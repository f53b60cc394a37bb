// The uplink settings: defaults, and every bad combination named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

function problems(argv: string[], files: Record<string, string> = {}): readonly string[] {
  const read = (path: string) => {
    if (path in files) return files[path]!;
    throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  };
  try {
    loadConfig(argv, {}, read);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
}

test('uplink mode is off by default and its door defaults to loopback 8182', () => {
  const c = loadConfig([], {});
  assert.equal(c.uplink, '');
  assert.deepEqual(c.uplinkListen, { host: '127.0.0.1', port: 8182 });
  assert.equal(c.uplinkFormat, 'json');
  assert.equal(c.uplinkTimeoutMs, 30_000);
});

test('a ws:// or wss:// registrar with its settings is accepted, also from BRIDGE_UPLINK_* variables', () => {
  assert.deepEqual(problems(['--uplink', 'wss://in.example:443/', '--uplink-origin', '/id-mn', '--uplink-proxy', 'none', '--uplink-ca', 'ca.pem', '--uplink-cert', 'c.pem', '--uplink-key', 'k.pem'], { 'ca.pem': 'x', 'c.pem': 'x', 'k.pem': 'x' }), []);
  const c = loadConfig([], { BRIDGE_UPLINK: 'ws://in:8180', BRIDGE_UPLINK_FORMAT: 'cbor', BRIDGE_UPLINK_URL: 'http://bridge:8182' });
  assert.equal(c.uplink, 'ws://in:8180');
  assert.equal(c.uplinkFormat, 'cbor');
});

test('bad uplink settings are each named', () => {
  const p = problems(['--uplink', 'http://in:8080', '--uplink-url', 'ws://x', '--uplink-proxy', 'socks5://p:1', '--uplink-cert', 'c.pem', '--uplink-ca', 'missing.pem'], { 'c.pem': 'x' });
  assert.deepEqual(p, [
    '--uplink: "http://in:8080" must be ws:// or wss://',
    '--uplink-url: "ws://x" must be http:// or https://',
    '--uplink-proxy: "socks5://p:1" must be http:// or https:// (or none)',
    '--uplink-key: needed together with --uplink-cert',
    '--uplink-ca: cannot read missing.pem: ENOENT',
  ]);
  assert.deepEqual(problems(['--uplink-origin', '/id-mn', '--uplink-proxy', 'http://p:3128']), ['--uplink-origin: only applies with --uplink', '--uplink-proxy: only applies with --uplink']);
  assert.deepEqual(problems(['--uplink', 'ws://in', '--uplink-format', 'yaml']), ['--uplink-format: "yaml" is not one of json, cbor, xml']);
});
