// The import graph of src/ (issue 18): no circle, no import that reaches up a
// layer (primitive < ws, http, store, metrics, config < cluster < bridge <
// admin, uplink-mode, cli), the client library standing apart. The checker
// is scripts/import-layers.ts; the first tests show it sees what it must.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importProblems, importSpecifiers } from '../../scripts/import-layers.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
const scratch = mkdtempSync(join(tmpdir(), 'layers-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const root = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('the checker reads every form of import a module can have', () => {
  const specs = importSpecifiers(
    [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "import c, { d } from './c.js';",
      "import * as e from './e.js';",
      "export { f } from './f.js';",
      "export type { G } from './g.js';",
      "import {\n  h,\n  i,\n} from './h.js';",
      "import './side-effect.js';",
      "const j = await import('./j.js');",
      "import { k } from 'node:fs';",
    ].join('\n'),
  );
  assert.deepEqual(specs.sort(), ['../b/b.js', './a.js', './c.js', './e.js', './f.js', './g.js', './h.js', './j.js', './side-effect.js'].sort());
});

test('the checker finds a circle, an upward import and a client that reaches into the bridge', () => {
  const root = tree('bad', {
    'primitive/a.ts': "import { b } from './b.js';\nexport const a = 1;\n",
    'primitive/b.ts': "import { a } from './a.js';\nexport const b = 2;\n",
    'config/c.ts': "import type { D } from '../bridge/d.js';\nexport const c = 3;\n",
    'bridge/d.ts': 'export type D = number;\n',
    'client/e.ts': "import { c } from '../config/c.js';\nexport const e = 5;\n",
    'elsewhere/f.ts': 'export const f = 6;\n',
  });
  const found = importProblems(root);
  assert.deepEqual(found.circles, [['primitive/a.ts', 'primitive/b.ts']]);
  assert.equal(found.upward.length, 2, found.upward.join('\n'));
  assert.match(found.upward.join('\n'), /config\/c\.ts → bridge\/d\.ts/);
  assert.match(found.upward.join('\n'), /client\/e\.ts → config\/c\.ts/);
  assert.deepEqual(found.unplaced, ['elsewhere/f.ts']);
});

test('a tree that keeps its layers passes', () => {
  const root = tree('good', {
    'primitive/a.ts': 'export const a = 1;\n',
    'config/c.ts': "import { a } from '../primitive/a.js';\nexport const c = a;\n",
    'bridge/d.ts': "import { c } from '../config/c.js';\nexport const d = c;\n",
    'bridge/bridge.ts': "import { g } from '../admin/g.js';\nexport const root = g;\n",
    'admin/g.ts': "import { d } from '../bridge/d.js';\nexport const g = d;\n",
  });
  assert.deepEqual(importProblems(root), { circles: [], upward: [], unplaced: [] });
});

test('src/ has no import circle and no import from a lower layer into a higher one', () => {
  const found = importProblems(SRC);
  assert.deepEqual(found.circles, [], `import circles:\n${found.circles.map((c) => [...c, c[0]].join(' → ')).join('\n')}`);
  assert.deepEqual(found.upward, [], `upward imports:\n${found.upward.join('\n')}`);
  assert.deepEqual(found.unplaced, [], `files in a folder without a layer (place it in scripts/import-layers.ts):\n${found.unplaced.join('\n')}`);
});
