// HTTP request from the CSE → request primitive (reference B11, downlink door).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHttpRequest } from '../../src/http/from-http-request.js';
import { toHttpResponse } from '../../src/http/to-http-response.js';
import { BridgeError, PrimitiveDecodeError } from '../../src/errors.js';
import { json, onlyJson } from './json-content.js';

const BODY = Buffer.from('{"m2m:cnt":{"rn":"c1"}}');

/** [method, Content-Type, expected op, expected ty] — ref B1. */
const METHODS: ReadonlyArray<readonly [string, string | undefined, number, number | undefined]> = [
  ['POST', 'application/json;ty=3', 1, 3],
  ['POST', 'application/json; ty=2', 1, 2],
  ['POST', 'application/vnd.onem2m-res+json;ty=4', 1, 4],
  ['POST', 'application/json', 5, undefined],
  ['POST', 'application/vnd.onem2m-ntfy+json', 5, undefined],
  ['POST', 'application/json;charset=utf-8', 5, undefined],
  ['post', 'application/json', 5, undefined],
  ['GET', undefined, 2, undefined],
  ['PUT', 'application/json', 3, undefined],
  ['PUT', 'application/json;ty=3', 3, undefined],
  ['DELETE', undefined, 4, undefined],
  ['delete', undefined, 4, undefined],
];
for (const [method, contentType, op, ty] of METHODS) {
  test(`B1: ${method} with Content-Type ${contentType ?? 'none'} → op ${op}${ty === undefined ? ', no ty' : `, ty ${ty}`}`, () => {
    const headers: Record<string, string> = { 'x-m2m-ri': 'm1' };
    if (contentType !== undefined) headers['content-type'] = contentType;
    const body = method.toUpperCase() === 'POST' || method.toUpperCase() === 'PUT' ? BODY : undefined;
    const req = fromHttpRequest({ method, path: '/cse-in', headers, body }, 'x', onlyJson);
    assert.equal(req.op, op);
    assert.equal(req.ty, ty);
    if (body !== undefined) assert.deepEqual(req.pc, { 'm2m:cnt': { rn: 'c1' } });
  });
}

for (const method of ['PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE']) {
  test(`B1: ${method} has no operation → PrimitiveDecodeError with the rqi`, () => {
    assert.throws(
      () => fromHttpRequest({ method, path: '/x', headers: { 'x-m2m-ri': 'm2' }, body: undefined }, 'x', onlyJson),
      (err: unknown) => err instanceof PrimitiveDecodeError && err.rqi === 'm2',
    );
  });
}

test('B5: POST with ty that is not an integer is a PrimitiveDecodeError (ACME: 4000)', () => {
  assert.throws(
    () => fromHttpRequest({ method: 'POST', path: '/x', headers: { 'x-m2m-ri': '1', 'content-type': 'application/json;ty=ae' }, body: BODY }, 'x', onlyJson),
    PrimitiveDecodeError,
  );
});

test('B5: a body in an unknown media type is BridgeError 4015 UNSUPPORTED_MEDIA_TYPE', () => {
  assert.throws(
    () => fromHttpRequest({ method: 'POST', path: '/x', headers: { 'x-m2m-ri': '1', 'content-type': 'text/plain' }, body: BODY }, 'x', onlyJson),
    (err: unknown) => err instanceof BridgeError && err.rsc === 4015,
  );
});

test('B5: a body in a known serialization without codec is BridgeError 4015', () => {
  assert.throws(
    () => fromHttpRequest({ method: 'POST', path: '/x', headers: { 'x-m2m-ri': '1', 'content-type': 'application/cbor' }, body: BODY }, 'x', onlyJson),
    (err: unknown) => err instanceof BridgeError && err.rsc === 4015,
  );
});

test('B5: a body without Content-Type is BridgeError 4015', () => {
  assert.throws(
    () => fromHttpRequest({ method: 'POST', path: '/x', headers: { 'x-m2m-ri': '1' }, body: BODY }, 'x', onlyJson),
    (err: unknown) => err instanceof BridgeError && err.rsc === 4015,
  );
});

test('B6: an undecodable body is a PrimitiveDecodeError carrying the rqi', () => {
  assert.throws(
    () => fromHttpRequest({ method: 'POST', path: '/x', headers: { 'x-m2m-ri': 'b1', 'content-type': 'application/json' }, body: Buffer.from('{nope') }, 'x', onlyJson),
    (err: unknown) => err instanceof PrimitiveDecodeError && err.rqi === 'b1',
  );
});

test('B6: an empty body gives no pc; a GET or DELETE body is carried as pc, never dropped (issue 15)', () => {
  const empty = fromHttpRequest({ method: 'POST', path: '/x', headers: { 'x-m2m-ri': '1', 'content-type': 'application/json' }, body: Buffer.alloc(0) }, 'x', onlyJson);
  assert.equal(empty.pc, undefined);
  for (const method of ['GET', 'DELETE']) {
    const r = fromHttpRequest({ method, path: '/x', headers: { 'x-m2m-ri': '1', 'content-type': 'application/json' }, body: Buffer.from('{"m2m:cnt":{"lbl":["a"]}}') }, 'x', onlyJson);
    assert.deepEqual(r.pc, { 'm2m:cnt': { lbl: ['a'] } }, method);
    assert.throws(
      () => fromHttpRequest({ method, path: '/x', headers: { 'x-m2m-ri': '1', 'content-type': 'text/plain' }, body: Buffer.from('junk') }, 'x', onlyJson),
      (err: Error & { rsc?: number }) => err.rsc === 4015,
      method,
    );
  }
});

