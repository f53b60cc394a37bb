// Request primitive → HTTP request: method, body, Content-Type, Accept (ref
// B1, B5, B6, B9) and the worked mappings F1-F7.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHttpRequest } from '../../src/http/to-http-request.js';
import { fromHttpResponse } from '../../src/http/from-http-response.js';
import { PrimitiveDecodeError } from '../../src/errors.js';
import type { ContentCodec } from '../../src/primitive/codec.js';
import type { PrimitiveContent, RequestPrimitive } from '../../src/primitive/types.js';
import { json } from './json-content.js';

/** Stand-in for a binary codec: only the media type and Buffer bodies matter here. */
const cbor: ContentCodec = {
  serialization: 'cbor',
  mediaType: 'application/cbor',
  encodeContent: (pc: PrimitiveContent) => Buffer.from(JSON.stringify(pc)),
  decodeContent: (body: Buffer) => JSON.parse(body.toString('utf8')) as PrimitiveContent,
};

const PC: PrimitiveContent = { 'm2m:cnt': { rn: 'c1' } };

/** [op, primitive, method, has body, content-type] — B1 and B6. */
const OPS: ReadonlyArray<readonly [string, RequestPrimitive, string, boolean, string | undefined]> = [
  ['CREATE', { op: 1, to: 'cse-in', rqi: '1', ty: 3, pc: PC }, 'POST', true, 'application/json;ty=3'],
  ['RETRIEVE', { op: 2, to: 'cse-in', rqi: '1' }, 'GET', false, undefined],
  ['UPDATE', { op: 3, to: 'cse-in', rqi: '1', pc: PC }, 'PUT', true, 'application/json'],
  ['DELETE', { op: 4, to: 'cse-in', rqi: '1' }, 'DELETE', false, undefined],
  ['NOTIFY', { op: 5, to: 'cse-in', rqi: '1', pc: { 'm2m:sgn': { vrq: true } } }, 'POST', true, 'application/json'],
];
for (const [name, req, method, hasBody, contentType] of OPS) {
  test(`B1: ${name} (op ${req.op}) → ${method}${hasBody ? ' with body' : ', no body'}, Content-Type ${contentType ?? 'none'}`, () => {
    const out = toHttpRequest(req, json);
    assert.equal(out.method, method);
    assert.equal(out.headers['content-type'], contentType);
    assert.equal('body' in out, hasBody);
    if (hasBody) assert.equal(out.body, JSON.stringify(req.pc));
    assert.equal(out.headers['accept'], 'application/json');
  });
}

test('B6: GET and DELETE carry no body: pc other than m2m:atrl is refused with 4000 naming it, never dropped (issue 15)', () => {
  for (const op of [2, 4]) {
    assert.throws(
      () => toHttpRequest({ op, to: 'cse-in/x', rqi: 'r9', pc: PC }, json),
      (err: Error & { rsc?: number; rqi?: string }) => err.rsc === 4000 && err.rqi === 'r9' && /pc m2m:cnt/.test(err.message),
      `op ${op}`,
    );
    const partial = toHttpRequest({ op, to: 'cse-in/x', rqi: '1', pc: { 'm2m:atrl': ['lbl', 'rn'] } }, json);
    assert.equal(partial.body, undefined);
    assert.equal(partial.headers['content-type'], undefined);
    assert.equal(partial.path, '/cse-in/x?atrl=lbl+rn', `op ${op}`);
  }
});

test('B5/B9 step 6: Content-Type carries ty only for CREATE and nothing else (no charset)', () => {
  for (const ty of [1, 2, 3, 4, 16, 23, 28, 10002]) {
    assert.equal(toHttpRequest({ op: 1, to: 'cse-in', rqi: '1', ty, pc: PC }, json).headers['content-type'], `application/json;ty=${ty}`);
  }
  for (const op of [3, 5]) {
    const ct = toHttpRequest({ op, to: 'cse-in', rqi: '1', pc: PC }, json).headers['content-type'];
    assert.equal(ct, 'application/json', `op ${op}`);
  }
});

test('B9 step 8: ty of a non-CREATE primitive has no HTTP form and is refused with 4000 naming it, as ACME refuses it (gotcha 7, issue 15)', () => {
  for (const op of [2, 3, 4, 5]) {
    assert.throws(
      () => toHttpRequest({ op, to: 'cse-in', rqi: 't8', ty: 3, ...(op === 3 || op === 5 ? { pc: PC } : {}) }, json),
      (err: Error & { rsc?: number; rqi?: string }) => err.rsc === 4000 && err.rqi === 't8' && /\bty\b/.test(err.message),
      `op ${op}`,
    );
  }
});

test('B5/B9 step 7: Accept is the bare media type of the codec, always', () => {
  for (const [op, extra] of [[1, { ty: 2, pc: PC }], [2, {}], [3, { pc: PC }], [4, {}], [5, { pc: PC }]] as const) {
    assert.equal(toHttpRequest({ op, to: 'x', rqi: '1', ...extra }, json).headers['accept'], 'application/json');
    assert.equal(toHttpRequest({ op, to: 'x', rqi: '1', ...extra }, cbor).headers['accept'], 'application/cbor');
  }
});

