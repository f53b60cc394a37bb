// What an idle bound connection holds (issue 19: memory per registree):
// the listeners on the real `ws` socket and the per-session structures that
// are created only when used. No memory figure here (bench/fleet.ts measures
// bytes); these are the shapes the figure depends on. A fourth listener on
// the ws socket grows its listener table by ~96 bytes per connection
// (docs/benchmarks.md, "Size of the fleet").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { waitUntil } from '../support/wait.js';

/** The server-side ws WebSocket under a session (private fields: read only here). */
function serverSocket(run: Running, aei: string): WebSocket {
  const session = run.bridge.registry.sessionForId(aei);
  assert.ok(session !== undefined, `${aei} is bound`);
  return (session as unknown as { socket: { ws: WebSocket } }).socket.ws;
}

function lazyParts(run: Running, aei: string): Record<string, unknown> {
  const s = run.bridge.registry.sessionForId(aei) as unknown as Record<string, unknown>;
  return { downlink: s.downlink, backlog: s.backlog, access: s.access };
}

describe('an idle bound connection', () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ pingIntervalMs: 1000 });
  });
  after(async () => {
    await run.stop();
  });

  test('its ws socket carries message, error and close listeners, one each, and no pong listener', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'footprint');
    const ws = serverSocket(run, aei);
    assert.deepEqual(ws.eventNames().map(String).sort(), ['close', 'error', 'message']);
    for (const name of ['close', 'error', 'message']) assert.equal(ws.listenerCount(name), 1, name);
    await ae.close();
  });

  test('holds no downlink table, no backlog and no access record until one is needed', async () => {
    const { ae, aei } = await registerAe(run.wsUrl, 'lazy');
    assert.deepEqual(lazyParts(run, aei), { downlink: undefined, backlog: undefined, access: undefined });
    await ae.close();
  });

  test('the keepalive drops a peer that does not answer pings and keeps one that does, without a pong listener', async () => {
    const { ae: alive, aei } = await registerAe(run.wsUrl, 'alive');
    let pings = 0;
    alive.ws.on('ping', () => pings++);
    // autoPong off: the peer reads the pings and answers none (ws 8.17+).
    const silent = new WebSocket(run.wsUrl, 'oneM2M.json', { autoPong: false });
    await new Promise((resolve, reject) => {
      silent.once('open', resolve);
      silent.once('error', reject);
    });
    const silentClosed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
    let silentGone = false;
    void silentClosed.then(() => (silentGone = true));
    // Two pings and the look at the second: the live peer went through the same check.
    await waitUntil(() => silentGone && pings >= 3, 20_000, 'silent peer dropped after the live one answered');
    assert.equal(alive.ws.readyState, WebSocket.OPEN);
    assert.equal(serverSocket(run, aei).listenerCount('pong'), 0);
    const rsp = await alive.request({ op: 2, to: 'cse-in', fr: aei });
    assert.equal(rsp.rsc, 2000);
    // terminate() on the bridge side: no close frame, 1006 at the peer.
    assert.equal(await silentClosed, 1006);
    await alive.close();
  });
});
