// The upstream pool's name cache (src/http/cached-lookup.ts): real
// resolutions through node:dns, counted, in both shapes net.connect asks for.
import assert from 'node:assert/strict';
import { lookup } from 'node:dns';
import type { LookupAddress, LookupAllOptions } from 'node:dns';
import { test } from 'node:test';
import { CachedLookup } from '../../src/http/cached-lookup.js';

function counted(): { resolver: (h: string, o: LookupAllOptions, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => void; calls: () => number } {
  let calls = 0;
  return {
    resolver: (h, o, cb) => {
      calls++;
      lookup(h, o, cb);
    },
    calls: () => calls,
  };
}

function ask(c: CachedLookup, host: string, all: boolean): Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }> {
  return new Promise((resolve) => c.lookup(host, { all, family: 0 }, (err, address, family) => resolve({ err, address, family })));
}

test('localhost is resolved once for many connects, in both answer shapes, with what dns.lookup says', async () => {
  const r = counted();
  const c = new CachedLookup(60_000, r.resolver);
  const expected = await new Promise<LookupAddress[]>((resolve, reject) => lookup('localhost', { all: true }, (err, a) => (err ? reject(err) : resolve(a))));
  // Concurrent connects share the lookup in flight.
  const first = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(c, 'localhost', i % 2 === 0)));
  for (let i = 0; i < 40; i++) await ask(c, 'localhost', i % 2 === 0);
  assert.equal(r.calls(), 1);
  assert.deepEqual(first[0].address, expected);
  assert.equal(first[1].address, expected[0].address);
  assert.equal(first[1].family, expected[0].family);
});

test('clear() and an expired TTL ask again; a failed lookup is not kept', async () => {
  const r = counted();
  const c = new CachedLookup(60_000, r.resolver);
  await ask(c, 'localhost', true);
  c.clear();
  await ask(c, 'localhost', true);
  assert.equal(r.calls(), 2);
  const expired = counted();
  const zero = new CachedLookup(0, expired.resolver);
  await ask(zero, 'localhost', false);
  await ask(zero, 'localhost', false);
  assert.equal(expired.calls(), 2);
  const bad1 = await ask(c, 'no-such-host.invalid', false);
  const bad2 = await ask(c, 'no-such-host.invalid', true);
  assert.ok(bad1.err !== null && bad2.err !== null);
  assert.equal(r.calls(), 4);
});
