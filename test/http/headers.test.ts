// Every header of reference B3, both directions (TS-0009 6.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHttpRequest } from '../../src/http/to-http-request.js';
import { fromHttpRequest } from '../../src/http/from-http-request.js';
import { toHttpResponse } from '../../src/http/to-http-response.js';
import { fromHttpResponse } from '../../src/http/from-http-response.js';
import { PrimitiveDecodeError } from '../../src/errors.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';
import { json } from './json-content.js';

const contentFor = () => json;

const BASE: RequestPrimitive = { op: 2, to: 'cse-in', rqi: 'h1' };

/**
 * Request headers of B3: [what, primitive members, header name, header value].
 * The members are merged into BASE; the header must appear exactly, and
 * parsing the HTTP request must give the members back.
 */
const REQUEST_HEADERS: ReadonlyArray<readonly [string, Partial<RequestPrimitive>, string, string]> = [
  ['fr → X-M2M-Origin', { fr: 'Cmyae' }, 'x-m2m-origin', 'Cmyae'],
  ['SP-relative fr → X-M2M-Origin', { fr: '/id-in' }, 'x-m2m-origin', '/id-in'],
  ['rqi → X-M2M-RI', { rqi: 'req-0001' }, 'x-m2m-ri', 'req-0001'],
  ['rvi → X-M2M-RVI', { rvi: '3' }, 'x-m2m-rvi', '3'],
  ['rvi 2a → X-M2M-RVI', { rvi: '2a' }, 'x-m2m-rvi', '2a'],
  ['ot → X-M2M-OT', { ot: '20240101T000000' }, 'x-m2m-ot', '20240101T000000'],
  ['absolute rqet → X-M2M-RET', { rqet: '20300101T000000' }, 'x-m2m-ret', '20300101T000000'],
  ['relative rqet → X-M2M-RET', { rqet: 3600000 }, 'x-m2m-ret', '3600000'],
  ['absolute rset → X-M2M-RST', { rset: '20300101T000000,500000' }, 'x-m2m-rst', '20300101T000000,500000'],
  ['relative rset → X-M2M-RST', { rset: 10000 }, 'x-m2m-rst', '10000'],
  ['absolute oet → X-M2M-OET', { oet: '20290101T000000' }, 'x-m2m-oet', '20290101T000000'],
  ['relative oet → X-M2M-OET', { oet: 500 }, 'x-m2m-oet', '500'],
  ['duration rqet (ACME) → X-M2M-RET', { rqet: 'PT2S' }, 'x-m2m-ret', 'PT2S'],
  ['ec → X-M2M-EC', { ec: 2 }, 'x-m2m-ec', '2'],
  ['user-defined ec → X-M2M-EC', { ec: 100 }, 'x-m2m-ec', '100'],
  ['gid → X-M2M-GID', { gid: 'grp-req-1' }, 'x-m2m-gid', 'grp-req-1'],
  ['rt.nu → X-M2M-RTU (one)', { rt: { rtv: 2, nu: ['/id-in/Cmyae'] } }, 'x-m2m-rtu', '/id-in/Cmyae'],
  ['rt.nu → X-M2M-RTU joined with &', { rt: { rtv: 2, nu: ['/id-in/Cmyae', 'http://x.example/n'] } }, 'x-m2m-rtu', '/id-in/Cmyae&http://x.example/n'],
  ['vsi → X-M2M-VSI', { vsi: 'vendor-x:1' }, 'x-m2m-vsi', 'vendor-x:1'],
  ['aus → X-M2M-AS (one)', { aus: ['c2lnMQ'] }, 'x-m2m-as', 'c2lnMQ'],
  ['aus → X-M2M-AS joined with +', { aus: ['c2lnMQ', 'c2lnMg'] }, 'x-m2m-as', 'c2lnMQ+c2lnMg'],
  ['tkns → Authorization (one, no scheme word)', { tkns: ['eyJh.eyJi.c2ln'] }, 'authorization', 'eyJh.eyJi.c2ln'],
  ['tkns → Authorization joined with +', { tkns: ['eyJh.eyJi.c2ln', 'eyJj.eyJk.c2lo'] }, 'authorization', 'eyJh.eyJi.c2ln+eyJj.eyJk.c2lo'],
];

