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

/**
 * The error codes and their rsc as docs/errors.md publishes them (clients and
 * log queries match on them): literals, so a renamed code or a changed rsc
 * fails here even when the catalog and its doc row move together.
 */
const PUBLISHED_ERRORS: ReadonlyArray<readonly [code: string, rsc: number]> = [
  ['BRIDGE_ERR_BAD_PRIMITIVE', 4000],
  ['BRIDGE_ERR_UNSUPPORTED_MEDIA_TYPE', 4015],
  ['BRIDGE_ERR_NOT_REGISTERED', 4103],
  ['BRIDGE_ERR_FOREIGN_ORIGINATOR', 4103],
  ['BRIDGE_ERR_IDENTITY', 4103],
  ['BRIDGE_ERR_ID_HELD', 4103],
  ['BRIDGE_ERR_PASSTHROUGH_IDENTITY', 4103],
  ['BRIDGE_ERR_TOO_MANY_IN_FLIGHT', 5000],
  ['BRIDGE_ERR_RATE_LIMITED', 5000],
  ['BRIDGE_ERR_UPSTREAM_REFUSED', 5103],
  ['BRIDGE_ERR_UPSTREAM_RESET', 5103],
  ['BRIDGE_ERR_UPSTREAM_TIMEOUT', 4008],
  ['BRIDGE_ERR_UPSTREAM_BAD_RESPONSE', 5000],
  ['BRIDGE_ERR_UPSTREAM_OTHER', 5103],
  ['BRIDGE_ERR_UNKNOWN_KEY', 4004],
  ['BRIDGE_ERR_REGISTREE_GONE', 5103],
  ['BRIDGE_ERR_REGISTREE_TIMEOUT', 4008],
  ['BRIDGE_ERR_REGISTREE_BUSY', 5103],
  ['BRIDGE_ERR_OFFLINE_NOT_STORED', 5103],
  ['BRIDGE_ERR_OFFLINE_EXPIRED', 4008],
  ['BRIDGE_ERR_QUEUE_FULL', 5103],
  ['BRIDGE_ERR_STORE', 5000],
  ['BRIDGE_ERR_STORE_UNAVAILABLE', 5103],
  ['BRIDGE_ERR_ROUTE_TIMEOUT', 4008],
  ['BRIDGE_ERR_XML_ENCODE', 5207],
  ['BRIDGE_ERR_ENCODE', 5000],
  ['BRIDGE_ERR_INTERNAL', 5000],
  ['BRIDGE_ERR_CONFIG', 5000],
];

test('every published error code is still in the catalog with the same rsc', () => {
  const catalog: Readonly<Record<string, { rsc: number }>> = ERRORS;
  for (const [code, rsc] of PUBLISHED_ERRORS) assert.equal(catalog[code]?.rsc, rsc, code);
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
