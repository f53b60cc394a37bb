// Fault injection in the store: a directory the bridge cannot write, and an
// LMDB environment that fails under a running bridge.
import assert from 'node:assert/strict';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBridge } from '../../src/bridge/bridge.js';
import { BridgeError, StartError } from '../../src/errors.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { CrashRecorder } from '../fuzz/support.js';

/** True when this process can write into `dir` despite its mode (root with CAP_DAC_OVERRIDE). */
function permissionsBypassed(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    writeFileSync(join(dir, '.probe'), 'x');
    rmSync(join(dir, '.probe'));
    return true;
  } catch {
    return false;
  }
}

async function notify(downlinkUrl: string, key: string, aei: string, ri: string): Promise<{ status: number; rsc: string | null; body: string }> {
  const res = await fetch(`${downlinkUrl}/r/${key}/${aei}`, {
    method: 'POST',
    headers: { 'x-m2m-ri': ri, 'x-m2m-origin': '/id-in', 'x-m2m-rvi': '3', 'content-type': 'application/json' },
    body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/sub', nev: { net: 3, rep: { 'm2m:cin': { con: ri } } } } }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, rsc: res.headers.get('x-m2m-rsc'), body: await res.text() };
}

/** start() names --store as what the environment refused (exit 1 in the CLI); the cause is the store's BRIDGE_ERR_STORE. */
function assertStoreRefused(err: unknown): void {
  assert.ok(err instanceof StartError, String(err));
  assert.equal(err.kind, 'environment');
  assert.equal(err.setting, '--store');
  assert.match(err.message, /^--store: cannot open lmdb:/);
  assert.ok(err.cause instanceof BridgeError, String(err.cause));
  assert.equal(err.cause.code, 'BRIDGE_ERR_STORE');
}

describe('fault: the store cannot write', () => {
  let cse: FakeCse;
  let base: string;
  let crashes: CrashRecorder;
  before(async () => {
    crashes = new CrashRecorder();
    cse = await startFakeCse();
    base = mkdtempSync(join(tmpdir(), 'bridge-store-fault-'));
  });
  after(async () => {
    crashes.stop();
    await cse.close();
    try {
      chmodSync(join(base, 'ro'), 0o700);
    } catch {
      // not created
    }
    rmSync(base, { recursive: true, force: true });
    assert.deepEqual(crashes.errors, []);
  });

  test('start() fails with a clear BRIDGE_ERR_STORE naming the directory when its parent is read-only', async (t) => {
    const parent = join(base, 'ro');
    mkdirSync(parent);
    chmodSync(parent, 0o500);
    if (permissionsBypassed(parent)) {
      t.skip(`this process (uid ${process.getuid?.() ?? '?'}) writes into a 0o500 directory anyway (root bypasses file permissions); the read-only case cannot be provoked here — see the ENOTDIR test`);
      return;
    }
    const dir = join(parent, 'data');
    const bridge = createBridge(testConfig(cse.url, { store: `lmdb:${dir}` }));
    await assert.rejects(bridge.start(), (err: unknown) => {
      assertStoreRefused(err);
      assert.match((err as Error).message, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      return true;
    });
    await bridge.stop();
  });

  test('start() fails with a clear BRIDGE_ERR_STORE naming the directory when a path component is a file (ENOTDIR, also as root)', async () => {
    const file = join(base, 'not-a-dir');
    writeFileSync(file, 'x');
    const dir = join(file, 'data');
    const bridge = createBridge(testConfig(cse.url, { store: `lmdb:${dir}` }));
    await assert.rejects(bridge.start(), (err: unknown) => {
      assertStoreRefused(err);
      assert.ok((err as Error).message.includes(dir), `message names ${dir}: ${(err as Error).message}`);
      return true;
    });
    // a failed start leaves nothing behind that stop() trips over
    await bridge.stop();
  });

  test('when the LMDB environment fails under a running bridge, every NOTIFY for an offline registree answers 5000 and the bridge keeps serving', async () => {
    const dir = join(base, 'live');
    const bridge = createBridge(testConfig(cse.url, { store: `lmdb:${dir}`, allowOriginator: ['CAdmin'] }));
    const addresses = await bridge.start();
    const wsUrl = `ws://127.0.0.1:${addresses.public.port}/`;
    const downlinkUrl = `http://127.0.0.1:${addresses.downlink.port}`;
    try {
      const { ae, aei } = await registerAe(wsUrl, 'storeFaultAE');
      const poa = cse.resources.get(aei)?.attributes.poa as string[];
      const key = poa[0].slice(poa[0].indexOf('/r/') + 3);
      await ae.close();
      // works while the store is healthy
      const ok = await notify(downlinkUrl, key, aei, 'healthy-1');
      assert.equal(ok.rsc, '1000');
      // pull the environment away underneath the store (fault injection through its handle)
      const handles = (bridge.store as unknown as { db?: { root: { close(): Promise<void> } } }).db;
      assert.ok(handles !== undefined, 'the LMDB store keeps its environment in .db (fault injection point)');
      await handles.root.close();
      for (let i = 0; i < 5; i++) {
        const r = await notify(downlinkUrl, key, aei, `broken-${i}`);
        assert.equal(r.rsc, '5000', `answer ${i}: HTTP ${r.status} ${String(r.rsc)} ${r.body}`);
        assert.equal(r.status, 500);
      }
      // the WebSocket side still answers
      const { ae: other } = await registerAe(wsUrl, 'storeFaultAE2').catch(() => ({ ae: undefined }));
      await other?.close();
    } finally {
      await bridge.stop().catch(() => undefined);
    }
  });
});