for (const [what, members, name, value] of REQUEST_HEADERS) {
  const primitive: RequestPrimitive = { ...BASE, ...members };
  test(`B3 request primitive → HTTP: ${what}`, () => {
    assert.equal(toHttpRequest(primitive, json).headers[name], value);
  });
  test(`B3 HTTP request → primitive: ${what.replace('→', '←')}`, () => {
    const out = toHttpRequest(primitive, json);
    const back = fromHttpRequest({ method: out.method, path: out.path, headers: out.headers, body: undefined }, 'x', contentFor);
    for (const [k, v] of Object.entries(members)) assert.deepEqual(back[k as keyof RequestPrimitive], v, k);
  });
}

test('B3: ty travels in Content-Type ;ty= for CREATE and comes back from it', () => {
  const out = toHttpRequest({ ...BASE, op: 1, ty: 3, pc: { 'm2m:cnt': {} } }, json);
  assert.equal(out.headers['content-type'], 'application/json;ty=3');
  const back = fromHttpRequest({ method: 'POST', path: out.path, headers: out.headers, body: Buffer.from(String(out.body)) }, 'x', contentFor);
  assert.equal(back.op, 1);
  assert.equal(back.ty, 3);
});

test('B3: without fr no X-M2M-Origin at all (AE CREATE); an empty fr is left out too', () => {
  assert.equal('x-m2m-origin' in toHttpRequest(BASE, json).headers, false);
  assert.equal('x-m2m-origin' in toHttpRequest({ ...BASE, fr: '' }, json).headers, false);
});

test('B3: a minimal request carries only accept and X-M2M-RI', () => {
  assert.deepEqual(toHttpRequest(BASE, json).headers, { 'accept': 'application/json', 'x-m2m-ri': 'h1' });
});

test('B3: all header names are lower-case', () => {
  const all: RequestPrimitive = Object.assign({ ...BASE }, ...REQUEST_HEADERS.map(([, m]) => m));
  const { headers } = toHttpRequest(all, json);
  for (const name of Object.keys(headers)) assert.equal(name, name.toLowerCase());
  assert.equal(Object.keys(headers).length, 14); // accept + 13 of B9 step 4
});

test('B3: empty rt.nu, aus and tkns lists send no header', () => {
  const { headers } = toHttpRequest({ ...BASE, rt: { rtv: 2, nu: [] }, aus: [], tkns: [] }, json);
  assert.equal(headers['x-m2m-rtu'], undefined);
  assert.equal(headers['x-m2m-as'], undefined);
  assert.equal(headers['authorization'], undefined);
});

test('B3: a header value with CR/LF is refused (PrimitiveDecodeError), never sent', () => {
  assert.throws(() => toHttpRequest({ ...BASE, fr: 'C\r\nX-Evil: 1' }, json), PrimitiveDecodeError);
  assert.throws(() => toHttpRequest({ ...BASE, vsi: 'a\nb' }, json), PrimitiveDecodeError);
  assert.throws(() => toHttpRequest({ ...BASE, fr: 'C\u20ac' }, json), PrimitiveDecodeError);
});

test('B3/gotcha 20: Authorization with a Basic or Bearer scheme word is HTTP auth, not tkns', () => {
  for (const auth of ['Basic dXNlcjpwYXNz', 'Bearer abc.def.ghi', 'bearer  x', 'Digest username="a"']) {
    const back = fromHttpRequest({ method: 'GET', path: '/x', headers: { 'x-m2m-ri': '1', authorization: auth }, body: undefined }, 'x', contentFor);
    assert.equal(back.tkns, undefined, auth);
  }
});

test('B3: X-M2M-RTU without rt in the query is ignored (nu needs an rtv, ref A7)', () => {
  const back = fromHttpRequest({ method: 'GET', path: '/x', headers: { 'x-m2m-ri': '1', 'x-m2m-rtu': '/id-in/C' }, body: undefined }, 'x', contentFor);
  assert.equal(back.rt, undefined);
});

test('B3: header values given as arrays use the first one', () => {
  const back = fromHttpRequest({ method: 'GET', path: '/x', headers: { 'x-m2m-ri': ['a', 'b'], 'x-m2m-origin': ['Cone', 'Ctwo'] }, body: undefined }, 'x', contentFor);
  assert.equal(back.rqi, 'a');
  assert.equal(back.fr, 'Cone');
});