test('B5: the CBOR codec gives application/cbor;ty=N and a Buffer body', () => {
  const out = toHttpRequest({ op: 1, to: 'cse-in', rqi: '1', ty: 4, pc: { 'm2m:cin': { con: 'x' } } }, cbor);
  assert.equal(out.headers['content-type'], 'application/cbor;ty=4');
  assert.ok(Buffer.isBuffer(out.body));
});

test('B9: UPDATE and NOTIFY without pc send no body and no Content-Type', () => {
  for (const op of [3, 5]) {
    const out = toHttpRequest({ op, to: 'x', rqi: '1' }, json);
    assert.equal(out.body, undefined);
    assert.equal(out.headers['content-type'], undefined);
  }
});

test('gotcha 1: CREATE keeps ty in Content-Type even without pc (empty body), so it cannot turn into a NOTIFY', () => {
  const out = toHttpRequest({ op: 1, to: 'x', rqi: '1', ty: 2 }, json);
  assert.equal(out.headers['content-type'], 'application/json;ty=2');
  assert.equal(out.body, '');
});

test('gotcha 1: CREATE without a valid ty is a PrimitiveDecodeError', () => {
  for (const ty of [undefined, -1, 2.5, Number.NaN]) {
    assert.throws(
      () => toHttpRequest({ op: 1, to: 'x', rqi: 'c1', ty: ty as number, pc: PC }, json),
      (err: unknown) => err instanceof PrimitiveDecodeError && err.rqi === 'c1',
    );
  }
});

test('B1: an op outside 1..5 is a PrimitiveDecodeError carrying the rqi', () => {
  for (const op of [0, 6, -2, 1.5]) {
    assert.throws(() => toHttpRequest({ op, to: 'x', rqi: 'o1' }, json), (err: unknown) => err instanceof PrimitiveDecodeError && err.rqi === 'o1');
  }
});

test('gotcha 19: grtm has no HTTP mapping and is refused with 4000 naming it, not dropped (issue 15)', () => {
  assert.throws(
    () => toHttpRequest({ op: 2, to: 'x', rqi: 'g1', grtm: ['a', 'b'] }, json),
    (err: Error & { rsc?: number; rqi?: string }) => err.rsc === 4000 && err.rqi === 'g1' && /grtm/.test(err.message),
  );
});

// ---- Worked mappings F1-F7 of the reference, reproduced exactly ----

test('F1 AE registration → POST /cse-in, ty=2, origin, RI, RVI, body = pc', () => {
  const req: RequestPrimitive = JSON.parse(
    '{"op":1,"to":"cse-in","fr":"Cmyae","rqi":"1","rvi":"3","ty":2,"pc":{"m2m:ae":{"rn":"myAE","api":"Nmyapp","rr":true,"srv":["3"],"poa":["http://bridge:9000/n"]}}}',
  );
  const out = toHttpRequest(req, json);
  assert.equal(out.method, 'POST');
  assert.equal(out.path, '/cse-in');
  assert.deepEqual(out.headers, {
    'content-type': 'application/json;ty=2',
    'x-m2m-origin': 'Cmyae',
    'x-m2m-ri': '1',
    'x-m2m-rvi': '3',
    'accept': 'application/json',
  });
  assert.equal(out.body, '{"m2m:ae":{"rn":"myAE","api":"Nmyapp","rr":true,"srv":["3"],"poa":["http://bridge:9000/n"]}}');
});

test('F1 response: 201 + X-M2M-RSC 2001 + RI + RVI + Content-Location → {rsc:2001, rqi:"1", rvi:"3", pc}', () => {
  const req: RequestPrimitive = { op: 1, to: 'cse-in', fr: 'Cmyae', rqi: '1', rvi: '3', ty: 2, pc: {} };
  const pc = { 'm2m:ae': { rn: 'myAE', aei: 'Cmyae', ri: 'Cmyae' } };
  const rsp = fromHttpResponse(
    req,
    {
      status: 201,
      headers: { 'x-m2m-rsc': '2001', 'x-m2m-ri': '1', 'x-m2m-rvi': '3', 'content-location': '/id-in/Cmyae', 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(pc)),
    },
    () => json,
  );
  assert.deepEqual(rsp, { rsc: 2001, rqi: '1', rvi: '3', pc });
});

