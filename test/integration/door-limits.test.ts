// Issue 13 (1): time and size limits that hold for one connection as for
// many, on every door. Each case is a lone hostile client on a real socket;
// the waits are on its socket events, bounded only by the suite timeout (a
// removed limit makes the case hang and fail).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { TestRegistrar } from '../support/ws-registrar.js';

const LOOPBACK_0 = { host: '127.0.0.1', port: 0 };
const tlsDir = 'test/fixtures/tls';

/** Writes `text` on a fresh connection and resolves with everything the door sent once it closed the connection. */
function sendAndWaitForClose(open: () => Socket, text: string, then?: (socket: Socket) => void): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = open();
    socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
      socket.write(text);
      then?.(socket);
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    // A reset after the answer is the door closing; what arrived is judged.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
  });
}

const tcp = (port: number) => () => connect(port, '127.0.0.1');

/** The head of a 408 the door wrote because time was up, with the oneM2M code. */
function assertTimedOut(answer: string, setting: string): void {
  assert.match(answer, /^HTTP\/1\.1 408 /, `a 408 answer, got ${JSON.stringify(answer.slice(0, 80))}`);
  assert.match(answer, /\r\nX-M2M-RSC: 4008\r\n/i);
  assert.ok(answer.includes(setting), `the answer names ${setting}`);
}

describe('door limits: a lone stalled client on every door', { timeout: 30_000 }, () => {
  let run: Running;
  let registrar: TestRegistrar;
  before(async () => {
    registrar = await TestRegistrar.start();
    run = await startBridge({
      handshakeTimeoutMs: 300,
      bodyTimeoutMs: 400,
      uplink: registrar.url,
      uplinkListen: LOOPBACK_0,
    });
  });
  after(async () => {
    await run.stop();
    await registrar.close();
  });

  const stalledHead = 'GET / HTTP/1.1\r\nHost: x\r\n';
  for (const door of ['public', 'downlink', 'admin', 'uplink'] as const) {
    test(`a lone connection that stops in the middle of its request head gets 408 and is closed (${door} door, --handshake-timeout)`, async () => {
      const port = door === 'uplink' ? run.bridge.uplinkMode!.addresses!.door.port : run.addresses[door].port;
      assertTimedOut(await sendAndWaitForClose(tcp(port), stalledHead), '--handshake-timeout');
    });
  }

  test('a kept-alive connection that trickles its next head is closed after --handshake-timeout, without a second answer', async () => {
    let trickle: NodeJS.Timeout | undefined;
    const answer = await sendAndWaitForClose(tcp(run.addresses.admin.port), 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', (socket) => {
      // Once the first answer is in, the next head comes one byte at a time and never completes.
      socket.once('data', () => {
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ');
        trickle = setInterval(() => socket.write('a'), 50);
      });
    });
    clearInterval(trickle);
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.equal(answer.match(/HTTP\/1\.1 /g)?.length, 1, 'only the first request was answered');
  });

  test('a body that stops after one byte gets 408 on the downlink door (--body-timeout)', async () => {
    const head = 'POST /r/somekey HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-M2M-RI: slow-1\r\nContent-Length: 10\r\n\r\n';
    const answer = await sendAndWaitForClose(tcp(run.addresses.downlink.port), head + '{');
    assertTimedOut(answer, '--body-timeout');
    assert.match(answer, /\r\nX-M2M-RI: slow-1\r\n/i);
  });

  test('a body trickled one byte at a time still has to be complete within --body-timeout (downlink door)', async () => {
    let trickle: NodeJS.Timeout | undefined;
    const head = 'POST /r/somekey HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const answer = await sendAndWaitForClose(tcp(run.addresses.downlink.port), head, (socket) => {
      trickle = setInterval(() => socket.write(' '), 50);
    });
    clearInterval(trickle);
    assertTimedOut(answer, '--body-timeout');
  });

  test('a passthrough body that stops after one byte gets 408 and the CSE never gets the request (--body-timeout)', async () => {
    const head = 'POST /cse-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json;ty=2\r\nX-M2M-Origin: Cslow\r\nX-M2M-RI: slow-pt\r\nX-M2M-RVI: 3\r\nContent-Length: 50\r\n\r\n';
    const answer = await sendAndWaitForClose(tcp(run.addresses.public.port), head + '{');
    assertTimedOut(answer, '--body-timeout');
    assert.equal(run.cse.requests.filter((r) => r.headers['x-m2m-ri'] === 'slow-pt').length, 0);
  });

  test('a body that stops after one byte gets 408 on the uplink door (--body-timeout)', async () => {
    const head = 'POST /~/id-in/cse-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n';
    assertTimedOut(await sendAndWaitForClose(tcp(run.bridge.uplinkMode!.addresses!.door.port), head + '{'), '--body-timeout');
  });
});

describe('door limits on wss://', { timeout: 30_000 }, () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ handshakeTimeoutMs: 300, tlsCert: join(tlsDir, 'server.pem'), tlsKey: join(tlsDir, 'server-key.pem') });
  });
  after(async () => {
    await run.stop();
  });

  test('a lone TLS connection that stops in the middle of its request head gets 408 and is closed', async () => {
    const open = () => tlsConnect({ port: run.addresses.public.port, host: '127.0.0.1', ca: readFileSync(join(tlsDir, 'ca.pem')), servername: 'localhost' });
    assertTimedOut(await sendAndWaitForClose(open, 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'), '--handshake-timeout');
  });

  test('a lone connection that never starts its TLS handshake is closed', async () => {
    assert.equal(await sendAndWaitForClose(tcp(run.addresses.public.port), ''), '');
  });
});
