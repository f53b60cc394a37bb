// docs/errors.md documents every error code the bridge produces, with its rsc.
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { helpText } from '../src/config/config.js';
import { ERRORS } from '../src/errors.js';
import { httpStatusForRsc } from '../src/http/rsc-status.js';

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

test('every catalogued error code has a row in docs/errors.md with its rsc and HTTP status', async () => {
  const doc = await readFile('docs/errors.md', 'utf8');
  for (const [code, { rsc }] of Object.entries(ERRORS)) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    assert.ok(row, `${code} is missing from docs/errors.md`);
    const cells = row.split('|').map((c) => c.trim());
    assert.equal(cells[2], String(rsc), `${code}: rsc`);
    if (code !== 'BRIDGE_ERR_CONFIG') assert.equal(cells[3], String(httpStatusForRsc(rsc)), `${code}: HTTP status`);
  }
});

test('every error code used in src is in the catalog', async () => {
  const used = new Set<string>();
  for (const file of await sources('src')) {
    for (const m of (await readFile(file, 'utf8')).matchAll(/'(BRIDGE_ERR_[A-Z_]+)'/g)) used.add(m[1]);
  }
  for (const kind of ['refused', 'timeout', 'reset', 'bad_response', 'other']) used.add(`BRIDGE_ERR_UPSTREAM_${kind.toUpperCase()}`);
  for (const code of used) assert.ok(code in ERRORS, `${code} is used in src but not in ERRORS`);
});

test('every setting of --help is documented in README.md', async () => {
  const readme = await readFile('README.md', 'utf8');
  const flags = [...new Set([...helpText().matchAll(/^\s+--([a-z][a-z0-9-]+)/gm)].map((m) => m[1]))];
  assert.ok(flags.length > 40, `found ${flags.length} flags in --help`);
  assert.deepEqual(flags.filter((f) => !new RegExp(`--${f}(?![a-z0-9-])`).test(readme)), []);
});