test('B3: a missing X-M2M-RI on the way in is a PrimitiveDecodeError', () => {
  assert.throws(
    () => fromHttpRequest({ method: 'POST', path: '/x', headers: {}, body: undefined }, 'x', contentFor),
    (err: unknown) => err instanceof PrimitiveDecodeError && err.rqi === undefined,
  );
  assert.throws(() => fromHttpRequest({ method: 'POST', path: '/x', headers: { 'x-m2m-ri': '' }, body: undefined }, 'x', contentFor), PrimitiveDecodeError);
});

test('B3: a non-integer X-M2M-EC on the way in is a PrimitiveDecodeError with the rqi', () => {
  assert.throws(
    () => fromHttpRequest({ method: 'POST', path: '/x', headers: { 'x-m2m-ri': 'e1', 'x-m2m-ec': 'soon' }, body: undefined }, 'x', contentFor),
    (err: unknown) => err instanceof PrimitiveDecodeError && err.rqi === 'e1',
  );
});

/**
 * Response headers of B3: [what, response members, header name, header value].
 * toHttpResponse must write the header, fromHttpResponse must read it back.
 */
const RESPONSE_HEADERS: ReadonlyArray<readonly [string, Partial<ResponsePrimitive>, string, string]> = [
  ['rsc → X-M2M-RSC', { rsc: 2004 }, 'x-m2m-rsc', '2004'],
  ['fr → X-M2M-Origin', { fr: 'Cmyae' }, 'x-m2m-origin', 'Cmyae'],
  ['rvi → X-M2M-RVI', { rvi: '3' }, 'x-m2m-rvi', '3'],
  ['ot → X-M2M-OT', { ot: '20240101T000000' }, 'x-m2m-ot', '20240101T000000'],
  ['absolute rset → X-M2M-RST', { rset: '20300101T000000' }, 'x-m2m-rst', '20300101T000000'],
  ['relative rset → X-M2M-RST', { rset: 60000 }, 'x-m2m-rst', '60000'],
  ['ec → X-M2M-EC', { ec: 3 }, 'x-m2m-ec', '3'],
  ['vsi → X-M2M-VSI', { vsi: 'vendor' }, 'x-m2m-vsi', 'vendor'],
  ['cnst → X-M2M-CTS', { cnst: 1 }, 'x-m2m-cts', '1'],
  ['cnot → X-M2M-CTO', { cnot: 42 }, 'x-m2m-cto', '42'],
  ['ati → X-M2M-ATI (one)', { ati: { ltia: [{ lti: 'l1', tkid: 't1' }] } }, 'x-m2m-ati', 'l1:t1'],
  ['ati → X-M2M-ATI joined with +', { ati: { ltia: [{ lti: 'l1', tkid: 't1' }, { lti: 'l2', tkid: 'CAE:t2' }] } }, 'x-m2m-ati', 'l1:t1+l2:CAE:t2'],
  ['asri true → X-M2M-ASRI', { asri: true }, 'x-m2m-asri', 'true'],
  ['asri false → X-M2M-ASRI', { asri: false }, 'x-m2m-asri', 'false'],
];

const REQUEST: RequestPrimitive = { op: 2, to: 'cse-in', fr: 'CAdmin', rqi: 'resp-1', rvi: '3' };
for (const [what, members, name, value] of RESPONSE_HEADERS) {
  const rsp: ResponsePrimitive = { rsc: 2000, rqi: 'resp-1', ...members };
  test(`B3 response primitive → HTTP: ${what}`, () => {
    assert.equal(toHttpResponse(rsp, json, 'resp-1').headers[name], value);
  });
  test(`B3 HTTP response → primitive: ${what.replace('→', '←')}`, () => {
    const out = toHttpResponse(rsp, json, 'resp-1');
    const back = fromHttpResponse(REQUEST, { status: out.status, headers: out.headers, body: undefined }, contentFor);
    assert.ok(back);
    for (const [k, v] of Object.entries(members)) assert.deepEqual(back[k as keyof ResponsePrimitive], v, k);
  });
}

test('B3: X-M2M-RI of a response is the request RI exactly, whatever rqi the registree answered with (gotcha 5)', () => {
  const out = toHttpResponse({ rsc: 2000, rqi: 'ws-leg-77' }, json, 'cse-RI-1');
  assert.equal(out.headers['x-m2m-ri'], 'cse-RI-1');
});
