// Logs (issue 4): one line per connection open/bind/close with registree,
// subprotocol and remote address; never the payload at info level.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { createBridge } from '../../src/bridge/bridge.js';
import { startFakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';
import { WsRegistree } from '../support/ws-registree.js';

test('connection lines name registree, subprotocol and remote address, and no payload is logged at info', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.length > 0) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const cse = await startFakeCse();
  const bridge = createBridge(testConfig(cse.url, { logLevel: 'info' }), { logger: pino({ level: 'info' }, sink) });
  const at = await bridge.start();
  try {
    const ae = await WsRegistree.connect(`ws://127.0.0.1:${at.public.port}/`, 'oneM2M.cbor');
    const reg = await ae.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'logged', api: 'Nlog', rr: true, srv: ['3'], lbl: ['SECRET-PAYLOAD'] } } });
    assert.equal(reg.rsc, 2001);
    await ae.request({ op: 1, to: 'cse-in/logged', ty: 3, pc: { 'm2m:cnt': { rn: 'SECRET-PAYLOAD-2' } } });
    ae.send(Buffer.from([0xff])); // malformed: an error line
    await ae.close();
    await waitUntil(() => lines.some((l) => l.msg === 'connection closed'), 2000, 'close line');

    const byMsg = (m: string) => lines.find((l) => l.msg === m);
    const open = byMsg('connection open');
    assert.equal(open?.subprotocol, 'oneM2M.cbor');
    assert.equal(open?.remote, '127.0.0.1');
    const bound = byMsg('connection bound');
    assert.match(String(bound?.registree), /^C/);
    assert.equal(bound?.subprotocol, 'oneM2M.cbor');
    assert.equal(bound?.remote, '127.0.0.1');
    const closed = byMsg('connection closed');
    assert.equal(closed?.registree, bound?.registree);
    assert.equal(closed?.subprotocol, 'oneM2M.cbor');
    assert.ok(byMsg('malformed primitive answered with 4000'));
    for (const l of lines) assert.ok(!JSON.stringify(l).includes('SECRET-PAYLOAD'), `payload in log: ${JSON.stringify(l)}`);
  } finally {
    await bridge.stop();
    await cse.close();
  }
});
