// The store contract (DESIGN 5) against --store lmdb:DIR, each case in a fresh directory.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { open } from 'lmdb';
import { BridgeError } from '../../src/errors.js';
import type { RequestPrimitive } from '../../src/primitive/types.js';
import { LmdbStore } from '../../src/store/lmdb-store.js';
import type { QueueLimits, Store } from '../../src/store/store.js';
import { storeContract } from '../contract/store.case.js';

const HOUR = 3_600_000;
const WIDE: QueueLimits = { maxMessages: 1_000_000, maxBytes: 1_000_000_000, globalMaxBytes: 1_000_000_000 };

storeContract('lmdb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-lmdb-'));
  let current: Store = new LmdbStore(dir);
  await current.open();
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = new LmdbStore(dir);
      await current.open();
      return current;
    },
    cleanup: async () => {
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

// Issue 13.5: lmdb-js takes a path with an extension for a file name unless told otherwise.
for (const existing of [true, false]) {
  test(`lmdb:DIR whose name has a dot is a directory too (${existing ? 'empty, existing' : 'not yet created'})`, async () => {
    const base = await mkdtemp(join(tmpdir(), 'bridge-lmdb-dot-'));
    const dir = join(base, 'nested', 'bridge.data');
    if (existing) await mkdir(dir, { recursive: true });
    try {
      let store = new LmdbStore(dir);
      await store.open();
      await store.putRegistration({ id: 'Cdot', key: 'k-dot', kind: 'ae', createdAt: 1 });
      await store.close();
      assert.ok((await readdir(dir)).includes('data.mdb'), 'the environment lives inside the directory');
      store = new LmdbStore(dir);
      await store.open();
      assert.equal((await store.getRegistration('Cdot'))?.key, 'k-dot');
      await store.close();
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
}

// Issue 13.4: Node's mkdir({ recursive: true }) spins forever on /proc/nope; the
// test's timeout bounds a hang.
test('a directory that cannot be created (/proc/nope) fails open() with BRIDGE_ERR_STORE naming it', { timeout: 30_000 }, async () => {
  const store = new LmdbStore('/proc/nope/deeper');
  await assert.rejects(store.open(), (err: unknown) => {
    assert.ok(err instanceof BridgeError, String(err));
    assert.equal(err.code, 'BRIDGE_ERR_STORE');
    assert.match(err.message, /cannot open lmdb:\/proc\/nope\/deeper: .*ENOENT/);
    return true;
  });
  assert.equal(store.available(), false);
});

// Issue 19: the layout before the expiry index (registrations, keys, queue)
// written by hand with the old value format, then opened by this version.
test('a store written before the expiry index opens with its queues, and expiry, purge, ack and a reopen work on it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-lmdb-old-'));
  const now = Date.now();
  const request = (rqi: string): RequestPrimitive => ({ op: 5, to: '/id-in/Cold', fr: '/id-in', rqi, pc: { 'm2m:sgn': { sur: '/id-in/sub', nev: { net: 3 } } } });
  try {
    const root = open({ path: dir, maxDbs: 8, noSubdir: false });
    const registrations = root.openDB({ name: 'registrations' });
    const keys = root.openDB({ name: 'keys' });
    const queue = root.openDB({ name: 'queue' });
    await root.transaction(() => {
      void registrations.put('Cold', { id: 'Cold', key: 'k-old', kind: 'ae', createdAt: 1 });
      void keys.put('k-old', 'Cold');
      void queue.put(['Cold', 7], { request: request('live-1'), bytes: 10, expiresAt: now + HOUR, storedAt: now - 5, sur: '/id-in/sub' });
      void queue.put(['Cold', 8], { request: request('gone'), bytes: 20, expiresAt: now - 1, storedAt: now - 4 });
      void queue.put(['Cold', 9], { request: request('live-2'), bytes: 30, expiresAt: now + 2 * HOUR, storedAt: now - 3 });
    });
    await root.close();

    let store = new LmdbStore(dir);
    await store.open();
    assert.equal((await store.getRegistrationByKey('k-old'))?.id, 'Cold');
    assert.deepEqual(store.queueStats('Cold'), { messages: 3, bytes: 60 }, 'the old queue is counted');
    assert.deepEqual((await store.peek('Cold', 0, 10)).map((q) => q.request.rqi), ['live-1', 'live-2']);
    assert.equal(await store.purgeExpired(now), 1, 'the expired old request is found by the sweep');
    assert.deepEqual(store.queueStats('Cold'), { messages: 2, bytes: 40 });
    await store.ack('Cold', 7);
    const next = await store.enqueue('Cold', { request: request('new'), bytes: 5, expiresAt: now + HOUR, replaceSameSur: false }, WIDE);
    assert.ok(next.stored && next.seq > 9, 'seqs go on after the old ones');
    await store.close();

    store = new LmdbStore(dir);
    await store.open();
    assert.deepEqual(store.queueStats('Cold'), { messages: 2, bytes: 35 }, 'after reopening');
    assert.deepEqual((await store.peek('Cold', 0, 10)).map((q) => q.request.rqi), ['live-2', 'new']);
    assert.equal(await store.purgeExpired(now + 3 * HOUR), 2);
    assert.deepEqual(store.totals(), { messages: 0, bytes: 0 });
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// Issue 19: a sweep over many expired requests gives the event loop back between
// chunks; the sweep is never one synchronous pass over everything.
test('purgeExpired over more than one chunk removes them commit by commit, keeps the live ones, and survives a reopen', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-lmdb-purge-'));
  const now = Date.now();
  const EXPIRED = 2500; // ten chunks of PURGE_CHUNK (250)
  try {
    let store = new LmdbStore(dir);
    await store.open();
    const put = (id: string, rqi: string, expiresAt: number) =>
      store.enqueue(id, { request: { op: 5, to: id, fr: '/id-in', rqi }, bytes: 1, expiresAt, replaceSameSur: false }, WIDE);
    await Promise.all(Array.from({ length: EXPIRED }, (_, i) => put(`C${i % 50}`, `x${i}`, now - 1 - (i % 7))));
    await Promise.all(Array.from({ length: 10 }, (_, i) => put(`C${i}`, `live${i}`, now + HOUR)));
    const purging = store.purgeExpired(now);
    const afterFirstTick = store.totals().messages;
    assert.ok(afterFirstTick > 10, `not every expired request leaves in the first tick (${afterFirstTick} left of ${EXPIRED + 10})`);
    assert.equal(await purging, EXPIRED);
    assert.deepEqual(store.totals(), { messages: 10, bytes: 10 });
    await store.close();
    store = new LmdbStore(dir);
    await store.open();
    assert.deepEqual(store.totals(), { messages: 10, bytes: 10 }, 'after reopening');
    assert.equal(await store.purgeExpired(now), 0);
    assert.deepEqual((await store.peek('C3', 0, 10)).map((q) => q.request.rqi), ['live3']);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
