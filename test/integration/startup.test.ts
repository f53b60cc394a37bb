// Issue 13.4, start or exit: a bridge that cannot start ends its process,
// with one line and the exit code of its kind — 2 when the configuration is
// wrong (naming the setting), 1 when the environment refuses (a door's
// address, the store) — never a stack trace, never a half-started bridge.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBridge } from '../../src/bridge/bridge.js';
import { StartError } from '../../src/errors.js';
import { spawnBridge } from '../support/bridge-process.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as shipped (node dist/cli/main.js), built once for this source. */
const CLI = await builtCli();

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Non-empty lines of stdout and stderr together. */
  lines: string[];
}

const children = new Set<ChildProcess>();

/** Runs the built `onem2m-ws-bridge ARGS` until it exits (the test's timeout bounds a process that never does). */
function runToExit(args: string[]): Promise<Exit> {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  return new Promise((resolve) => {
    proc.once('close', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal, lines: output.split('\n').filter((l) => l.trim() !== '') });
    });
  });
}

function assertOneLine(exit: Exit, code: number, pattern: RegExp): void {
  const all = exit.lines.join('\n');
  assert.equal(exit.code, code, `exit code ${String(exit.code)} (${String(exit.signal)}):\n${all}`);
  assert.equal(exit.lines.length, 1, `one line, got:\n${all}`);
  assert.match(exit.lines[0], pattern);
  assert.doesNotMatch(all, /^\s+at /m, 'no stack trace');
}

