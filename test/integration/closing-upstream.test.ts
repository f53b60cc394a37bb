// An upstream CSE that closes its connection after each answer (issue 22):
// the bridge counts the connections it opens and warns once, naming what to
// do; with keep-alive it neither opens a connection per request nor warns.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { createBridge } from '../../src/bridge/bridge.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCseOptions } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { WsRegistree } from '../support/ws-registree.js';

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

const WARN = 40;
const CLOSING_LINE = /closes its HTTP connection/;

async function startLogged(upstream: string, overrides: Parameters<typeof testConfig>[1] = {}) {
  const logs: LogLine[] = [];
  const sink = { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) };
  const bridge = createBridge(testConfig(upstream, { logLevel: 'info', ...overrides }), { logger: pino({ level: 'info' }, sink) });
  const addresses = await bridge.start();
  return { bridge, logs, wsUrl: `ws://127.0.0.1:${addresses.public.port}/`, adminUrl: `http://127.0.0.1:${addresses.admin.port}` };
}

async function connectionsOpened(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('onem2m_bridge_upstream_connections_opened_total '));
  assert.ok(line, 'onem2m_bridge_upstream_connections_opened_total in /metrics');
  return Number(line.split(' ')[1]);
}

/** A registered AE sends `n` RETRIEVEs of its own AE, one after the other. */
async function retrieveLoop(ae: WsRegistree, aei: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const rsp = await ae.request({ op: 2, to: 'cse-in/ae1', fr: aei });
    assert.equal(rsp.rsc, 2000, JSON.stringify(rsp));
  }
}

async function withCse(cseOptions: FakeCseOptions, body: (cse: Awaited<ReturnType<typeof startFakeCse>>, run: Awaited<ReturnType<typeof startLogged>>) => Promise<void>): Promise<void> {
  const cse = await startFakeCse(cseOptions);
  const run = await startLogged(cse.url);
  try {
    await body(cse, run);
  } finally {
    await run.bridge.stop();
    await cse.close();
  }
}

test('a CSE answering with Connection: close: one connection opened per request, counted, and one warning naming [http.wsgi] enable=true', async () => {
  await withCse({ connectionClose: true }, async (cse, run) => {
    const { ae, aei } = await registerAe(run.wsUrl, 'ae1');
    await retrieveLoop(ae, aei, 250);
    // Every request the CSE saw came on a connection of its own. Counted before
    // the scrape: a scrape probes the upstream (upstream_up) on a connection of
    // its own, which the CSE sees while that scrape's counters are already read.
    const seen = cse.requests.length;
    assert.equal(await connectionsOpened(run.adminUrl), seen);
    assert.ok(cse.requests.length >= 251);
    const warnings = run.logs.filter((l) => CLOSING_LINE.test(l.msg));
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.equal(warnings[0].level, WARN);
    assert.match(warnings[0].msg, /\[http\.wsgi\] enable=true/);
    assert.match(warnings[0].msg, /Connection: close/);
    assert.equal(warnings[0].upstream, new URL(cse.url).origin);
    await ae.close();
  });
});

test('a keep-alive CSE: connections are reused and nothing is said', async () => {
  await withCse({}, async (cse, run) => {
    const { ae, aei } = await registerAe(run.wsUrl, 'ae1');
    await retrieveLoop(ae, aei, 250);
    assert.ok(cse.requests.length >= 251);
    const opened = await connectionsOpened(run.adminUrl);
    // One connection, more only if the machine stalls past a keep-alive timeout: far below one per request.
    assert.ok(opened >= 1 && opened < 10, `opened ${opened} connections for ${cse.requests.length} requests`);
    assert.deepEqual(run.logs.filter((l) => CLOSING_LINE.test(l.msg)), []);
    await ae.close();
  });
});

/** An HTTP/1.1 server that answers every request 200 (rsc 2000) and closes the socket, without a Connection header. */
async function silentCloser(): Promise<{ url: string; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections++;
    let seen = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      const ri = /\r\nx-m2m-ri: *([^\r]*)/i.exec(seen)?.[1] ?? '';
      const body = '{"m2m:cb":{"ri":"id-in","rn":"cse-in","ty":5,"csi":"/id-in"}}';
      socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nx-m2m-rsc: 2000\r\nx-m2m-ri: ${ri}\r\nx-m2m-rvi: 3\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, connections: () => connections };
}

test('a CSE that closes the socket after each answer without saying so is noticed too', async () => {
  const upstream = await silentCloser();
  after(() => upstream.server.close());
  const run = await startLogged(upstream.url, { allowOriginator: ['CAdmin'], cseId: '/id-in' });
  try {
    const client = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    for (let i = 0; i < 250; i++) {
      const rsp = await client.request({ op: 2, to: 'cse-in', fr: 'CAdmin' });
      assert.equal(rsp.rsc, 2000, JSON.stringify(rsp));
    }
    const seen = upstream.connections(); // before the scrape's own upstream_up probe
    assert.equal(await connectionsOpened(run.adminUrl), seen);
    const warnings = run.logs.filter((l) => CLOSING_LINE.test(l.msg));
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0].msg, /connections were opened for the last 100 answers/);
    await client.close();
  } finally {
    await run.bridge.stop();
  }
});

test('an upstream named by host name (localhost) that closes each connection: every request answered, a connection each', async () => {
  const cse = await startFakeCse({ connectionClose: true });
  const run = await startLogged(`http://localhost:${cse.port}`);
  try {
    const { ae, aei } = await registerAe(run.wsUrl, 'ae1');
    await retrieveLoop(ae, aei, 30);
    const seen = cse.requests.length; // before the scrape's own upstream_up probe
    assert.equal(await connectionsOpened(run.adminUrl), seen);
    await ae.close();
  } finally {
    await run.bridge.stop();
    await cse.close();
  }
});
