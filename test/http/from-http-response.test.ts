// HTTP response from the CSE → response primitive (reference B10, B8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHttpResponse, parseAti } from '../../src/http/from-http-response.js';
import { PrimitiveDecodeError } from '../../src/errors.js';
import type { RequestPrimitive } from '../../src/primitive/types.js';
import { json, onlyJson } from './json-content.js';


const REQ: RequestPrimitive = { op: 2, to: 'cse-in/myAE', fr: 'Cmyae', rqi: 'r-1', rvi: '3' };

function res(status: number, headers: Record<string, string | string[] | undefined> = {}, body?: string) {
  return { status, headers, body: body === undefined ? undefined : Buffer.from(body) };
}

test('B10: rsc from X-M2M-RSC wins over the HTTP status', () => {
  assert.equal(fromHttpResponse(REQ, res(200, { 'x-m2m-rsc': '2002' }), onlyJson)?.rsc, 2002);
  assert.equal(fromHttpResponse(REQ, res(404, { 'x-m2m-rsc': '5103' }), onlyJson)?.rsc, 5103);
  assert.equal(fromHttpResponse(REQ, res(204, { 'x-m2m-rsc': '2000' }), onlyJson)?.rsc, 2000);
  assert.equal(fromHttpResponse(REQ, res(200, { 'x-m2m-rsc': ' 2004 ' }), onlyJson)?.rsc, 2004);
});

test('B10: an rsc the bridge does not know is forwarded as it is (B7 notes)', () => {
  assert.equal(fromHttpResponse(REQ, res(400, { 'x-m2m-rsc': '4199' }), onlyJson)?.rsc, 4199);
});

test('B8: without X-M2M-RSC the rsc comes from the HTTP status and the op', () => {
  const table: ReadonlyArray<readonly [number, number, number]> = [
    [200, 1, 2001], [200, 2, 2000], [200, 3, 2004], [200, 4, 2002], [200, 5, 2000],
    [201, 1, 2001], [202, 2, 1000], [400, 2, 4000], [401, 2, 4103], [403, 2, 4103], [404, 2, 4004],
    [405, 2, 4005], [406, 2, 5207], [408, 2, 4008], [409, 1, 4105], [415, 1, 4015], [500, 2, 5000],
    [501, 2, 5001], [502, 2, 5000], [504, 2, 4008],
  ];
  for (const [status, op, rsc] of table) {
    assert.equal(fromHttpResponse({ ...REQ, op }, res(status), onlyJson)?.rsc, rsc, `${status} op ${op}`);
  }
});

test('B8: an unreadable X-M2M-RSC falls back to the HTTP status', () => {
  assert.equal(fromHttpResponse(REQ, res(404, { 'x-m2m-rsc': 'nope' }), onlyJson)?.rsc, 4004);
  assert.equal(fromHttpResponse(REQ, res(200, { 'x-m2m-rsc': '' }), onlyJson)?.rsc, 2000);
});

test('B8/A7: 204 without X-M2M-RSC for rt=5 (noResponse) → null: send nothing', () => {
  assert.equal(fromHttpResponse({ ...REQ, rt: { rtv: 5 } }, res(204), onlyJson), null);
});

test('B8: 204 without X-M2M-RSC for any other request is still a success: 200-row code of its op', () => {
  for (const [op, rsc] of [[1, 2001], [2, 2000], [3, 2004], [4, 2002], [5, 2000]] as const) {
    assert.equal(fromHttpResponse({ ...REQ, op }, res(204), onlyJson)?.rsc, rsc);
  }
  assert.equal(fromHttpResponse({ ...REQ, rt: { rtv: 3 } }, res(204), onlyJson)?.rsc, 2000);
});

test('B10: rqi from X-M2M-RI, else the request rqi', () => {
  assert.equal(fromHttpResponse(REQ, res(200, { 'x-m2m-ri': 'other' }), onlyJson)?.rqi, 'other');
  assert.equal(fromHttpResponse(REQ, res(200), onlyJson)?.rqi, 'r-1');
});

test('B10: rvi from X-M2M-RVI, else the request rvi, else none', () => {
  assert.equal(fromHttpResponse(REQ, res(200, { 'x-m2m-rvi': '5' }), onlyJson)?.rvi, '5');
  assert.equal(fromHttpResponse(REQ, res(200), onlyJson)?.rvi, '3');
  const { rvi: _drop, ...noRvi } = REQ;
  assert.equal('rvi' in (fromHttpResponse(noRvi, res(200), onlyJson) ?? {}), false);
});

test('B10: a bare 200 without headers or body is exactly {rsc, rqi, rvi}', () => {
  assert.deepEqual(fromHttpResponse(REQ, res(200), onlyJson), { rsc: 2000, rqi: 'r-1', rvi: '3' });
});

test('B10: every optional header at once', () => {
  const rsp = fromHttpResponse(
    REQ,
    res(200, {
      'x-m2m-rsc': '2000',
      'x-m2m-ri': 'r-1',
      'x-m2m-rvi': '3',
      'x-m2m-origin': '/id-in',
      'x-m2m-ot': '20240101T120000,123456',
      'x-m2m-rst': '20300101T000000',
      'x-m2m-ec': '4',
      'x-m2m-vsi': 'acme',
      'x-m2m-cts': '1',
      'x-m2m-cto': '10',
      'x-m2m-ati': 'l1:t1+l2:t2',
      'x-m2m-asri': 'true',
      'content-location': '/id-in/x',
      server: 'ACME 2026.05.1',
      etag: '"1"',
    }),
    onlyJson,
  );
  assert.deepEqual(rsp, {
    rsc: 2000,
    rqi: 'r-1',
    rvi: '3',
    fr: '/id-in',
    ot: '20240101T120000,123456',
    rset: '20300101T000000',
    ec: 4,
    vsi: 'acme',
    cnst: 1,
    cnot: 10,
    ati: { ltia: [{ lti: 'l1', tkid: 't1' }, { lti: 'l2', tkid: 't2' }] },
    asri: true,
  });
});

