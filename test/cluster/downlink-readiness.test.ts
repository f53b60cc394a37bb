// Issue 17.4: with Redis down every replica's /readyz is false (the public
// Service stops sending new connections), yet the CSE's request that lands on
// the replica holding the registree is still delivered: /readyz/downlink says
// so, and the cluster shape's downlink Service publishes not-ready addresses,
// so the CSE still reaches that replica. README "Cluster mode" states it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { parseAllDocuments } from 'yaml';
import type { BridgeAddresses } from '../../src/bridge/bridge.js';
import { redisOrSkip } from '../support/redis-server.js';
import { startTwoReplicas } from '../support/two-replicas.js';
import type { TwoReplicas } from '../support/two-replicas.js';
import { waitUntilAsync } from '../support/wait.js';
import type { WsRegistree } from '../support/ws-registree.js';

const { redis, skip } = await redisOrSkip();

function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  return waitUntilAsync(check, timeoutMs, what);
}

async function readiness(door: BridgeAddresses, path: string): Promise<{ status: number; body: { status: string; checks: Record<string, boolean> } }> {
  const res = await request(`http://127.0.0.1:${door.admin.port}${path}`);
  return { status: res.statusCode, body: (await res.body.json()) as { status: string; checks: Record<string, boolean> } };
}

describe('cluster: the downlink while Redis is down', { skip }, () => {
  const prefix = `dlready-${process.pid}:`;
  let scene: TwoReplicas;
  let at: TwoReplicas['at'];
  let ae: WsRegistree;

  before(async () => {
    // The admin token guards /api, never the probes.
    scene = await startTwoReplicas(redis!.url, prefix, 'held-by-a', { adminToken: 'secret-token' });
    ({ at, ae } = scene);
  });
  after(async () => {
    await scene?.stop();
    await redis?.stop();
  });

  const notify = async (door: BridgeAddresses, rqi: string) => (await scene.notify(door, rqi)).rsc;

  test('Redis up: /readyz and /readyz/downlink are 200 on both replicas', async () => {
    for (const door of [at.a, at.b]) {
      assert.equal((await readiness(door, '/readyz')).status, 200);
      const downlink = await readiness(door, '/readyz/downlink');
      assert.equal(downlink.status, 200);
      assert.deepEqual(downlink.body, { status: 'ready', checks: { doors: true } });
    }
  });

  test('Redis down: /readyz is 503 (store false) but /readyz/downlink stays 200, and the replica holding the registree delivers', async () => {
    await redis!.down();
    await until('/readyz 503 on both', async () => (await readiness(at.a, '/readyz')).status === 503 && (await readiness(at.b, '/readyz')).status === 503);
    for (const door of [at.a, at.b]) {
      const whole = await readiness(door, '/readyz');
      assert.equal(whole.status, 503);
      assert.equal(whole.body.checks.store, false);
      assert.equal((await readiness(door, '/readyz/downlink')).status, 200);
    }
    // The CSE's request that lands on A, which holds the registree: delivered.
    assert.equal(await notify(at.a, 'held-1'), 2000);
    assert.equal(ae.received.at(-1)?.rqi, 'held-1');
    // On B it can neither be routed nor stored: a clear 5103, not a lost request.
    assert.equal(await notify(at.b, 'elsewhere-1'), 5103);
    assert.notEqual(ae.received.at(-1)?.rqi, 'elsewhere-1');
    await redis!.up();
  });
});

describe('deploy/kubernetes/cluster: Services and probes agree with the README', () => {
  const docs = parseAllDocuments(readFileSync(new URL('../../deploy/kubernetes/cluster/services.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as Record<string, any>);
  const service = (component: string) => docs.find((d) => d.kind === 'Service' && d.metadata.labels['app.kubernetes.io/component'] === component);

  test('the downlink Service publishes not-ready addresses; the public Service follows readiness', () => {
    assert.equal(service('downlink')?.spec.publishNotReadyAddresses, true);
    assert.notEqual(service('public')?.spec.publishNotReadyAddresses, true);
  });

  test('the pods\' readinessProbe is /readyz on the admin port (it keeps gating the public door)', () => {
    const deployment = parseAllDocuments(readFileSync(new URL('../../deploy/kubernetes/cluster/deployment.yaml', import.meta.url), 'utf8'))
      .map((d) => d.toJS() as Record<string, any>)
      .find((d) => d.kind === 'Deployment');
    const bridge = (deployment?.spec.template.spec.containers as Array<Record<string, any>>).find((c) => c.name === 'bridge');
    assert.deepEqual(bridge?.readinessProbe.httpGet, { path: '/readyz', port: 'admin' });
  });

  test('README "Cluster mode" says what the Services do while Redis is down', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    assert.match(readme, /publishNotReadyAddresses/);
    assert.match(readme, /\/readyz\/downlink/);
  });
});
