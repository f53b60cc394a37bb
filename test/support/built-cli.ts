// The CLI as it ships: `node dist/cli/main.js`, compiled by
// `tsc -p tsconfig.build.json` once for the source as it is now, instead of
// `tsx` compiling src/ again in every spawned process.
//
// The build goes to <tmpdir>/onem2m-ws-bridge-built-<hash of src and configs>,
// so test files running in parallel (node --test runs each in its own process)
// and later runs of the same source share one build; a changed source gets a
// new one. A lock directory (mkdir is atomic) lets exactly one process build;
// the others wait for its `ready` marker. The build root carries a copy of
// package.json ("type": "module") and a symlink to this checkout's
// node_modules, so the compiled files resolve their dependencies as dist/ does.
// It is world-readable: test/fault/store.test.ts runs it as uid 65534.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './wait.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** A build that takes longer than this is taken to be dead (its lock is broken). */
const BUILD_BOUND_MS = 180_000;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else out.push(path);
  }
  return out.sort();
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of [join(REPO, 'package.json'), join(REPO, 'tsconfig.json'), join(REPO, 'tsconfig.build.json'), ...sourceFiles(join(REPO, 'src'))]) {
    hash.update(relative(REPO, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function build(root: string): void {
  const staging = `${root}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o755 });
  const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(staging, 'dist')], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`building the CLI failed (${r.error?.message ?? `tsc exit ${r.status}`}):\n${r.stdout}${r.stderr}`);
  }
  copyFileSync(join(REPO, 'package.json'), join(staging, 'package.json'));
  symlinkSync(realpathSync(join(REPO, 'node_modules')), join(staging, 'node_modules'), 'dir');
  writeFileSync(join(staging, 'ready'), '');
  rmSync(root, { recursive: true, force: true });
  renameSync(staging, root);
}

let built: string | undefined;

/** Path of the compiled `dist/cli/main.js` for the current source; builds it (once across processes) when needed. */
export async function builtCli(): Promise<string> {
  if (built !== undefined) return built;
  const root = join(tmpdir(), `onem2m-ws-bridge-built-${sourceHash()}`);
  const main = join(root, 'dist', 'cli', 'main.js');
  const ready = join(root, 'ready');
  const lock = `${root}.lock`;
  while (!existsSync(ready)) {
    try {
      mkdirSync(lock);
    } catch {
      // another test process builds: wait for its marker, or break a lock whose builder died
      try {
        if (Date.now() - statSync(lock).mtimeMs > BUILD_BOUND_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // the lock went away meanwhile
      }
      await waitUntil(() => existsSync(ready) || !existsSync(lock), BUILD_BOUND_MS, `the CLI build in ${root}`);
      continue;
    }
    try {
      if (!existsSync(ready)) build(root);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  built = main;
  return main;
}

/** `node <built main.js> ...args`: the argv for spawn(process.execPath, ...). */
export async function cliArgs(...args: string[]): Promise<string[]> {
  return [await builtCli(), ...args];
}
