// The per-address connection count exists for --max-connections-per-address.
// Without that limit (the default: behind NAT or a load balancer many devices
// share an address) the server keeps no entry per address, since with devices
// on addresses of their own it would be one map entry per registree, for
// nothing (issue 19, memory per registree). With the limit, the count
// follows connections in and out (test/integration/limits.test.ts checks the
// 503 itself).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import WebSocket from 'ws';
import { codecFor } from '../../src/primitive/codecs.js';
import { WsServer } from '../../src/ws/ws-server.js';
import { waitUntil } from '../support/wait.js';

async function serverWith(maxConnectionsPerAddress: number): Promise<{ ws: WsServer; url: string; close(): Promise<void> }> {
  const ws = new WsServer({
    deflate: false,
    pingIntervalMs: 0,
    maxPayload: 1 << 20,
    maxConnections: 100,
    maxConnectionsPerAddress,
    limits: { maxInFlight: 10, rateLimit: 0, maxDownlinkInflight: 10, maxDownlinkBufferedBytes: 1 << 20, maxUnboundMessageBytes: 1 << 16 },
    drainTimeoutMs: 0,
    idleTimeoutMs: 0,
    codecFor,
    handler: { onRequest: async (_s, req) => ({ rsc: 2000, rqi: req.rqi, rvi: '3' }) },
    onOpen: () => {},
    onClose: () => {},
    onReject: () => {},
  });
  const http = createServer();
  http.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return {
    ws,
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/`,
    async close() {
      ws.terminateAll();
      ws.close();
      http.close();
      await once(http, 'close');
    },
  };
}

const table = (ws: WsServer) => (ws as unknown as { perAddress: Map<string, number> }).perAddress;

async function open(url: string): Promise<WebSocket> {
  const c = new WebSocket(url, 'oneM2M.json');
  await once(c, 'open');
  return c;
}

for (const [limit, expected] of [
  [0, undefined],
  [5, 2],
] as const) {
  test(`--max-connections-per-address ${limit}: ${expected === undefined ? 'no entry per address' : 'the count follows connections in and out'}`, async () => {
    const s = await serverWith(limit);
    try {
      const a = await open(s.url);
      const b = await open(s.url);
      await waitUntil(() => s.ws.sessions.size === 2, 5000, 'both connections open');
      assert.equal(table(s.ws).get('127.0.0.1'), expected);
      a.close();
      b.close();
      await waitUntil(() => s.ws.sessions.size === 0, 5000, 'both connections gone');
      assert.equal(table(s.ws).size, 0);
    } finally {
      await s.close();
    }
  });
}
