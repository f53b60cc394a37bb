// --version / -v and the start line carry the version of package.json (issue 17.6).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { spawnBridge } from '../support/bridge-process.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as it ships (node dist/cli/main.js), built once per source state. */
const CLI = await builtCli();

const PACKAGE_VERSION: string = JSON.parse(readFileSync('package.json', 'utf8')).version;

test('--version and -v print the version of package.json and exit 0, whatever else is on the line', () => {
  assert.match(PACKAGE_VERSION, /^\d+\.\d+\.\d+/);
  for (const args of [['--version'], ['-v'], ['--store', 'memory', '-v']]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, `${PACKAGE_VERSION}\n`, args.join(' '));
    assert.equal(r.stderr, '');
  }
});

test('--help and -h print the same help alone (answered before the settings parser loads) and with settings on the line', () => {
  const outputs = [['--help'], ['-h'], ['--store', 'memory', '--help']].map((args) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    return r.stdout;
  });
  assert.match(outputs[0], /--upstream/);
  assert.match(outputs[0], /BRIDGE_UPSTREAM/);
  assert.equal(outputs[1], outputs[0]);
  assert.equal(outputs[2], outputs[0]);
});

test('the "bridge listening" line carries the version', async () => {
  const bridge = await spawnBridge(['--store', 'memory', '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:9']);
  try {
    const line = bridge.logs.find((l) => l.msg === 'bridge listening');
    assert.equal(line?.version, PACKAGE_VERSION);
  } finally {
    bridge.proc.kill('SIGTERM');
    await bridge.exited;
  }
});