/** A TCP port someone else holds on 127.0.0.1 for the whole file. */
async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** A port that was free a moment ago (for doors whose port must be known in advance). */
async function freePort(): Promise<number> {
  const { server, port } = await holdPort();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves with the error code of a TCP connect to 127.0.0.1:port, or 'connected'. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('a bridge process that cannot start exits', { timeout: 120_000 }, () => {
  let cse: FakeCse;
  let taken: { server: Server; port: number };
  let dir: string;
  let base: string[];
  before(async () => {
    cse = await startFakeCse();
    taken = await holdPort();
    dir = mkdtempSync(join(tmpdir(), 'bridge-startup-'));
    base = ['--upstream', cse.url, '--store', 'memory', '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'];
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await new Promise<void>((resolve) => taken.server.close(() => resolve()));
    await cse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const flag of ['--listen', '--downlink-listen', '--admin-listen']) {
    test(`with 1 and one line naming ${flag} when its port is taken (EADDRINUSE)`, { timeout: 60_000 }, async () => {
      const exit = await runToExit([...base, flag, `127.0.0.1:${taken.port}`]);
      assertOneLine(exit, 1, new RegExp(`${flag} 127\\.0\\.0\\.1:${taken.port}.*EADDRINUSE`));
    });
  }

  test('with 1 and one line when a door\'s address is not on this host (EADDRNOTAVAIL)', { timeout: 60_000 }, async () => {
    // 192.0.2.0/24 is TEST-NET-1: never an address of this host; nothing is sent to it.
    const exit = await runToExit([...base, '--admin-listen', '192.0.2.1:0']);
    assertOneLine(exit, 1, /--admin-listen 192\.0\.2\.1:0.*EADDRNOTAVAIL/);
  });

  test('with 1 and one line when a door\'s host does not resolve', { timeout: 60_000 }, async () => {
    const exit = await runToExit([...base, '--downlink-listen', 'no-such-host.invalid:0']);
    assertOneLine(exit, 1, /--downlink-listen no-such-host\.invalid:0.*(ENOTFOUND|EAI_AGAIN)/);
  });

  test('with 1 and one line when the lmdb directory cannot be created (lmdb:/proc/nope), in bounded time', { timeout: 60_000 }, async () => {
    const exit = await runToExit([...base, '--store', 'lmdb:/proc/nope']);
    assertOneLine(exit, 1, /--store.*lmdb:\/proc\/nope/);
  });

  test('with 2 and one line naming --tls-cert when the certificate is no PEM', { timeout: 60_000 }, async () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'this is not a certificate\n');
    const exit = await runToExit([...base, '--tls-cert', garbage, '--tls-key', 'test/fixtures/tls/server-key.pem']);
    assertOneLine(exit, 2, /^onem2m-ws-bridge: --tls-cert: /);
  });

  test('with 2 and one line naming --tls-key when the key is no PEM', { timeout: 60_000 }, async () => {
    const garbage = join(dir, 'garbage-key.pem');
    writeFileSync(garbage, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n');
    const exit = await runToExit([...base, '--tls-cert', 'test/fixtures/tls/server.pem', '--tls-key', garbage]);
    assertOneLine(exit, 2, /^onem2m-ws-bridge: --tls-key: /);
  });

  test('with 2 and one line naming --tls-key when the key does not belong to the certificate', { timeout: 60_000 }, async () => {
    const exit = await runToExit([...base, '--tls-cert', 'test/fixtures/tls/server.pem', '--tls-key', 'test/fixtures/tls/client-a-key.pem']);
    assertOneLine(exit, 2, /^onem2m-ws-bridge: --tls-key: .*does not match/);
  });

  test('with 2 and one line naming --max-message-size when it is 0 (it would switch the limit off)', { timeout: 60_000 }, async () => {
    const exit = await runToExit([...base, '--max-message-size', '0']);
    assertOneLine(exit, 2, /^onem2m-ws-bridge: --max-message-size: /);
  });
});

describe('a bridge process that can start', { timeout: 60_000 }, () => {
  test('starts on lmdb:DIR whose name has a dot (lmdb-js would take it for a file) and stops with 0 on SIGTERM', async () => {
    const cse = await startFakeCse();
    const dir = mkdtempSync(join(tmpdir(), 'bridge-startup-dot-'));
    try {
      const child = await spawnBridge(['--upstream', cse.url, '--store', `lmdb:${join(dir, 'bridge.data')}`, '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0']);
      assert.equal(await connectOutcome(child.ports.admin), 'connected');
      child.proc.kill('SIGTERM');
      assert.deepEqual(await child.exited, { code: 0, signal: null });
    } finally {
      await cse.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createBridge().start() is all or nothing', () => {
  let cse: FakeCse;
  let dir: string;
  before(async () => {
    cse = await startFakeCse();
    dir = mkdtempSync(join(tmpdir(), 'bridge-start-'));
  });
  after(async () => {
    await cse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a certificate/key pair that does not fit (unchecked by an embedder) is a config StartError naming --tls-cert, not a TLS stack', () => {
    assert.throws(
      () => createBridge(testConfig(cse.url, { tlsCert: 'test/fixtures/tls/server.pem', tlsKey: 'test/fixtures/tls/client-a-key.pem' })),
      (err: unknown) => {
        assert.ok(err instanceof StartError, String(err));
        assert.equal(err.kind, 'config');
        assert.match(err.message, /^--tls-cert\/--tls-key: /);
        return true;
      },
    );
  });

  test('when the public port is taken, start() rejects naming --listen and leaves neither the other doors listening nor the store open', async () => {
    const held = await holdPort();
    try {
      const [downlink, admin] = [await freePort(), await freePort()];
      const bridge = createBridge(testConfig(cse.url, {
        store: `lmdb:${join(dir, 'data')}`,
        listen: { host: '127.0.0.1', port: held.port },
        downlinkListen: { host: '127.0.0.1', port: downlink },
        adminListen: { host: '127.0.0.1', port: admin },
      }));
      await assert.rejects(bridge.start(), (err: unknown) => {
        assert.ok(err instanceof StartError, String(err));
        assert.equal(err.kind, 'environment');
        assert.equal(err.setting, '--listen');
        assert.match(err.message, new RegExp(`^--listen 127\\.0\\.0\\.1:${held.port}: .*EADDRINUSE`));
        return true;
      });
      assert.equal(await connectOutcome(downlink), 'ECONNREFUSED', 'the downlink door is not left listening');
      assert.equal(await connectOutcome(admin), 'ECONNREFUSED', 'the admin door is not left listening');
      assert.equal(bridge.store.available(), false, 'the store is closed again');
      assert.equal(bridge.addresses, undefined);
      await bridge.stop(); // harmless after a failed start
    } finally {
      await new Promise<void>((resolve) => held.server.close(() => resolve()));
    }
  });
});
