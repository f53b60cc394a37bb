// The import graph of src/: circles and imports that reach up a layer
// (issue 18). Layers, lowest first: primitive (and the root helpers errors,
// redact, version) < ws, http, store, metrics, config, log.ts < cluster <
// bridge < admin, uplink-mode, cli < index.ts. A folder imports its own layer
// or lower ones. Two exceptions, both named here:
// - the composition root (bridge/bridge.ts and the wiring files it is split
//   into) builds every part, the admin door and uplink mode included, so it
//   sits with admin, uplink-mode and cli (only they and index.ts use it);
// - the client library stands apart: it uses only primitive/, ws/ and the
//   root helpers; code from the ws layer up may use it (uplink mode does).
// Run: npx tsx scripts/import-layers.ts [src-dir]   (exit 1 when anything is found)
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const LAYERS: Readonly<Record<string, number>> = {
  primitive: 0,
  errors: 0,
  redact: 0,
  version: 0,
  ws: 1,
  http: 1,
  store: 1,
  metrics: 1,
  config: 1,
  log: 1,
  client: 1,
  cluster: 2,
  bridge: 3,
  admin: 4,
  'uplink-mode': 4,
  cli: 4,
  index: 5,
};
/** The composition root: wires every part together (layer of admin, uplink-mode, cli). */
export const COMPOSITION_ROOT: ReadonlySet<string> = new Set(['bridge/bridge.ts']);
const COMPOSITION_LAYER = 4;
/** What the client library may import. */
const CLIENT_MAY_USE = new Set(['client', 'primitive', 'ws', 'errors', 'redact', 'version']);

export interface ImportProblems {
  /** Each circle as the files on it (relative to the source folder), each importing the next, the last the first. */
  circles: string[][];
  /** `from → to` lines for imports that reach up a layer or into the client from elsewhere. */
  upward: string[];
  /** Files in a folder no layer is given for (each must be placed in LAYERS). */
  unplaced: string[];
}

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)\s+from\s+['"]([^'"]+)['"]/gm;
const BARE_IMPORT = /^\s*import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The relative specifiers a module imports (packages and node: modules are not followed). */
export function importSpecifiers(text: string): string[] {
  const specs: string[] = [];
  for (const re of [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT]) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) if (m[1].startsWith('.')) specs.push(m[1]);
  }
  return specs;
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** The folder (or root module name) a file belongs to; the composition root is a unit of its own. */
function unitOf(rel: string): string {
  const parts = rel.split(sep);
  if (COMPOSITION_ROOT.has(parts.join('/'))) return 'composition';
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '');
}

function layerOf(unit: string): number | undefined {
  return unit === 'composition' ? COMPOSITION_LAYER : LAYERS[unit];
}

/** The shortest import path from the first file (by name) of a component back to it. */
function shortestCycle(graph: Map<string, string[]>, members: ReadonlySet<string>): string[] {
  const start = [...members].sort()[0];
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const next of graph.get(queue[i]) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [queue[i]];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0])!);
        return path;
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, queue[i]);
        queue.push(next);
      }
    }
  }
  return [start];
}

/** One circle per strongly connected component with more than one file, or a file importing itself (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(shortestCycle(graph, new Set(scc)));
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indexOf.has(v)) visit(v);
  return found;
}

export function importProblems(srcDir: string): ImportProblems {
  const root = resolve(srcDir);
  const graph = new Map<string, string[]>();
  const upward: string[] = [];
  const unplaced = new Set<string>();
  for (const file of sourceFiles(root).sort()) {
    const rel = relative(root, file);
    const unit = unitOf(rel);
    if (layerOf(unit) === undefined) unplaced.add(rel);
    const targets: string[] = [];
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const target = resolveImport(file, spec);
      if (target === undefined || !target.startsWith(root + sep)) continue;
      const targetRel = relative(root, target);
      targets.push(targetRel);
      const targetUnit = unitOf(targetRel);
      if (targetUnit === unit) continue;
      const line = `${rel} → ${targetRel}`;
      const from = layerOf(unit);
      const to = layerOf(targetUnit);
      if (unit === 'client' && !CLIENT_MAY_USE.has(targetUnit)) upward.push(`${line} (the client library uses only primitive/, ws/ and the root helpers)`);
      else if (from !== undefined && to !== undefined && to > from) upward.push(`${line} (${unit} is below ${targetUnit})`);
    }
    graph.set(rel, targets);
  }
  return { circles: circles(graph), upward, unplaced: [...unplaced] };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const { circles: found, upward, unplaced } = importProblems(dir);
  for (const c of found) console.log(`circle: ${[...c, c[0]].join(' → ')}`);
  for (const u of upward) console.log(`upward: ${u}`);
  for (const u of unplaced) console.log(`no layer: ${u}`);
  if (found.length + upward.length + unplaced.length === 0) console.log('no circle, no upward import');
  process.exitCode = found.length + upward.length + unplaced.length === 0 ? 0 : 1;
}
