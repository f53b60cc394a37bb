// --admin-token-file (issue 12.6): the admin token read from a file, the way a
// mounted Kubernetes Secret or a compose secret provides it. Real files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import request from 'supertest';
import { loadConfig, loadConfigWithSources, printConfig } from '../../src/config/config.js';
import { startBridge } from '../support/harness.js';
import { problems } from '../support/config-problems.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as shipped (node dist/cli/main.js), built once for this source. */
const CLI = await builtCli();

const dir = mkdtempSync(join(tmpdir(), 'admin-token-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('--admin-token-file and BRIDGE_ADMIN_TOKEN_FILE read the token, without the trailing newline a Secret or `openssl rand` leaves', () => {
  const path = file('token', 'c2VjcmV0LXRva2Vu\n');
  assert.equal(loadConfig(['--admin-token-file', path], {}).adminToken, 'c2VjcmV0LXRva2Vu');
  assert.equal(loadConfig([], { BRIDGE_ADMIN_TOKEN_FILE: path }).adminToken, 'c2VjcmV0LXRva2Vu');
  assert.equal(loadConfig([], { BRIDGE_ADMIN_TOKEN: 'from-env' }).adminToken, 'from-env');
  assert.equal(loadConfig([], {}).adminToken, '');
});

test('a missing or empty token file, or both a token and a file, is refused naming --admin-token-file', () => {
  const missing = problems(['--admin-token-file', join(dir, 'nope')]);
  assert.equal(missing.length, 1);
  assert.match(missing[0], /^--admin-token-file: cannot read .*nope: ENOENT$/);
  const empty = problems(['--admin-token-file', file('empty', ' \n')]);
  assert.equal(empty.length, 1);
  assert.match(empty[0], /^--admin-token-file: .* is empty$/);
  const both = problems(['--admin-token', 'a', '--admin-token-file', file('both', 'b')]);
  assert.equal(both.length, 1);
  assert.match(both[0], /^--admin-token-file: give either --admin-token or --admin-token-file, not both$/);
});

test('--print-config=masked never shows the token; --print-config shows a flag\'s token and never a file\'s (the file setting carries it)', () => {
  const path = file('printed', 'tok-from-file-71c2\n');
  for (const argv of [['--admin-token', 'tok-from-flag-93ab'], ['--admin-token-file', path]]) {
    const { config, sources } = loadConfigWithSources(argv, {});
    const text = printConfig(config, sources, { masked: true });
    assert.ok(!text.includes('tok-from-'), text);
    assert.match(text, /^admin-token-file: /m);
  }
  const fromFlag = loadConfigWithSources(['--admin-token', 'tok-from-flag-93ab'], {});
  assert.match(printConfig(fromFlag.config, fromFlag.sources), /^admin-token: "tok-from-flag-93ab"  # flag$/m);
  const fromFile = loadConfigWithSources(['--admin-token-file', path], {});
  const text = printConfig(fromFile.config, fromFile.sources);
  assert.ok(!text.includes('tok-from-file'), text);
  assert.match(text, /^admin-token: ""/m);
});

test('the CLI exits 2 with one line naming --admin-token-file when the file cannot be read', () => {
  const r = spawnSync(process.execPath, [CLI, '--admin-token-file', join(dir, 'absent')], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /--admin-token-file: cannot read .*absent: ENOENT/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('a token read from a file guards the admin door of a real bridge', async () => {
  const { adminToken } = loadConfig(['--admin-token-file', file('door', 'door-token\n')], {});
  const run = await startBridge({ adminToken });
  try {
    const admin = `http://127.0.0.1:${run.addresses.admin.port}`;
    await request(admin).get('/api/registrees').expect(401);
    await request(admin).get('/api/registrees').set('Authorization', 'Bearer door-token').expect(200);
  } finally {
    await run.stop();
  }
});
