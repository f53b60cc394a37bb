// --registration-ttl: a registration is forgotten only after its registree
// was bound nowhere for the whole TTL; a bound one is never forgotten.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistrationExpiry } from '../../src/bridge/registration-expiry.js';
import { silentLogger } from '../../src/log.js';
import { MemoryStore } from '../../src/store/memory-store.js';

async function setup(bound: Set<string>) {
  const store = new MemoryStore();
  await store.open();
  await store.putRegistration({ id: 'Calice', key: 'k1', kind: 'ae', createdAt: 0 });
  await store.putRegistration({ id: 'Cbob', key: 'k2', kind: 'ae', createdAt: 0 });
  const expiry = new RegistrationExpiry({ ttlMs: 1000, store, bound: async (ids) => new Set(ids.filter((id) => bound.has(id))), logger: silentLogger() });
  return { store, expiry };
}

test('a bound registree is kept however long; an unbound one after the TTL counted from its unbinding', async () => {
  const bound = new Set(['Calice']);
  const { store, expiry } = await setup(bound);
  expiry.unbound('Cbob', 0);
  assert.equal(await expiry.sweep(999), 0);
  assert.ok((await store.getRegistration('Cbob')) !== undefined);
  assert.equal(await expiry.sweep(1000), 1);
  assert.equal(await store.getRegistration('Cbob'), undefined);
  assert.equal(await expiry.sweep(1_000_000), 0);
  assert.ok((await store.getRegistration('Calice')) !== undefined);
});

test('without a seen unbinding (a restart), the count starts at the first sweep; binding again resets it', async () => {
  const bound = new Set<string>();
  const { store, expiry } = await setup(bound);
  assert.equal(await expiry.sweep(5000), 0);
  bound.add('Calice');
  assert.equal(await expiry.sweep(5999), 0);
  assert.equal(await expiry.sweep(6000), 1); // Cbob: away since 5000
  bound.delete('Calice');
  assert.equal(await expiry.sweep(6500), 0); // Calice's count starts again here
  assert.ok((await store.getRegistration('Calice')) !== undefined);
  assert.equal(await expiry.sweep(7499), 0);
  assert.equal(await expiry.sweep(7500), 1);
  assert.equal(await store.getRegistration('Calice'), undefined);
});
