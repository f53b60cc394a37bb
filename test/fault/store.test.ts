// Fault injection in the store: a directory the bridge cannot write, and an
// LMDB environment that fails under a running bridge.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBridge } from '../../src/bridge/bridge.js';
import { BridgeError, StartError } from '../../src/errors.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { registerAe } from '../support/register.js';
import { WsRegistree } from '../support/ws-registree.js';
import { CrashRecorder } from '../fuzz/support.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as shipped (node dist/cli/main.js), built once for this source. */
const CLI = await builtCli();
/** uid and gid of nobody/nogroup: a user without root's bypass of file permissions. */
const NOBODY = 65534;

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
    // reachable for the bridge process run as nobody
    chmodSync(base, 0o755);
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

  test('the bridge process exits 1 with one line naming --store and the directory when its parent is read-only (as uid 65534 when run as root)', { timeout: 120_000 }, async () => {
    const parent = join(base, 'ro');
    mkdirSync(parent);
    // r-x for everyone: readable and traversable, not writable
    chmodSync(parent, 0o555);
    const dir = join(parent, 'data');
    // root bypasses file permissions (CAP_DAC_OVERRIDE, and CI runs as root): the bridge then runs as nobody
    const asRoot = process.getuid?.() === 0;
    const proc = spawn(process.execPath, [CLI, '--upstream', cse.url, '--store', `lmdb:${dir}`, '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: base,
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => {
      output += d.toString('utf8');
      // it started after all (the store was writable): stop it, the assertions below say so
      if (output.includes('bridge listening')) proc.kill('SIGKILL');
    });
    proc.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const [code] = (await once(proc, 'close')) as [number | null];
    const lines = output.split('\n').filter((l) => l.trim() !== '');
    assert.equal(code, 1, `exit code ${String(code)}:\n${output}`);
    assert.equal(lines.length, 1, `one line, got:\n${output}`);
    assert.match(lines[0], /--store/);
    assert.ok(lines[0].includes(dir), `the line names ${dir}: ${lines[0]}`);
    assert.match(lines[0], /EACCES|permission denied/i, lines[0]);
    assert.doesNotMatch(output, /^\s+at /m, 'no stack trace');
    assert.ok(!existsSync(dir), 'nothing was created under the read-only parent');
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
      // the WebSocket side still answers: a registration (which needs the store) and a retrieve (which does not)
      const other = await WsRegistree.connect(wsUrl, 'oneM2M.json');
      try {
        const reg = await other.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'storeFaultAE2', api: 'Ntest', rr: true, srv: ['3'] } } });
        const cb = await other.request({ op: 2, to: 'cse-in', fr: 'CAdmin' });
        // TS-0004: a registration the bridge cannot record is refused (5000 INTERNAL_SERVER_ERROR), answered, with its rqi
        assert.equal(reg.rsc, 5000, JSON.stringify(reg));
        assert.equal(cb.rsc, 2000, JSON.stringify(cb));
        assert.equal((cb.pc?.['m2m:cb'] as { csi?: string } | undefined)?.csi, '/id-in');
      } finally {
        await other.close();
      }
    } finally {
      await bridge.stop().catch(() => undefined);
    }
  });
});
