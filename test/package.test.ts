// The package as npm sees it (issue 17.5, issue 21.6), in a copy of the
// repository so parallel tests never see dist/ half written: `npm start`
// builds once and then only when a source changed, and `npm pack` holds the
// CLI, the library and its types. No network: the copy uses this checkout's
// node_modules, and pack runs with --dry-run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, test } from 'node:test';

const ROOT = process.cwd();
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string>; exports: Record<string, { types: string; default: string }>; scripts: Record<string, string> };
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'data']);

let copy = '';

before(() => {
  copy = mkdtempSync(join(tmpdir(), 'package-'));
  cpSync(ROOT, copy, { recursive: true, filter: (src) => { const top = relative(ROOT, src).split(sep)[0]; return !NOT_COPIED.has(top) && !src.endsWith('.tsbuildinfo'); } });
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(copy, 'node_modules'), 'dir');
});
after(() => rmSync(copy, { recursive: true, force: true }));

function npm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('npm', args, { cwd: copy, encoding: 'utf8' });
}

/** Every file under dist/ with its modification time. */
function distMtimes(): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else out.set(relative(copy, path), statSync(path).mtimeMs);
    }
  };
  walk(join(copy, 'dist'));
  return out;
}

test('npm start builds dist/ the first time; a second start with nothing changed rewrites nothing; a changed source is built again', () => {
  const first = npm(['start', '--silent', '--', '--version']);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout.trim().split('\n').at(-1), PACKAGE.version);
  const built = distMtimes();
  assert.ok(built.has(join('dist', 'cli', 'main.js')), 'npm start built the CLI');

  const second = npm(['start', '--silent', '--', '--version']);
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout.trim().split('\n').at(-1), PACKAGE.version);
  const after = distMtimes();
  assert.deepEqual([...after.keys()].sort(), [...built.keys()].sort());
  const rewritten = [...built].filter(([file, mtime]) => after.get(file) !== mtime).map(([file]) => file);
  assert.deepEqual(rewritten, [], 'nothing in dist/ was rewritten by the second start');

  appendFileSync(join(copy, 'src', 'version.ts'), '\n// changed\n');
  const third = npm(['start', '--silent', '--', '--version']);
  assert.equal(third.status, 0, third.stderr);
  assert.match(readFileSync(join(copy, 'dist', 'version.js'), 'utf8'), /\/\/ changed/, 'the changed source was built');
});

test('npm pack holds the CLI (with its shebang), the library, the types, README, LICENSE and CHANGELOG, and nothing of src/, test/ or the build state', () => {
  assert.equal(PACKAGE.scripts.prepare, 'npm run build', 'prepare builds dist/, so installs from git and npm ci build it');
  // dist/ is there from the test above; --ignore-scripts keeps pack from building here.
  const r = npm(['pack', '--dry-run', '--json', '--ignore-scripts']);
  assert.equal(r.status, 0, r.stderr);
  const [pack] = JSON.parse(r.stdout) as { files: { path: string; mode: number }[] }[];
  const files = new Set(pack.files.map((f) => f.path));
  const wanted = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/client/index.js', 'dist/client/index.d.ts', 'dist/version.js'];
  for (const target of [...Object.values(PACKAGE.bin), ...Object.values(PACKAGE.exports).flatMap((e) => [e.types, e.default])]) wanted.push(target.replace(/^\.\//, ''));
  for (const path of wanted) assert.ok(files.has(path), `the package holds ${path}`);
  for (const path of files) assert.doesNotMatch(path, /^(src|test|bench|deploy|examples|node_modules)\/|\.tsbuildinfo$/, `the package holds ${path}`);
  for (const bin of Object.values(PACKAGE.bin)) assert.match(readFileSync(join(copy, bin), 'utf8'), /^#!\/usr\/bin\/env node\n/, `${bin} runs as a command`);
  const fromDist = spawnSync(process.execPath, [join(copy, PACKAGE.bin['onem2m-ws-bridge']), '-v'], { encoding: 'utf8' });
  assert.equal(fromDist.stdout, `${PACKAGE.version}\n`, 'the built CLI reads its version from the package');
});
