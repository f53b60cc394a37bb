// TS-0020 6.2: the opening handshake on the public door, with real sockets.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';
import { WsRegistree } from '../support/ws-registree.js';

/** Sends a raw handshake and returns the status line, headers and body the bridge answered. */
function rawHandshake(port: number, headerLines: string[], path = '/'): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        [
          `GET ${path} HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: ud63env87LQLd4uIV20/oQ==',
          'Sec-WebSocket-Version: 13',
          ...headerLines,
          '',
          '',
        ].join('\r\n'),
      );
    });
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.startsWith('HTTP/1.1 101') && data.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => {
      const [head, body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), head, body });
    });
    socket.on('error', reject);
  });
}

describe('WebSocket handshake on the public door', () => {
  let run: Running;
  let noDeflate: Running;
  before(async () => {
    run = await startBridge();
    noDeflate = await startBridge({ deflate: false });
  });
  after(async () => {
    await run.stop();
    await noDeflate.stop();
  });

  test('the first supported subprotocol in client order is chosen and echoed exactly', async () => {
    const r = await rawHandshake(run.addresses.public.port, ['Sec-WebSocket-Protocol: chat, ONEM2M.XML, oneM2M.json']);
    assert.equal(r.status, 101);
    assert.match(r.head, /\r\nSec-WebSocket-Protocol: ONEM2M\.XML(\r\n|$)/i);
    assert.ok(r.head.includes('Sec-WebSocket-Protocol: ONEM2M.XML'));
  });

  test('repeated Sec-WebSocket-Protocol headers are read in order (TS-0020 6.2.2.7)', async () => {
    const r = await rawHandshake(run.addresses.public.port, ['Sec-WebSocket-Protocol: oneM2M.R2.0.cbor', 'Sec-WebSocket-Protocol: oneM2M.json']);
    assert.equal(r.status, 101);
    assert.ok(r.head.includes('Sec-WebSocket-Protocol: oneM2M.R2.0.cbor'));
  });

  test('a handshake without a supported subprotocol gets HTTP 400 with a reason and no socket', async () => {
    for (const lines of [['Sec-WebSocket-Protocol: mqtt, chat'], []]) {
      const r = await rawHandshake(run.addresses.public.port, lines);
      assert.equal(r.status, 400);
      assert.match(r.body, /oneM2M\.json/);
      assert.ok(!/Sec-WebSocket-Accept/i.test(r.head));
    }
  });

  test('a handshake on another path than "/" gets HTTP 400 with a reason', async () => {
    const r = await rawHandshake(run.addresses.public.port, ['Sec-WebSocket-Protocol: oneM2M.json'], '/ws');
    assert.equal(r.status, 400);
    assert.match(r.body, /TS-0020 6\.2\.2\.1/);
  });

  test('a broken handshake (bad version) gets HTTP 400 with a reason', async () => {
    const socketAnswer = await new Promise<string>((resolve, reject) => {
      const port = run.addresses.public.port;
      const s = connect(port, '127.0.0.1', () => {
        s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ud63env87LQLd4uIV20/oQ==\r\nSec-WebSocket-Version: 7\r\nSec-WebSocket-Protocol: oneM2M.json\r\n\r\n`);
      });
      let d = '';
      s.on('data', (c) => (d += c.toString()));
      s.on('close', () => resolve(d));
      s.on('error', reject);
    });
    assert.match(socketAnswer, /^HTTP\/1\.1 400/);
    assert.match(socketAnswer, /Sec-WebSocket-Version/);
  });

  test('permessage-deflate is negotiated when offered and absent when not (TS-0020 6.2.3.6)', async () => {
    const offered = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { perMessageDeflate: true });
    assert.match(offered.ws.extensions, /permessage-deflate/);
    const reg = await offered.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'deflated', api: 'Nd', rr: true, srv: ['3'], lbl: ['x'.repeat(3000)] } } });
    assert.equal(reg.rsc, 2001);
    await offered.close();

    const plain = await WsRegistree.connect(run.wsUrl, 'oneM2M.json', { perMessageDeflate: false });
    assert.equal(plain.ws.extensions, '');
    await plain.close();
  });

  test('with --no-deflate an offered permessage-deflate is refused', async () => {
    const c = await WsRegistree.connect(noDeflate.wsUrl, 'oneM2M.json', { perMessageDeflate: true });
    assert.equal(c.ws.extensions, '');
    await c.close();
  });
});

describe('keepalive', () => {
  let run: Running;
  before(async () => {
    // Long enough that the live peer's pong is never late on a loaded machine (it
    // was 40 ms, and a busy test process then lost the live peer too).
    run = await startBridge({ pingIntervalMs: 1000 });
  });
  after(async () => {
    await run.stop();
  });

  test('a peer that answers pings stays connected; a dead one is dropped', async () => {
    const alive = await WsRegistree.connect(run.wsUrl, 'oneM2M.json');
    const dead = new WebSocket(run.wsUrl, 'oneM2M.json');
    await new Promise((resolve) => dead.once('open', resolve));
    // Stop reading: the peer neither sees pings nor answers them.
    (dead as unknown as { _socket: { pause(): void } })._socket.pause();
    const deadClosed = new Promise((resolve) => dead.once('close', resolve));
    await waitUntil(() => run.bridge.connectionCount() === 1, 20_000, 'dead peer dropped');
    dead.terminate();
    await deadClosed;
    // The live one still works.
    const rsp = await alive.request({ op: 2, to: 'cse-in', fr: 'CAdminX' });
    assert.equal(rsp.rsc, 4103);
    await alive.close();
  });
});