test('B11: a minimal NOTIFY gives exactly op, to, rqi and pc', () => {
  const req = fromHttpRequest(
    { method: 'POST', path: '', headers: { 'x-m2m-ri': 'n1', 'content-type': 'application/json' }, body: Buffer.from('{"m2m:sgn":{"vrq":true}}') },
    'Cmyae',
    onlyJson,
  );
  assert.deepEqual(req, { op: 5, to: 'Cmyae', rqi: 'n1', pc: { 'm2m:sgn': { vrq: true } } });
});

test('D4 end to end: ACME NOTIFY POST /n/Cmyae → WS request primitive → WS answer → HTTP 200', () => {
  const sgn = '{"m2m:sgn":{"nev":{"net":3,"rep":{"m2m:cin":{"rn":"cin_1","ty":4,"con":"21"}}},"sur":"/id-in/sub123"}}';
  // the downlink server stripped the poa path "/n" (here: /r/<key>), leaving "/Cmyae"
  const req = fromHttpRequest(
    {
      method: 'POST',
      path: '/Cmyae',
      headers: {
        'content-type': 'application/json',
        'x-m2m-origin': '/id-in',
        'x-m2m-ri': '4711',
        'x-m2m-rvi': '5',
        'x-m2m-ot': '20240101T120000,123456',
      },
      body: Buffer.from(sgn),
    },
    'Cother',
    onlyJson,
  );
  assert.deepEqual(req, {
    op: 5,
    to: 'Cmyae',
    fr: '/id-in',
    rqi: '4711',
    rvi: '5',
    ot: '20240101T120000,123456',
    pc: JSON.parse(sgn),
  });
  const http = toHttpResponse({ rsc: 2000, rqi: '4711', rvi: '5' }, json, '4711');
  assert.equal(http.status, 200);
  assert.equal(http.body, undefined);
  assert.equal(http.headers['x-m2m-rsc'], '2000');
  assert.equal(http.headers['x-m2m-ri'], '4711');
  assert.equal(http.headers['x-m2m-rvi'], '5');
  assert.match(http.headers['x-m2m-ot']!, /^\d{8}T\d{6},\d{6}$/);
  assert.equal(http.headers['content-type'], undefined);
  assert.deepEqual(Object.keys(http.headers).sort(), ['x-m2m-ot', 'x-m2m-ri', 'x-m2m-rsc', 'x-m2m-rvi']);
});

test('B11: every header and query parameter at once', () => {
  const req = fromHttpRequest(
    {
      method: 'GET',
      path: '/~/id-in/cse-in/myAE?rcn=4&rt=2&rp=PT1H&da=true&drt=2&sqi=false&rids=r1+r2&tids=t1&ltids=l1&tqi=0&asi=1&auri=true&ma=PT5S&fu=1&ty=3+4&lbl=a&cr=Sam&c.lbl=x&p.rn=y',
      headers: {
        'x-m2m-ri': 'all',
        'x-m2m-origin': 'CAdmin',
        'x-m2m-rvi': '3',
        'x-m2m-ot': '20240101T000000',
        'x-m2m-ret': '20300101T000000',
        'x-m2m-rst': '60000',
        'x-m2m-oet': 'PT1S',
        'x-m2m-ec': '3',
        'x-m2m-gid': 'g1',
        'x-m2m-rtu': '/id-in/Cmyae&http://n.example/x',
        'x-m2m-vsi': 'v',
        'x-m2m-as': 's1+s2',
        authorization: 't.o.k+t.o.l',
      },
      body: undefined,
    },
    'x',
    onlyJson,
  );
  assert.deepEqual(req, {
    op: 2,
    to: '/id-in/cse-in/myAE',
    rqi: 'all',
    fr: 'CAdmin',
    rvi: '3',
    ot: '20240101T000000',
    rqet: '20300101T000000',
    rset: 60000,
    oet: 'PT1S',
    ec: 3,
    gid: 'g1',
    vsi: 'v',
    aus: ['s1', 's2'],
    tkns: ['t.o.k', 't.o.l'],
    rcn: 4,
    rt: { rtv: 2, nu: ['/id-in/Cmyae', 'http://n.example/x'] },
    rp: 'PT1H',
    da: true,
    drt: 2,
    sqi: false,
    rids: ['r1', 'r2'],
    tids: ['t1'],
    ltids: ['l1'],
    tqi: false,
    asi: true,
    auri: true,
    ma: 'PT5S',
    fc: { fu: 1, ty: [3, 4], lbl: ['a'], atr: [{ nm: 'cr', val: 'Sam' }], catr: [{ nm: 'lbl', val: 'x' }], patr: [{ nm: 'rn', val: 'y' }] },
  });
});
