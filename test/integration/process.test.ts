// The bridge as an operator runs it: a separate process, signals, a crash.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../../src/primitive/types.js';
import { spawnBridge } from '../support/bridge-process.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { registerAe, subscribe } from '../support/register.js';
import { WsRegistree } from '../support/ws-registree.js';
import { waitUntil } from '../support/wait.js';

/**
 * A free TCP port below the kernel's ephemeral range. A port the kill -9
 * test's first bridge got from port 0 would be back in the pool the moment
 * it dies, and a test file running in parallel (or any outgoing connection)
 * could take it before the restart binds it again; nothing binding port 0
 * gets one from below the range, so it waits for the restart.
 */
async function portBelowEphemeralRange(): Promise<number> {
  const [low] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768')).trim().split(/\s+/).map(Number);
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function sgnCon(req: { pc?: JsonObject }): unknown {
  const rep = ((req.pc?.['m2m:sgn'] as JsonObject).nev as JsonObject).rep as JsonObject;
  return (rep['m2m:cin'] as JsonObject).con;
}

describe('bridge process', () => {
  let cse: FakeCse;
  let dir: string;
  before(async () => {
    cse = await startFakeCse();
    dir = await mkdtemp(join(tmpdir(), 'bridge-process-'));
  });
  after(async () => {
    await cse.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('SIGTERM answers the request in flight, closes WebSockets with 1001 and exits 0', async () => {
    const child = await spawnBridge(['--upstream', cse.url, '--store', 'memory', '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--allow-originator', 'CAdmin']);
    const c = await WsRegistree.connect(`ws://127.0.0.1:${child.ports.public}/`, 'oneM2M.json');
    cse.setDelay(1000);
    try {
      const inFlight = c.request({ op: 2, to: 'cse-in', fr: 'CAdmin', rqi: 'last-words' }, 30_000);
      // SIGTERM once the CSE holds the request (its answer is 1 s away): it is in flight
      await waitUntil(() => cse.requests.some((r) => r.headers['x-m2m-ri'] === 'last-words'), 10_000, 'the request at the CSE');
      child.proc.kill('SIGTERM');
      const rsp = await inFlight;
      assert.equal(rsp.rsc, 2000);
      assert.equal((await c.closed).code, 1001);
      assert.deepEqual(await child.exited, { code: 0, signal: null });
    } finally {
      cse.setDelay(0);
    }
  });

  test('after kill -9 the restarted bridge on the same lmdb directory knows the registree and delivers every acknowledged notification', async () => {
    const store = `lmdb:${join(dir, 'data')}`;
    // Same ports after the restart, so the poa the CSE holds still points at the downlink door.
    const ports = { public: await portBelowEphemeralRange(), downlink: 0 };
    while (ports.downlink === 0 || ports.downlink === ports.public) ports.downlink = await portBelowEphemeralRange();
    const listen = ['--listen', `127.0.0.1:${ports.public}`, '--downlink-listen', `127.0.0.1:${ports.downlink}`, '--admin-listen', '127.0.0.1:0'];
    const first = await spawnBridge(['--upstream', cse.url, '--store', store, ...listen]);
    const wsUrl = `ws://127.0.0.1:${first.ports.public}/`;
    const { ae, aei } = await registerAe(wsUrl, 'survivor');
    await subscribe(ae, aei, 'survivor');
    await ae.close();
    // Notifications while the AE is offline: each acknowledged with 1000 (stored).
    for (const con of ['a', 'b', 'c', 'd']) await cse.createContentInstance('cse-in/survivor/data', con);
    await cse.idle();
    const acked = cse.notifications.filter((n) => n.target === aei && n.kind === 'notification');
    assert.deepEqual(acked.map((n) => n.rsc), [1000, 1000, 1000, 1000]);

    first.proc.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');

    const second = await spawnBridge(['--upstream', cse.url, '--store', store, ...listen]);
    try {
      await cse.createContentInstance('cse-in/survivor/data', 'e');
      await cse.idle();
      const back = await WsRegistree.connect(wsUrl, 'oneM2M.json', { headers: { 'X-M2M-Origin': aei } });
      const got = await back.waitForReceived(5);
      assert.deepEqual(got.map(sgnCon), ['a', 'b', 'c', 'd', 'e']);
      await back.close();
    } finally {
      second.proc.kill('SIGTERM');
      assert.equal((await second.exited).code, 0);
    }
  });
});
