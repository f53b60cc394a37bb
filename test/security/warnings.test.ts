// Issue 12 "Say the mode out loud": a public door beyond loopback with
// identity none gets one warn line naming the flags that prevent takeover;
// loopback, or any identity mode, gets none. /readyz is not affected.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { createBridge } from '../../src/bridge/bridge.js';
import type { BridgeConfig } from '../../src/config/config.js';
import { testConfig } from '../support/harness.js';
import { startPermissiveCse } from '../support/permissive-cse.js';

async function startLines(overrides: Partial<BridgeConfig>): Promise<Array<Record<string, unknown>>> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.length > 0) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const cse = await startPermissiveCse();
  const bridge = createBridge(testConfig(cse.url, { logLevel: 'info', ...overrides }), { logger: pino({ level: 'info' }, sink) });
  const at = await bridge.start();
  const ready = await fetch(`http://127.0.0.1:${at.admin.port}/readyz`);
  assert.equal(ready.status, 200);
  await bridge.stop();
  await cse.close();
  return lines;
}

const takeoverWarning = (lines: Array<Record<string, unknown>>) =>
  lines.filter((l) => l.level === 40 && typeof l.msg === 'string' && l.msg.startsWith('identity none on a public door'));

test('identity none beyond loopback: one warn line naming --tls-client-auth, --identity-map and --credentials', async () => {
  const warned = takeoverWarning(await startLines({ listen: { host: '0.0.0.0', port: 0 } }));
  assert.equal(warned.length, 1);
  for (const flag of ['--tls-client-auth require', '--identity-map', '--credentials']) assert.ok(String(warned[0].msg).includes(flag), flag);
});

test('identity none on loopback, or an identity mode beyond it: no such warning', async () => {
  assert.equal(takeoverWarning(await startLines({})).length, 0);
  const tls = { tlsCert: join('test/fixtures/tls', 'server.pem'), tlsKey: join('test/fixtures/tls', 'server-key.pem'), tlsCa: join('test/fixtures/tls', 'ca.pem'), tlsClientAuth: 'require' as const };
  assert.equal(takeoverWarning(await startLines({ listen: { host: '0.0.0.0', port: 0 }, ...tls })).length, 0);
});
