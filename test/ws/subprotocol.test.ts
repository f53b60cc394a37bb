import assert from 'node:assert/strict';
import { test } from 'node:test';
import { negotiateSubprotocol } from '../../src/ws/subprotocol.js';

test('every TS-0020 subprotocol name and its R2.0 alias maps to its serialization', () => {
  const table: Array<[string, string]> = [
    ['oneM2M.json', 'json'], ['oneM2M.xml', 'xml'], ['oneM2M.cbor', 'cbor'],
    ['oneM2M.R2.0.json', 'json'], ['oneM2M.R2.0.xml', 'xml'], ['oneM2M.R2.0.cbor', 'cbor'],
  ];
  for (const [token, serialization] of table) {
    assert.deepEqual(negotiateSubprotocol(token), { ok: true, token, serialization });
  }
});

test('names match case-insensitively and the exact offered token is echoed', () => {
  assert.deepEqual(negotiateSubprotocol('onem2m.r2.0.CBOR'), { ok: true, token: 'onem2m.r2.0.CBOR', serialization: 'cbor' });
  assert.deepEqual(negotiateSubprotocol('ONEM2M.JSON'), { ok: true, token: 'ONEM2M.JSON', serialization: 'json' });
});

test("the client's order is its preference, skipping names the bridge does not support", () => {
  assert.deepEqual(negotiateSubprotocol('mqtt, oneM2M.xml, oneM2M.json'), { ok: true, token: 'oneM2M.xml', serialization: 'xml' });
  assert.deepEqual(negotiateSubprotocol('oneM2M.json,oneM2M.xml'), { ok: true, token: 'oneM2M.json', serialization: 'json' });
});

test('repeated Sec-WebSocket-Protocol headers keep their order (TS-0020 6.2.2.7)', () => {
  assert.deepEqual(negotiateSubprotocol(['oneM2M.cbor', 'oneM2M.json']), { ok: true, token: 'oneM2M.cbor', serialization: 'cbor' });
});

test('no supported or no offered subprotocol is refused with a reason naming the supported ones', () => {
  for (const header of [undefined, '', 'mqtt, chat', ' , ']) {
    const n = negotiateSubprotocol(header);
    assert.equal(n.ok, false);
    if (!n.ok) assert.match(n.reason, /oneM2M\.json/);
  }
});
