// --registration-ttl: a registration is forgotten only after its registree
// was bound nowhere for the whole TTL; a bound one is never forgotten. A sweep
// reads a page at a time (issue 19).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RegistrationExpiry } from '../../src/bridge/registration-expiry.js';
import { silentLogger } from '../../src/log.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';

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

// Issue 19: a sweep reads the fleet a page at a time and lets the event loop
// run between pages, with the same outcome as reading it whole.
const FLEET = 1000;
const idOf = (i: number) => `C${String(i).padStart(5, '0')}`;

const stores: Array<{ name: string; open(): Promise<{ store: Store; close(): Promise<void> }> }> = [
  {
    name: 'memory',
    async open() {
      const store = new MemoryStore();
      await store.open();
      return { store, close: () => store.close() };
    },
  },
  {
    name: 'lmdb',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'bridge-expiry-'));
      const store = new LmdbStore(dir);
      await store.open();
      return {
        store,
        async close() {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

for (const kind of stores) {
  test(`${kind.name}: a sweep of ${FLEET} registrations asks about at most 250 per event-loop turn and forgets exactly the ones away for the TTL`, async () => {
    const { store, close } = await kind.open();
    try {
      await Promise.all(Array.from({ length: FLEET }, (_, i) => store.putRegistration({ id: idOf(i), key: `k${i}`, kind: 'ae', createdAt: 0 })));
      // Every third is bound; every fifth of the rest closed at 500 (seen by this process).
      const bound = new Set<string>();
      for (let i = 0; i < FLEET; i += 3) bound.add(idOf(i));
      let turns = 0;
      let ticking = true;
      const tick = () => {
        turns++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const asked: Array<{ n: number; turn: number }> = [];
      const expiry = new RegistrationExpiry({
        ttlMs: 1000,
        store,
        bound: async (ids) => {
          asked.push({ n: ids.length, turn: turns });
          return new Set(ids.filter((id) => bound.has(id)));
        },
        logger: silentLogger(),
      });
      try {
        assert.equal(await expiry.sweep(0), 0);
        const pages = asked.filter((a) => a.n > 1);
        assert.ok(pages.length >= FLEET / 250, `pages: ${pages.map((p) => p.n).join(',')}`);
        assert.equal(pages.reduce((s, p) => s + p.n, 0), FLEET);
        for (const p of pages) assert.ok(p.n <= 250, `one bound() call asked about ${p.n} registrations`);
        for (let j = 1; j < pages.length; j++) assert.ok(pages[j].turn > pages[j - 1].turn, `pages ${j - 1} and ${j} in the same event-loop turn`);
        let late = 0;
        for (let i = 1; i < FLEET; i++) {
          if (i % 3 !== 0 && i % 5 === 0) {
            expiry.unbound(idOf(i), 500);
            late++;
          }
        }
        const unboundAll = FLEET - bound.size;
        assert.equal(await expiry.sweep(999), 0);
        assert.equal(await expiry.sweep(1000), unboundAll - late);
        assert.equal(await expiry.sweep(1499), 0);
        assert.equal(await expiry.sweep(1500), late);
        assert.equal(await store.countRegistrations(), bound.size);
        for (const id of bound) assert.ok((await store.getRegistration(id)) !== undefined, id);
      } finally {
        ticking = false;
      }
    } finally {
      await close();
    }
  });
}

test('a registree registered again while the sweep runs (new key) is kept', async () => {
  const store = new MemoryStore();
  await store.open();
  for (let i = 0; i < FLEET; i++) await store.putRegistration({ id: idOf(i), key: `k${i}`, kind: 'ae', createdAt: 0 });
  let renew = false;
  const expiry = new RegistrationExpiry({
    ttlMs: 1000,
    store,
    bound: async (ids) => {
      // Between reading C00600's page and forgetting it, it registers again.
      if (renew && ids.includes(idOf(600))) await store.putRegistration({ id: idOf(600), key: 'fresh', kind: 'ae', createdAt: 900 });
      return new Set();
    },
    logger: silentLogger(),
  });
  assert.equal(await expiry.sweep(0), 0);
  renew = true;
  assert.equal(await expiry.sweep(1000), FLEET - 1);
  assert.equal((await store.getRegistration(idOf(600)))?.key, 'fresh');
});

test('a registration removed and made again counts its time away anew', async () => {
  const { store, expiry } = await setup(new Set());
  assert.equal(await expiry.sweep(0), 0); // both away since 0
  const cbob = (await store.getRegistration('Cbob'))!;
  await store.deleteRegistration('Cbob');
  assert.equal(await expiry.sweep(500), 0); // Cbob's entry goes with its registration
  await store.putRegistration(cbob);
  assert.equal(await expiry.sweep(900), 0); // away since 900 now
  assert.equal(await expiry.sweep(1000), 1); // Calice only
  assert.ok((await store.getRegistration('Cbob')) !== undefined);
  assert.equal(await expiry.sweep(1900), 1);
  assert.equal(await store.getRegistration('Cbob'), undefined);
});
