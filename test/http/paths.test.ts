// `to` ⇄ HTTP Request-Target, both directions (reference B2, TS-0009 6.2.2.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHttpRequest } from '../../src/http/to-http-request.js';
import { fromHttpRequest } from '../../src/http/from-http-request.js';
import { PrimitiveDecodeError } from '../../src/errors.js';
import type { RequestPrimitive } from '../../src/primitive/types.js';
import { json } from './json-content.js';

const contentFor = () => json;

function retrieve(to: string): RequestPrimitive {
  return { op: 2, to, fr: 'Cmyae', rqi: 'p1', rvi: '3' };
}

function back(path: string, defaultTo = 'Cdefault'): string {
  return fromHttpRequest({ method: 'GET', path, headers: { 'x-m2m-ri': 'p1' }, body: undefined }, defaultTo, contentFor).to;
}

/** [what, to, HTTP path] — every form of reference B2, plus percent-encoding. */
const PATHS: ReadonlyArray<readonly [string, string, string]> = [
  ['CSE-relative structured', 'cse-in/myAE/cnt1', '/cse-in/myAE/cnt1'],
  ['CSE-relative unstructured', 'cnt00856', '/cnt00856'],
  ['CSE-relative with CSEBase shortcut "-"', '-/myAE', '/-/myAE'],
  ['CSE-relative AE-ID (C…)', 'Cabc123', '/Cabc123'],
  ['SP-relative structured', '/id-in/cse-in/myAE', '/~/id-in/cse-in/myAE'],
  ['SP-relative unstructured', '/id-in/cnt00856', '/~/id-in/cnt00856'],
  ['SP-relative CSE-ID', '/id-in', '/~/id-in'],
  ['SP-relative SP-assigned AE-ID', '/Sabc123', '/~/Sabc123'],
  ['absolute unstructured', '//example.net/id-in/cnt00856', '/_/example.net/id-in/cnt00856'],
  ['absolute structured', '//sp.example.com/id-in/cse-in/myAE/cnt1', '/_/sp.example.com/id-in/cse-in/myAE/cnt1'],
  ['absolute CSE-ID', '//sp.example.com/id-in', '/_/sp.example.com/id-in'],
  ['attribute fragment (CSE-relative)', 'cse-in/myAE#rr', '/cse-in/myAE?atrl=rr'],
  ['attribute fragment (SP-relative)', '/id-in/cse-in/myAE#lbl', '/~/id-in/cse-in/myAE?atrl=lbl'],
  ['attribute fragment (absolute)', '//sp.example.com/id-in/cnt1#ct', '/_/sp.example.com/id-in/cnt1?atrl=ct'],
  ['space is percent-encoded', 'cse-in/my AE', '/cse-in/my%20AE'],
  ['"?" is percent-encoded', 'cse-in/a?b', '/cse-in/a%3Fb'],
  ['"%" is percent-encoded', 'cse-in/100%', '/cse-in/100%25'],
  ['non-ASCII is UTF-8 percent-encoded', 'cse-in/Ä€', '/cse-in/%C3%84%E2%82%AC'],
  ['quotes, brackets, backslash are percent-encoded', 'cse-in/a"<>[]\\^`{|}', '/cse-in/a%22%3C%3E%5B%5D%5C%5E%60%7B%7C%7D'],
  ['pchar sub-delims, ":" and "@" stay as they are', "cse-in/a!$&'()*+,;=:@b", "/cse-in/a!$&'()*+,;=:@b"],
  ['unreserved "-._~" stay as they are', 'cse-in/a-b.c_d~e', '/cse-in/a-b.c_d~e'],
];

for (const [what, to, path] of PATHS) {
  test(`B2 primitive → HTTP: ${what}: '${to}' → '${path}'`, () => {
    assert.equal(toHttpRequest(retrieve(to), json).path, path);
  });
  test(`B2 HTTP → primitive: ${what}: '${path}' → '${to}'`, () => {
    assert.equal(back(path), to);
  });
}

/** Paths only seen on the way in: [what, path after the /r/<key> prefix, to]. */
const REVERSE_ONLY: ReadonlyArray<readonly [string, string, string]> = [
  ['empty rest → defaultTo', '', 'Cdefault'],
  ['"/" → defaultTo', '/', 'Cdefault'],
  ['empty rest with a query → defaultTo', '?rcn=1', 'Cdefault'],
  ['"/" with a query → defaultTo', '/?rcn=1', 'Cdefault'],
  ['empty rest with one atrl → defaultTo#attr', '?atrl=rr', 'Cdefault#rr'],
  ['a trailing "/" is dropped (TS-0009 example table)', '/cse-in/myAE/', 'cse-in/myAE'],
  ['encoded "~" counts as "~" (RFC 3986 unreserved)', '/%7E/id-in/x', '/id-in/x'],
  ['encoded "/" is decoded', '/cse-in%2Fmy', 'cse-in/my'],
  ['"+" in a path stays "+" (not form-encoded)', '/cse-in/a+b', 'cse-in/a+b'],
  ['ACME NOTIFY to poa/<CSE-relative AE-ID> (gotcha 11)', '/Cmyae', 'Cmyae'],
  ['ACME NOTIFY to poa/~/<SP-relative AE-ID> (gotcha 11)', '/~/id-in/Cmyae', '/id-in/Cmyae'],
];
for (const [what, path, to] of REVERSE_ONLY) {
  test(`B2 HTTP → primitive: ${what}: '${path}' → '${to}'`, () => {
    assert.equal(back(path), to);
  });
}

test('B2: a malformed percent-encoding in the path is a PrimitiveDecodeError carrying the rqi', () => {
  assert.throws(() => back('/cse-in/%E0%A4%A'), (err: unknown) => err instanceof PrimitiveDecodeError && err.rqi === 'p1');
});

test('B2: an empty to cannot be sent (PrimitiveDecodeError)', () => {
  assert.throws(() => toHttpRequest(retrieve(''), json), PrimitiveDecodeError);
  assert.throws(() => toHttpRequest(retrieve('#rr'), json), PrimitiveDecodeError);
});

test('B2: a lone surrogate in to is a PrimitiveDecodeError, not a URIError', () => {
  assert.throws(() => toHttpRequest(retrieve('cse-in/\uD800'), json), PrimitiveDecodeError);
});

test('B2: an empty fragment adds no atrl', () => {
  assert.equal(toHttpRequest(retrieve('cse-in/myAE#'), json).path, '/cse-in/myAE');
});

test('B2: #attr and other query parameters share one query string, atrl first', () => {
  assert.equal(toHttpRequest({ ...retrieve('cse-in/myAE#rr'), rcn: 1 }, json).path, '/cse-in/myAE?atrl=rr&rcn=1');
});