test('F2 create CNT, SP-relative target, rcn 0 → POST /~/id-in/cse-in/myAE?rcn=0, ty=3', () => {
  const req: RequestPrimitive = JSON.parse(
    '{"op":1,"to":"/id-in/cse-in/myAE","fr":"Cmyae","rqi":"2","rvi":"3","ty":3,"rcn":0,"pc":{"m2m:cnt":{"rn":"c1"}}}',
  );
  const out = toHttpRequest(req, json);
  assert.equal(out.method, 'POST');
  assert.equal(out.path, '/~/id-in/cse-in/myAE?rcn=0');
  assert.equal(out.headers['content-type'], 'application/json;ty=3');
  assert.equal(out.headers['x-m2m-origin'], 'Cmyae');
  assert.equal(out.headers['x-m2m-ri'], '2');
  assert.equal(out.body, '{"m2m:cnt":{"rn":"c1"}}');
});

test('F3 discovery → GET /_/sp.example/id-in/cse-in?drt=2&fu=1&ty=3&ty=4&lbl=room1&lim=20', () => {
  const req: RequestPrimitive = JSON.parse(
    '{"op":2,"to":"//sp.example/id-in/cse-in","fr":"Cmyae","rqi":"3","rvi":"3","drt":2,"fc":{"fu":1,"ty":[3,4],"lbl":["room1"],"lim":20}}',
  );
  const out = toHttpRequest(req, json);
  assert.equal(out.method, 'GET');
  assert.equal(out.path, '/_/sp.example/id-in/cse-in?drt=2&fu=1&ty=3&ty=4&lbl=room1&lim=20');
  assert.equal(out.body, undefined);
  assert.equal(out.headers['content-type'], undefined);
});

test('F4 partial retrieve → GET /cse-in/myAE?atrl=lbl+poa, no body', () => {
  const req: RequestPrimitive = JSON.parse('{"op":2,"to":"cse-in/myAE","fr":"Cmyae","rqi":"4","rvi":"3","pc":{"m2m:atrl":["lbl","poa"]}}');
  const out = toHttpRequest(req, json);
  assert.equal(out.method, 'GET');
  assert.equal(out.path, '/cse-in/myAE?atrl=lbl+poa');
  assert.equal(out.body, undefined);
  assert.equal(out.headers['content-type'], undefined);
});

test('F5 update with attribute deletion → PUT /cse-in/myAE/c1, Content-Type application/json, body {"m2m:cnt":{"lbl":null}}', () => {
  const req: RequestPrimitive = JSON.parse('{"op":3,"to":"cse-in/myAE/c1","fr":"Cmyae","rqi":"5","rvi":"3","pc":{"m2m:cnt":{"lbl":null}}}');
  const out = toHttpRequest(req, json);
  assert.equal(out.method, 'PUT');
  assert.equal(out.path, '/cse-in/myAE/c1');
  assert.equal(out.headers['content-type'], 'application/json');
  assert.equal(out.body, '{"m2m:cnt":{"lbl":null}}');
});

test('F6 delete, non-blocking async → DELETE /cse-in/myAE/c1?rt=2 + X-M2M-RTU: Cmyae; answer 202/1002 with m2m:uri', () => {
  const req: RequestPrimitive = JSON.parse('{"op":4,"to":"cse-in/myAE/c1","fr":"Cmyae","rqi":"6","rvi":"3","rt":{"rtv":2,"nu":["Cmyae"]}}');
  const out = toHttpRequest(req, json);
  assert.equal(out.method, 'DELETE');
  assert.equal(out.path, '/cse-in/myAE/c1?rt=2');
  assert.equal(out.headers['x-m2m-rtu'], 'Cmyae');
  assert.equal(out.body, undefined);
  const rsp = fromHttpResponse(
    req,
    { status: 202, headers: { 'x-m2m-rsc': '1002', 'x-m2m-ri': '6', 'content-type': 'application/json' }, body: Buffer.from('{"m2m:uri":"cse-in/req123"}') },
    () => json,
  );
  assert.deepEqual(rsp, { rsc: 1002, rqi: '6', rvi: '3', pc: { 'm2m:uri': 'cse-in/req123' } });
});

test('F7 with expiry → X-M2M-RET: 20300101T000000, X-M2M-OT: 20240101T000000, X-M2M-EC: 2', () => {
  const req: RequestPrimitive = JSON.parse(
    '{"op":2,"to":"cse-in/myAE","fr":"Cmyae","rqi":"7","rvi":"3","rqet":"20300101T000000","ot":"20240101T000000","ec":2}',
  );
  const out = toHttpRequest(req, json);
  assert.equal(out.headers['x-m2m-ret'], '20300101T000000');
  assert.equal(out.headers['x-m2m-ot'], '20240101T000000');
  assert.equal(out.headers['x-m2m-ec'], '2');
});

test('B9 step 4: a primitive without rqi, or with an rt lacking rtv, is a PrimitiveDecodeError', () => {
  assert.throws(() => toHttpRequest({ op: 2, to: 'x', rqi: '' }, json), PrimitiveDecodeError);
  assert.throws(() => toHttpRequest({ op: 2, to: 'x' } as RequestPrimitive, json), PrimitiveDecodeError);
  assert.throws(() => toHttpRequest({ op: 2, to: 'x', rqi: '1', rt: {} as never }, json), PrimitiveDecodeError);
});
