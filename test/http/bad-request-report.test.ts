// Issue 17.1: applyDoorLimits reports what the HTTP parser refused to the
// door's onBadRequest, and only that: a connection the peer reset is no bad
// request (Node emits clientError with ECONNRESET for it) and is not reported.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { test } from 'node:test';
import { applyDoorLimits } from '../../src/http/door-limits.js';
import type { BadHttpRequest } from '../../src/http/door-limits.js';

test('a parser error is reported with door, peer and reason; a reset connection is not', async () => {
  const reports: BadHttpRequest[] = [];
  const server = createServer((_req, res) => res.end());
  applyDoorLimits(server, { headTimeoutMs: 5000, bodyTimeoutMs: 5000, door: 'downlink', onBadRequest: (r) => reports.push(r) });
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => undefined);
  try {
    const socket = await accepted;
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    server.emit('clientError', reset, socket);
    assert.equal(reports.length, 0, 'a reset is not a bad request');
    const parse = Object.assign(new Error('Parse Error: Invalid method encountered'), { code: 'HPE_INVALID_METHOD', reason: 'Invalid method encountered' });
    server.emit('clientError', parse, socket);
    assert.equal(reports.length, 1);
    assert.equal(reports[0].door, 'downlink');
    assert.equal(reports[0].remote, '127.0.0.1');
    assert.equal(reports[0].status, 400);
    assert.equal(reports[0].code, 'HPE_INVALID_METHOD');
    assert.equal(reports[0].reason, 'Invalid method encountered');
    assert.equal(reports[0].hint, undefined, 'the first bytes of a connection follow no request');
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
