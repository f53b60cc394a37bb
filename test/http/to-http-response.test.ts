// Response primitive from a registree → HTTP response to the CSE (reference
// B11 last paragraph, B3, B6, gotcha 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHttpResponse } from '../../src/http/to-http-response.js';
import { parseTimestamp } from '../../src/primitive/timestamp.js';
import type { PrimitiveContent } from '../../src/primitive/types.js';
import { json } from './json-content.js';


test('status from the B7 table, X-M2M-RSC exact', () => {
  const out = toHttpResponse({ rsc: 2004, rqi: 'a' }, json, 'a');
  assert.equal(out.status, 200);
  assert.equal(out.headers['x-m2m-rsc'], '2004');
});

test('gotcha 5: X-M2M-RI is the request RI exactly, never the response rqi', () => {
  for (const rqi of ['4711', 'a b', 'ws-1234', '']) {
    assert.equal(toHttpResponse({ rsc: 2000, rqi }, json, 'cse-ri/4711 x').headers['x-m2m-ri'], 'cse-ri/4711 x');
  }
});

test('gotcha 5: a valid ot is passed on as X-M2M-OT', () => {
  for (const ot of ['20240101T120000', '20240101T120000,123456', '20240101T120000.5']) {
    assert.equal(toHttpResponse({ rsc: 2000, rqi: 'a', ot }, json, 'a').headers['x-m2m-ot'], ot);
  }
});

test('gotcha 5: a missing or invalid ot becomes now, formatted YYYYMMDDThhmmss,ffffff', () => {
  for (const ot of [undefined, '', 'now', '2024-01-01T12:00:00Z', '20241301T000000']) {
    const before = Date.now();
    const value = toHttpResponse({ rsc: 2000, rqi: 'a', ...(ot === undefined ? {} : { ot }) }, json, 'a').headers['x-m2m-ot']!;
    const after = Date.now();
    assert.match(value, /^\d{8}T\d{6},\d{6}$/, String(ot));
    const ms = parseTimestamp(value)!;
    assert.ok(ms >= before - 1 && ms <= after, String(ot));
  }
});

test('body = pc, Content-Type = bare media type (no ty, no charset)', () => {
  const pc = { 'm2m:cnt': { rn: 'c1' } };
  const out = toHttpResponse({ rsc: 2000, rqi: 'a', pc }, json, 'a');
  assert.equal(out.body, JSON.stringify(pc));
  assert.equal(out.headers['content-type'], 'application/json');
});

test('no pc → no body and no Content-Type', () => {
  const out = toHttpResponse({ rsc: 2002, rqi: 'a' }, json, 'a');
  assert.equal('body' in out, false);
  assert.equal(out.headers['content-type'], undefined);
});

test('B6: 4103 with tqf sends tqf as the body instead of pc', () => {
  const tqf = { dasi: [{ url: 'http://das.example' }] };
  const out = toHttpResponse({ rsc: 4103, rqi: 'a', tqf, pc: { 'm2m:dbg': 'no privilege' } }, json, 'a');
  assert.equal(out.status, 403);
  assert.equal(out.body, JSON.stringify(tqf));
});

test('B6: tqf outside 4103 is not sent; pc is', () => {
  const out = toHttpResponse({ rsc: 4000, rqi: 'a', tqf: { x: 1 }, pc: { 'm2m:dbg': 'bad' } }, json, 'a');
  assert.equal(out.body, '{"m2m:dbg":"bad"}');
  assert.equal(toHttpResponse({ rsc: 4000, rqi: 'a', tqf: { x: 1 } }, json, 'a').body, undefined);
});

const LOCATIONS: ReadonlyArray<readonly [string, number, PrimitiveContent | undefined, string | undefined]> = [
  ['CREATE with m2m:uri (rcn 2)', 2001, { 'm2m:uri': 'cse-in/myAE/c1' }, 'cse-in/myAE/c1'],
  ['CREATE with m2m:rce/uri (rcn 3)', 2001, { 'm2m:rce': { cnt: { rn: 'c1' }, uri: '/id-in/cse-in/myAE/c1' } }, '/id-in/cse-in/myAE/c1'],
  ['CREATE with the resource only (rcn 1)', 2001, { 'm2m:cnt': { rn: 'c1' } }, undefined],
  ['CREATE without pc', 2001, undefined, undefined],
  ['CREATE with a non-string m2m:uri', 2001, { 'm2m:uri': 5 }, undefined],
  ['non-CREATE with m2m:uri (a 1001 ack)', 1001, { 'm2m:uri': 'cse-in/req1' }, undefined],
  ['RETRIEVE with m2m:uri', 2000, { 'm2m:uri': 'x' }, undefined],
];
for (const [what, rsc, pc, location] of LOCATIONS) {
  test(`B3 Content-Location: ${what} → ${location ?? 'none'}`, () => {
    const out = toHttpResponse({ rsc, rqi: 'a', ...(pc === undefined ? {} : { pc }) }, json, 'a');
    assert.equal(out.headers['content-location'], location);
  });
}

test('optional header values no HTTP header can carry are left out, the answer still goes', () => {
  const out = toHttpResponse({ rsc: 2000, rqi: 'a', fr: 'C\r\nx: y', vsi: 'v\n', rvi: '3' }, json, 'a');
  assert.equal(out.headers['x-m2m-origin'], undefined);
  assert.equal(out.headers['x-m2m-vsi'], undefined);
  assert.equal(out.headers['x-m2m-rvi'], '3');
});

test('an empty fr and an empty ati list send no header', () => {
  const out = toHttpResponse({ rsc: 2000, rqi: 'a', fr: '', ati: { ltia: [] } }, json, 'a');
  assert.equal(out.headers['x-m2m-origin'], undefined);
  assert.equal(out.headers['x-m2m-ati'], undefined);
});

test('a minimal response has exactly X-M2M-RSC, X-M2M-RI and X-M2M-OT, all lower-case', () => {
  assert.deepEqual(Object.keys(toHttpResponse({ rsc: 2000, rqi: 'a' }, json, 'a').headers).sort(), ['x-m2m-ot', 'x-m2m-ri', 'x-m2m-rsc']);
});
