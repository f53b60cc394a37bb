// The one builder for error answers on the HTTP doors (issue 18): the status a
// door chooses, X-M2M-RSC, X-M2M-RI echoed only when a header can carry it,
// X-M2M-OT, and the reason in m2m:dbg (TS-0009 6.4.13, 6.4.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpErrorAnswer, httpRefusal } from '../../src/http/error-answer.js';
import { parseTimestamp } from '../../src/primitive/timestamp.js';

test('httpRefusal keeps the status the door chose, not the one the rsc maps to', () => {
  // 4008 maps to 504 (TS-0009 Table 6.3.2-1); a body that is late is a 408 (RFC 9110 15.5.9).
  const late = httpRefusal('ri-1', 408, 4008, 'request body not complete in time (--body-timeout)');
  assert.equal(late.status, 408);
  assert.equal(late.headers['x-m2m-rsc'], '4008');
  assert.equal(late.headers['x-m2m-ri'], 'ri-1');
  assert.equal(late.headers['content-type'], 'application/json');
  assert.ok(parseTimestamp(late.headers['x-m2m-ot'] ?? '') !== undefined, 'X-M2M-OT is an m2m:timestamp');
  assert.deepEqual(JSON.parse(String(late.body)), { 'm2m:dbg': 'request body not complete in time (--body-timeout)' });

  const down = httpRefusal('ri-2', 502, 5103, 'upstream CSE not reachable: ECONNREFUSED');
  assert.equal(down.status, 502);
  assert.equal(down.headers['x-m2m-rsc'], '5103');
});

test('an X-M2M-RI no header can carry, a repeated one, or none is left out rather than failing the answer', () => {
  for (const ri of ['bad\nri', ['a', 'b'], undefined]) {
    const answer = httpRefusal(ri, 413, 4000, 'request body larger than 10 bytes (--max-passthrough-body)');
    assert.equal(answer.status, 413);
    assert.equal('x-m2m-ri' in answer.headers, false, JSON.stringify(ri));
  }
});

test('httpErrorAnswer maps a thrown value to the rsc\'s own status, never with a stack', () => {
  const answer = httpErrorAnswer('ri-3', new Error('boom'));
  assert.equal(answer.status, 500);
  assert.equal(answer.headers['x-m2m-rsc'], '5000');
  assert.equal(answer.headers['x-m2m-ri'], 'ri-3');
  const dbg = (JSON.parse(String(answer.body)) as { 'm2m:dbg': string })['m2m:dbg'];
  assert.equal(dbg, 'internal error: boom');
});
