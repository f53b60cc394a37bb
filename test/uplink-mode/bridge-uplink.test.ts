// --uplink through createBridge: the composition root starts uplink mode with
// the doors, reports the registrar link on /readyz, and stops it with them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { createBridge } from '../../src/bridge/bridge.js';
import { startFakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';
import { TestRegistrar } from '../support/ws-registrar.js';

test('a bridge with --uplink holds the registrar link, and /readyz reports it as the "registrar" check', async () => {
  const cse = await startFakeCse({ cseId: 'id-mn', csebaseName: 'cse-mn' });
  const registrar = await TestRegistrar.start({ handler: (req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' }) });
  const bridge = createBridge(testConfig(cse.url, { uplink: registrar.url, uplinkListen: { host: '127.0.0.1', port: 0 }, uplinkOrigin: '/id-mn' }));
  const readyz = async () => {
    const res = await request(`http://127.0.0.1:${bridge.addresses!.admin.port}/readyz`);
    return { status: res.statusCode, body: (await res.body.json()) as { checks: Record<string, boolean> } };
  };
  try {
    await bridge.start();
    assert.ok(bridge.uplinkMode !== undefined);
    await registrar.waitForConnections(1);
    await waitUntil(() => bridge.uplinkMode!.client.connected, 5000, 'link open');
    const up = await readyz();
    assert.equal(up.status, 200);
    assert.equal(up.body.checks.registrar, true);

    await registrar.close();
    await waitUntil(() => !bridge.uplinkMode!.client.connected, 5000, 'link down');
    const down = await readyz();
    assert.equal(down.status, 503);
    assert.equal(down.body.checks.registrar, false);
  } finally {
    await bridge.stop();
    await registrar.close().catch(() => undefined);
    await cse.close();
  }
});