test('B10: a relative X-M2M-RST becomes a number, an empty X-M2M-Origin is no fr', () => {
  const rsp = fromHttpResponse(REQ, res(200, { 'x-m2m-rst': '60000', 'x-m2m-origin': '' }), onlyJson);
  assert.equal(rsp?.rset, 60000);
  assert.equal(rsp && 'fr' in rsp, false);
});

test('B10: X-M2M-ASRI accepts true/false/1/0 and ignores anything else', () => {
  const cases: ReadonlyArray<readonly [string, boolean | undefined]> = [['true', true], ['1', true], ['FALSE', false], ['0', false], ['maybe', undefined]];
  for (const [v, expected] of cases) assert.equal(fromHttpResponse(REQ, res(200, { 'x-m2m-asri': v }), onlyJson)?.asri, expected, v);
});

test('B10: non-integer X-M2M-EC/CTS/CTO are left out', () => {
  const rsp = fromHttpResponse(REQ, res(200, { 'x-m2m-ec': 'x', 'x-m2m-cts': '', 'x-m2m-cto': '1.5' }), onlyJson);
  assert.deepEqual(rsp, { rsc: 2000, rqi: 'r-1', rvi: '3' });
});

test('B3: X-M2M-ATI `lti:tkid+lti:tkid` → {ltia:[{lti,tkid}]}, a form-decoded "+" (space) also separates', () => {
  assert.deepEqual(parseAti('a:b'), { ltia: [{ lti: 'a', tkid: 'b' }] });
  assert.deepEqual(parseAti('a:b+c:d:e'), { ltia: [{ lti: 'a', tkid: 'b' }, { lti: 'c', tkid: 'd:e' }] });
  assert.deepEqual(parseAti('a:b c:d'), { ltia: [{ lti: 'a', tkid: 'b' }, { lti: 'c', tkid: 'd' }] });
  assert.deepEqual(parseAti('nocolon+x:y'), { ltia: [{ lti: 'x', tkid: 'y' }] });
});

test('B10: pc from the body by Content-Type; empty or missing body → no pc', () => {
  const pc = { 'm2m:cnt': { rn: 'c1', ri: 'cnt1' } };
  const got = fromHttpResponse(REQ, res(200, { 'x-m2m-rsc': '2000', 'content-type': 'application/json' }, JSON.stringify(pc)), onlyJson);
  assert.deepEqual(got?.pc, pc);
  const vnd = fromHttpResponse(REQ, res(200, { 'content-type': 'application/vnd.onem2m-res+json' }, JSON.stringify(pc)), onlyJson);
  assert.deepEqual(vnd?.pc, pc);
  assert.equal(fromHttpResponse(REQ, res(200, { 'content-type': 'application/json' }, ''), onlyJson)?.pc, undefined);
  assert.equal(fromHttpResponse(REQ, res(200, { 'content-type': 'application/json' }), onlyJson)?.pc, undefined);
});

test('B10: a success with an undecodable body throws PrimitiveDecodeError carrying the request rqi (caller answers 5000)', () => {
  assert.throws(
    () => fromHttpResponse(REQ, res(200, { 'x-m2m-rsc': '2000', 'content-type': 'application/json' }, '{broken'), onlyJson),
    (err: unknown) => err instanceof PrimitiveDecodeError && err.rqi === 'r-1',
  );
});

test('B10: a success in an unknown media type, or without Content-Type, throws PrimitiveDecodeError', () => {
  for (const headers of [{ 'content-type': 'text/html' }, {}, { 'content-type': 'application/cbor' }]) {
    assert.throws(
      () => fromHttpResponse(REQ, res(200, { 'x-m2m-rsc': '2000', ...headers }, 'x'), onlyJson),
      (err: unknown) => err instanceof PrimitiveDecodeError && err.rqi === 'r-1',
      JSON.stringify(headers),
    );
  }
});

test('B10: an error response whose body cannot be read keeps its rsc and drops the body', () => {
  assert.deepEqual(fromHttpResponse(REQ, res(502, { 'content-type': 'text/html' }, '<h1>Bad Gateway</h1>'), onlyJson), { rsc: 5000, rqi: 'r-1', rvi: '3' });
  assert.deepEqual(fromHttpResponse(REQ, res(401, {}, 'Unauthorized'), onlyJson), { rsc: 4103, rqi: 'r-1', rvi: '3' });
  assert.deepEqual(
    fromHttpResponse(REQ, res(404, { 'x-m2m-rsc': '4004', 'content-type': 'application/json' }, '{broken'), onlyJson),
    { rsc: 4004, rqi: 'r-1', rvi: '3' },
  );
});

test('B10: an error response with a readable body keeps it (m2m:dbg)', () => {
  const got = fromHttpResponse(REQ, res(404, { 'x-m2m-rsc': '4004', 'content-type': 'application/json' }, '{"m2m:dbg":"not found"}'), onlyJson);
  assert.deepEqual(got, { rsc: 4004, rqi: 'r-1', rvi: '3', pc: { 'm2m:dbg': 'not found' } });
});

test('B10: header values given as arrays use the first one', () => {
  const got = fromHttpResponse(REQ, res(200, { 'x-m2m-rsc': ['2004', '2000'], 'x-m2m-ri': ['a', 'b'] }), onlyJson);
  assert.equal(got?.rsc, 2004);
  assert.equal(got?.rqi, 'a');
});
