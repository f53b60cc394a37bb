// Downlink keys (/r/<key>): 16 base64url characters (96 bits), never the same
// twice, also across the refills of the pool they are drawn from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newRegistreeKey } from '../../src/bridge/registree-key.js';

test('keys are 16 base64url characters and all differ, across several refills of the pool', () => {
  const keys = Array.from({ length: 2000 }, () => newRegistreeKey());
  for (const key of keys) assert.match(key, /^[A-Za-z0-9_-]{16}$/);
  assert.equal(new Set(keys).size, keys.length);
  // Each key has bytes of its own: no half of one (6 bytes) is a half of another.
  const halves = new Set(keys.flatMap((k) => {
    const b = Buffer.from(k, 'base64url');
    return [b.subarray(0, 6).toString('hex'), b.subarray(6).toString('hex')];
  }));
  assert.equal(halves.size, 2 * keys.length);
});
