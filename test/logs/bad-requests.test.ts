// Issue 17.1: a request a door refuses as bad HTTP (what Node's parser
// refuses, a body past its limit) is a warn line naming the door, the peer
// address and the reason — on every door — and those lines are rate-limited.
// Mobius's Content-Length in characters (a short length for non-ASCII
// content) used to vanish without a trace on the downlink door.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createBridge } from '../../src/bridge/bridge.js';
import type { Bridge, BridgeAddresses } from '../../src/bridge/bridge.js';
import { createLogger } from '../../src/log.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { logSink } from '../support/log-sink.js';
import { waitUntil } from '../support/wait.js';

type Line = Record<string, unknown>;
const WARN = 40;

/** Writes raw bytes to a door and resolves with everything it answers until it closes the connection. */
function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

const badLength = (path: string) => `POST ${path} HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}`;

async function startLogged(): Promise<{ cse: FakeCse; bridge: Bridge; at: BridgeAddresses; lines: Line[] }> {
  const sink = logSink();
  const cse = await startFakeCse();
  const bridge = createBridge(testConfig(cse.url, { logLevel: 'info', maxDownlinkBodyBytes: 1024 }), { logger: createLogger('info', false, sink.stream) });
  return { cse, bridge, at: await bridge.start(), lines: sink.lines };
}

describe('bad HTTP on each door', () => {
  let cse: FakeCse;
  let bridge: Bridge;
  let at: BridgeAddresses;
  let lines: Line[];
  before(async () => {
    ({ cse, bridge, at, lines } = await startLogged());
  });
  after(async () => {
    await bridge.stop();
    await cse.close();
  });
  const badLines = (door: string) => lines.filter((l) => l.level === WARN && l.door === door && l.msg === `bad HTTP request on the ${door} door answered 400`);

  for (const door of ['public', 'downlink', 'admin'] as const) {
    test(`${door} door: a bad Content-Length gets 400/4000 and a warn line with the peer address and the parser's reason`, async () => {
      const answer = await raw(at[door].port, badLength(door === 'downlink' ? '/r/some-key' : '/'));
      assert.match(answer, /^HTTP\/1\.1 400 /);
      assert.match(answer, /X-M2M-RSC: 4000/i);
      await waitUntil(() => badLines(door).length > 0, 2000, `warn line for the ${door} door`);
      const line = badLines(door)[0];
      assert.equal(line.remote, '127.0.0.1');
      assert.equal(line.status, 400);
      assert.equal(line.code, 'HPE_INVALID_CONTENT_LENGTH');
      assert.equal(line.reason, 'Invalid character in Content-Length');
      assert.equal(line.count, 1);
    });
  }

  test('downlink door: a Content-Length counted in characters (Mobius) leaves a trace: the cut primitive and the rest', async () => {
    const { ae, aei } = await registerAe(`ws://127.0.0.1:${at.public.port}/`, 'mobius-target');
    try {
      const key = bridge.registry.sessionForId(aei)?.registration?.key as string;
      const body = JSON.stringify({ 'm2m:sgn': { sur: '/id-in/sub', nev: { rep: { 'm2m:cin': { con: 'Grüße aus Köln' } } } } });
      const head = `POST /r/${key}/${aei} HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\nX-M2M-Origin: /id-in\r\nX-M2M-RI: mobius-1\r\nX-M2M-RVI: 3\r\nContent-Length: ${body.length}\r\n\r\n`;
      const answer = await raw(at.downlink.port, Buffer.concat([Buffer.from(head), Buffer.from(body, 'utf8')]));
      // The first request is cut short (4000), the bytes after it are no request at all (400).
      assert.match(answer, /X-M2M-RSC: 4000/i);
      await waitUntil(() => lines.some((l) => l.rqi === 'mobius-1') && lines.some((l) => l.door === 'downlink' && typeof l.hint === 'string'), 2000, 'both lines');
      const cut = lines.find((l) => l.rqi === 'mobius-1')!;
      assert.equal(cut.level, WARN);
      assert.equal(cut.msg, 'request from the CSE is not a readable primitive: answered 4000');
      assert.equal(cut.registree, aei);
      const rest = lines.find((l) => l.door === 'downlink' && typeof l.hint === 'string')!;
      assert.equal(rest.level, WARN);
      assert.equal(rest.remote, '127.0.0.1');
      assert.match(String(rest.hint), /Content-Length shorter than its body/);
      assert.equal(ae.received.length, 0, 'nothing half-read reached the registree');
    } finally {
      await ae.close();
    }
  });

  test('downlink door: a body past --max-downlink-body gets 413 and a warn line', async () => {
    const body = 'x'.repeat(2048);
    const answer = await raw(at.downlink.port, `POST /r/any HTTP/1.1\r\nHost: bridge\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    await waitUntil(() => lines.some((l) => l.door === 'downlink' && l.status === 413), 2000, '413 line');
    const line = lines.find((l) => l.door === 'downlink' && l.status === 413)!;
    assert.equal(line.level, WARN);
    assert.equal(line.code, 'too_large');
    assert.equal(line.remote, '127.0.0.1');
    assert.match(String(line.reason), /--max-downlink-body/);
  });
});

test('bad requests are rate-limited: the first at once, the rest in one line a second later with their count', async () => {
  const { cse, bridge, at, lines } = await startLogged();
  try {
    const n = 30;
    const answers = await Promise.all(Array.from({ length: n }, () => raw(at.downlink.port, badLength('/r/k'))));
    for (const a of answers) assert.match(a, /^HTTP\/1\.1 400 /);
    const bad = () => lines.filter((l) => l.door === 'downlink' && l.code === 'HPE_INVALID_CONTENT_LENGTH');
    await waitUntil(() => bad().reduce((sum, l) => sum + (l.count as number), 0) === n, 5000, 'every bad request counted');
    const logged = bad();
    assert.equal(logged[0].count, 1, 'the first one at once');
    assert.ok(logged.length < n / 3, `${logged.length} lines for ${n} bad requests`);
    for (const l of logged) assert.equal(l.level, WARN);
  } finally {
    await bridge.stop();
    await cse.close();
  }
});

test('a request head that does not arrive in time (--handshake-timeout) gets 408 and a warn line naming the door', async () => {
  const sink = logSink();
  const cse = await startFakeCse();
  const bridge = createBridge(testConfig(cse.url, { logLevel: 'info', handshakeTimeoutMs: 300 }), { logger: createLogger('info', false, sink.stream) });
  const at = await bridge.start();
  try {
    // Half a head, then nothing: the door answers 408 and closes.
    const answer = await raw(at.admin.port, 'GET /metrics HTTP/1.1\r\nHost: bri');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    await waitUntil(() => sink.lines.some((l) => l.code === 'head_timeout'), 2000, 'head timeout line');
    const line = sink.lines.find((l) => l.code === 'head_timeout')!;
    assert.equal(line.level, WARN);
    assert.equal(line.door, 'admin');
    assert.equal(line.status, 408);
    assert.equal(line.remote, '127.0.0.1');
    assert.match(String(line.reason), /--handshake-timeout/);
  } finally {
    await bridge.stop();
    await cse.close();
  }
});
