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
import { request } from 'undici';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { registerAe, subscribe } from '../support/register.js';
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

/**
 * Sends `head` and then body chunks for as long as the connection takes them,
 * never the end of the body; resolves with the answer once the door closed.
 */
function endlessBody(port: number, head: string, chunk: string): Promise<{ answer: string; sentBytes: number }> {
  return new Promise((resolve) => {
    let answer = '';
    let sentBytes = 0;
    let stopped = false;
    const socket = connect(port, '127.0.0.1');
    const pump = () => {
      while (!stopped && socket.writable) {
        sentBytes += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.once('connect', () => {
      socket.write(head);
      pump();
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      answer += d;
      stopped = true;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ answer, sentBytes }));
  });
}

/** One chunk of a chunked body (RFC 9112 7.1). */
function chunked(data: string): string {
  return `${data.length.toString(16)}\r\n${data}\r\n`;
}

// Each limit on a bridge of its own, the other limits there at their defaults:
// a loaded machine must not let one limit answer for another.
describe('door limits: a lone stalled client on every door', { timeout: 30_000 }, () => {
  let run: Running;
  let registrar: TestRegistrar;
  before(async () => {
    registrar = await TestRegistrar.start();
    run = await startBridge({ handshakeTimeoutMs: 300, uplink: registrar.url, uplinkListen: LOOPBACK_0 });
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
});

describe('door limits: a lone slow body on every door that reads one', { timeout: 30_000 }, () => {
  let run: Running;
  let registrar: TestRegistrar;
  before(async () => {
    registrar = await TestRegistrar.start();
    run = await startBridge({ bodyTimeoutMs: 400, uplink: registrar.url, uplinkListen: LOOPBACK_0 });
  });
  after(async () => {
    await run.stop();
    await registrar.close();
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

describe('door limits: bodies past their size limit', { timeout: 30_000 }, () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ maxDownlinkBodyBytes: 1024, maxPassthroughBodyBytes: 1024 });
  });
  after(async () => {
    await run.stop();
  });

  test('an endless chunked body on the downlink door gets 413 as soon as it passes --max-downlink-body', async () => {
    const head = 'POST /r/somekey HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-M2M-RI: big-1\r\nTransfer-Encoding: chunked\r\n\r\n';
    const { answer, sentBytes } = await endlessBody(run.addresses.downlink.port, head, chunked('x'.repeat(256)));
    assert.match(answer, /^HTTP\/1\.1 413 /, JSON.stringify(answer.slice(0, 80)));
    assert.match(answer, /\r\nX-M2M-RSC: 4000\r\n/i);
    assert.match(answer, /\r\nX-M2M-RI: big-1\r\n/i);
    assert.ok(answer.includes('--max-downlink-body'));
    assert.ok(sentBytes > 1024);
  });

  test('an endless chunked passthrough body gets 413 as soon as it passes --max-passthrough-body', async () => {
    const head = 'POST /cse-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json;ty=4\r\nX-M2M-Origin: CAdmin\r\nX-M2M-RI: big-pt\r\nTransfer-Encoding: chunked\r\n\r\n';
    const { answer } = await endlessBody(run.addresses.public.port, head, chunked('x'.repeat(256)));
    assert.match(answer, /^HTTP\/1\.1 413 /, JSON.stringify(answer.slice(0, 80)));
    assert.match(answer, /\r\nX-M2M-RSC: 4000\r\n/i);
    assert.ok(answer.includes('--max-passthrough-body'));
    assert.equal(run.cse.requests.filter((r) => r.headers['x-m2m-ri'] === 'big-pt').length, 0);
  });

  test('a passthrough body whose Content-Length passes --max-passthrough-body gets 413 and never reaches the CSE', async () => {
    const res = await request(`http://127.0.0.1:${run.addresses.public.port}/cse-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json;ty=2', 'x-m2m-origin': 'Cbig', 'x-m2m-ri': 'big-cl', 'x-m2m-rvi': '3' },
      body: JSON.stringify({ 'm2m:ae': { rn: 'bigAE', api: 'Nbig', rr: false, srv: ['3'], lbl: ['x'.repeat(2000)] } }),
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.headers['x-m2m-rsc'], '4000');
    assert.equal(res.headers['x-m2m-ri'], 'big-cl');
    await res.body.dump();
    assert.equal(run.cse.requests.filter((r) => r.headers['x-m2m-ri'] === 'big-cl').length, 0);
  });
});

describe('door limits on wss://', { timeout: 30_000 }, () => {
  let run: Running;
  before(async () => {
    // The TLS handshake has the same time: room for it on a loaded machine.
    run = await startBridge({ handshakeTimeoutMs: 1000, tlsCert: join(tlsDir, 'server.pem'), tlsKey: join(tlsDir, 'server-key.pem') });
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

describe('downlink door source allow-list (--downlink-allow)', { timeout: 30_000 }, () => {
  let elsewhere: Running;
  let loopback: Running;
  before(async () => {
    elsewhere = await startBridge({ downlinkAllow: ['10.0.0.0/8', 'fd00::/8'] });
    loopback = await startBridge({ downlinkAllow: ['10.0.0.0/8', '127.0.0.0/8'] });
  });
  after(async () => {
    await elsewhere.stop();
    await loopback.stop();
  });

  test("a CSE outside the ranges gets 403 with X-M2M-RSC 4103 and its request never reaches the registree", async () => {
    const { ae, aei } = await registerAe(elsewhere.wsUrl, 'fenced');
    await subscribe(ae, aei, 'fenced');
    await elsewhere.cse.createContentInstance('cse-in/fenced/data', 'v1');
    const [notification] = await elsewhere.cse.waitForNotifications(1);
    assert.equal(notification.kind, 'notification');
    assert.equal(notification.status, 403);
    assert.equal(notification.rsc, 4103);
    assert.match(String(notification.responseBody), /--downlink-allow/);
    // The connection is ordered: anything sent down before this answer would have arrived first.
    assert.equal((await ae.request({ op: 2, to: 'cse-in/fenced', fr: aei })).rsc, 2000);
    assert.deepEqual(ae.received, []);
    await ae.close();
  });

  test('a CSE inside the ranges reaches the registree', async () => {
    const { ae, aei } = await registerAe(loopback.wsUrl, 'open');
    await subscribe(ae, aei, 'open');
    await loopback.cse.createContentInstance('cse-in/open/data', 'v1');
    const [notification] = await ae.waitForReceived(1);
    assert.equal(notification.op, 5);
    assert.ok((notification.pc?.['m2m:sgn'] as { nev?: unknown } | undefined)?.nev !== undefined, JSON.stringify(notification.pc));
    assert.deepEqual((await loopback.cse.waitForNotifications(1)).map((n) => [n.status, n.rsc]), [[200, 2000]]);
    await ae.close();
  });
});
