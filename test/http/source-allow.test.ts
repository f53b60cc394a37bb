// --downlink-allow: which peer addresses a CIDR allow-list lets in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSourceAllowList } from '../../src/http/source-allow.js';

function allowList(...entries: string[]) {
  const { list, problems } = parseSourceAllowList(entries);
  assert.deepEqual(problems, []);
  assert.ok(list);
  return list;
}

test('an empty list is no list: any address', () => {
  assert.deepEqual(parseSourceAllowList([]), { list: undefined, problems: [] });
});

test('IPv4 ranges and single addresses', () => {
  const list = allowList('10.0.0.0/8', '192.0.2.7');
  assert.equal(list.allows('10.200.1.1'), true);
  assert.equal(list.allows('192.0.2.7'), true);
  assert.equal(list.allows('192.0.2.8'), false);
  assert.equal(list.allows('11.0.0.1'), false);
  assert.equal(list.allows(undefined), false);
  assert.equal(list.allows('not an address'), false);
});

test('an IPv4-mapped IPv6 peer (dual-stack listener) is judged as IPv4', () => {
  const list = allowList('127.0.0.0/8');
  assert.equal(list.allows('::ffff:127.0.0.1'), true);
  assert.equal(list.allows('::FFFF:10.0.0.1'), false);
  assert.equal(list.allows('::1'), false);
});

test('IPv6 ranges', () => {
  const list = allowList('fd00::/8', '::1');
  assert.equal(list.allows('fd12:3456::1'), true);
  assert.equal(list.allows('::1'), true);
  assert.equal(list.allows('fe80::1'), false);
  assert.equal(list.allows('127.0.0.1'), false);
});

test('every bad entry is a problem of its own', () => {
  assert.deepEqual(parseSourceAllowList(['10.0.0.0/8', '10.0.0.0/x', '300.1.1.1/8', '::/200']).problems, [
    '"10.0.0.0/x": the prefix length must be 0 to 32',
    '"300.1.1.1/8" is not an IPv4 or IPv6 address or CIDR range',
    '"::/200": the prefix length must be 0 to 128',
  ]);
});
