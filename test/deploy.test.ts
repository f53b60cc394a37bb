// deploy/ (Dockerfile, Kubernetes shapes, compose) checked against the
// bridge's own settings schema: ports, probe paths, BRIDGE_* variables and
// their values, the downlink URL of each shape, and the doors that must never
// be public. Nothing here needs Docker or a cluster: the files are parsed.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ConfigError, SETTINGS, envName, loadConfig } from '../src/config/config.js';
import type { BridgeConfig } from '../src/config/config.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOY = join(ROOT, 'deploy');
const KUBERNETES = join(DEPLOY, 'kubernetes');
const COMPOSE_FILE = join(DEPLOY, 'compose', 'docker-compose.yaml');
const SHAPES = ['standalone', 'sidecar', 'cluster'] as const;

const DEFAULTS = loadConfig([], {});
const PORTS = { public: DEFAULTS.listen.port, downlink: DEFAULTS.downlinkListen.port, admin: DEFAULTS.adminListen.port };
const SETTING_ENV_NAMES = new Set(SETTINGS.map((s) => envName(s)));
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const ANY_ADDRESS = new Set(['0.0.0.0', '::']);

// Manifests are untyped data; the checks below look at the fields they need.
type Doc = any;

interface Manifest {
  file: string;
  /** Directory under deploy/kubernetes (the shape), or '' for other YAML. */
  shape: string;
  doc: Doc;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

function parseYamlFile(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: Doc[] = [];
  for (const d of docs) {
    assert.deepEqual(d.errors.map((e) => e.message), [], `${relative(ROOT, file)} does not parse`);
    const value: unknown = d.toJSON();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

const MANIFESTS: Manifest[] = yamlFiles(KUBERNETES).flatMap((file) => {
  const shape = relative(KUBERNETES, file).split(sep)[0];
  return parseYamlFile(file).map((doc) => ({ file: relative(ROOT, file), shape, doc }));
});

const COMPOSE: Doc = parseYamlFile(COMPOSE_FILE)[0];

// ---------------------------------------------------------------- Dockerfile

interface Instruction {
  op: string;
  args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerfile(): Instruction[] {
  const lines = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*#/.test(l));
  const out: Instruction[] = [];
  let current = '';
  for (const line of lines) {
    if (line.trimEnd().endsWith('\\')) {
      current += line.trimEnd().slice(0, -1) + ' ';
      continue;
    }
    current += line;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(current);
    if (m !== null) out.push({ op: m[1].toUpperCase(), args: m[2].trim() });
    current = '';
  }
  return out;
}

const DOCKERFILE = dockerfile();
/** Instructions of the last stage: what the image runs with. */
const RUNTIME = DOCKERFILE.slice(DOCKERFILE.map((i) => i.op).lastIndexOf('FROM'));

function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of RUNTIME.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S+)/g)) env[m[1]] = m[3] ?? m[2];
  }
  return env;
}

const IMAGE_ENV = imageEnv();

// ------------------------------------------------------------------ helpers

function bridgeEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('BRIDGE_')));
}

function isRedisStore(value: string | undefined): boolean {
  return value !== undefined && /^rediss?:\/\//i.test(value);
}

/** Stands for what a Secret holds: the files here never hold the token itself. */
const STAND_IN_SECRET = 'stand-in-for-the-secret-value';

/** Reads a file the way the bridge in a container would: only files a Secret provides there exist. */
function secretReader(provides: (path: string) => boolean): (path: string) => string {
  return (path) => {
    if (provides(path)) return STAND_IN_SECRET;
    throw Object.assign(new Error(`${path}: no Secret provides it`), { code: 'ENOENT' });
  };
}

/** A file some Secret provides to some bridge container (Kubernetes or compose). */
const ANY_SECRET_FILE = secretReader((path) => BRIDGES.some((b) => secretBehind(b, path) !== undefined) || composeSecretBehind(COMPOSE.services.bridge, path) !== undefined);

/**
 * The configuration a container starts with: the image's ENV overlaid by its
 * own. A redis:// store is refused by today's release (checked on its own in
 * the BRIDGE_* test); for the other settings it is replaced by `memory`.
 */
function effectiveConfig(env: Record<string, string>, read: (path: string) => string = ANY_SECRET_FILE): BridgeConfig {
  const merged = { ...bridgeEnv(IMAGE_ENV), ...bridgeEnv(env) };
  if (isRedisStore(merged.BRIDGE_STORE)) merged.BRIDGE_STORE = 'memory';
  return loadConfig([], merged, read);
}

function isBridgeImage(image: unknown): boolean {
  return typeof image === 'string' && /(^|\/)onem2m-ws-bridge(:|@|$)/.test(image);
}

/** Stands for the value of a Secret key given to a container as a variable. */
function standInSecretValue(ref: { name: string; key: string }): string {
  return `stand-in-${ref.name}-${ref.key}`.replace(/[^a-z0-9-]/gi, '-');
}

function containerEnv(container: Doc): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    // The pod's own name (e.g. --replica-id): stands for a name Kubernetes fills in.
    const field: unknown = e.valueFrom?.fieldRef?.fieldPath;
    if (field === 'metadata.name') {
      env[e.name] = 'onem2m-ws-bridge-7c9d5-x2k4q';
      continue;
    }
    const secret = e.valueFrom?.secretKeyRef;
    if (secret !== undefined) {
      assert.ok(!String(e.name).startsWith('BRIDGE_'), `env ${e.name} of container ${container.name}: a Secret goes into a variable of its own, used as $(NAME)`);
      env[e.name] = standInSecretValue(secret);
      continue;
    }
    assert.equal(typeof e.value, 'string', `env ${e.name} of container ${container.name} needs a literal string value`);
    // Kubernetes expands $(NAME) of a variable defined before it.
    env[e.name] = String(e.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
  }
  return env;
}

interface BridgeContainer {
  m: Manifest;
  workload: Doc;
  podLabels: Record<string, string>;
  container: Doc;
  env: Record<string, string>;
}

const WORKLOADS = MANIFESTS.filter((m) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(m.doc.kind));

const BRIDGES: BridgeContainer[] = WORKLOADS.flatMap((m) =>
  (m.doc.spec.template.spec.containers as Doc[])
    .filter((c) => isBridgeImage(c.image))
    .map((container) => ({ m, workload: m.doc, podLabels: m.doc.spec.template.metadata.labels ?? {}, container, env: containerEnv(container) })),
);

interface SecretFile {
  /** The Secret (Kubernetes) or top-level secret (compose). */
  secret: string;
  /** Its key (Kubernetes); compose secrets have one value. */
  key: string;
  mount: Doc;
  volume: Doc;
}

/** The Secret volume and key behind a file path in a bridge container, or undefined. */
function secretBehind(b: BridgeContainer, path: string): SecretFile | undefined {
  for (const mount of (b.container.volumeMounts ?? []) as Doc[]) {
    const dir = String(mount.mountPath).replace(/\/+$/, '');
    // A subPath mount is never updated when the Secret is: not how a token is mounted here.
    if (mount.subPath !== undefined || !path.startsWith(`${dir}/`)) continue;
    const volume = ((b.workload.spec.template.spec.volumes ?? []) as Doc[]).find((v) => v.name === mount.name);
    if (volume?.secret === undefined) continue;
    const file = path.slice(dir.length + 1);
    const items = volume.secret.items as Doc[] | undefined;
    const key = items === undefined ? file : items.find((i) => i.path === file)?.key;
    if (key !== undefined) return { secret: volume.secret.secretName, key, mount, volume };
  }
  return undefined;
}

/** Compose: the secret a service sees at `path` (/run/secrets/<target>), or undefined. */
function composeSecretBehind(service: Doc, path: string): string | undefined {
  for (const ref of (service?.secrets ?? []) as Doc[]) {
    const source: string = typeof ref === 'string' ? ref : ref.source;
    const target: string = typeof ref === 'string' ? ref : (ref.target ?? ref.source);
    if ((target.startsWith('/') ? target : `/run/secrets/${target}`) === path) return source;
  }
  return undefined;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function ofKind(shape: string, kind: string): Manifest[] {
  return MANIFESTS.filter((m) => m.shape === shape && m.doc.kind === kind);
}

/** The bridge container port a Service/ServiceMonitor port reference lands on, or undefined. */
function bridgePort(b: BridgeContainer, ref: unknown): number | undefined {
  if (typeof ref === 'number') return (b.container.ports ?? []).some((p: Doc) => p.containerPort === ref) ? ref : undefined;
  const named = (b.container.ports ?? []).find((p: Doc) => p.name === ref);
  return named?.containerPort;
}

/** Bridge containers whose pods a Service selects. */
function selectedBridges(service: Manifest): BridgeContainer[] {
  return BRIDGES.filter((b) => b.m.shape === service.shape && selects(service.doc.spec.selector, b.podLabels));
}

function doorOf(port: number | undefined): keyof typeof PORTS | undefined {
  return (Object.keys(PORTS) as (keyof typeof PORTS)[]).find((d) => PORTS[d] === port);
}

// -------------------------------------------------------------------- tests

test('every shape has manifests, each YAML file under deploy/ parses, and each shape runs the bridge image', () => {
  for (const shape of SHAPES) {
    assert.ok(MANIFESTS.some((m) => m.shape === shape), `deploy/kubernetes/${shape}/ has no manifests`);
    assert.ok(BRIDGES.some((b) => b.m.shape === shape), `deploy/kubernetes/${shape}/ runs no onem2m-ws-bridge container`);
  }
  for (const m of MANIFESTS) {
    assert.equal(typeof m.doc.apiVersion, 'string', `${m.file}: a document without apiVersion`);
    assert.equal(typeof m.doc.kind, 'string', `${m.file}: a document without kind`);
    assert.equal(typeof m.doc.metadata?.name, 'string', `${m.file}: a ${m.doc.kind} without metadata.name`);
  }
  assert.ok(COMPOSE?.services?.bridge, 'docker-compose.yaml has a bridge service');
});

test('the bridge containers declare only the default door ports (8180 public, 8181 downlink, 9464 admin) under their door names', () => {
  assert.deepEqual(PORTS, { public: 8180, downlink: 8181, admin: 9464 });
  for (const b of BRIDGES) {
    const where = `${b.m.file} ${b.container.name}`;
    const ports = (b.container.ports ?? []) as Doc[];
    for (const p of ports) {
      assert.ok(p.name in PORTS, `${where}: port ${p.containerPort} must be named public, downlink or admin, not ${p.name}`);
      assert.equal(p.containerPort, PORTS[p.name as keyof typeof PORTS], `${where}: port ${p.name}`);
    }
    assert.ok(ports.some((p) => p.name === 'public'), `${where}: declares the public port`);
    assert.ok(ports.some((p) => p.name === 'admin'), `${where}: declares the admin port (probes, metrics)`);
  }
});

test('each bridge container listens where its ports are declared: on all interfaces for declared doors, on loopback otherwise', () => {
  for (const b of BRIDGES) {
    const where = `${b.m.file} ${b.container.name}`;
    const config = effectiveConfig(b.env);
    const doors = { public: config.listen, downlink: config.downlinkListen, admin: config.adminListen };
    for (const door of Object.keys(doors) as (keyof typeof doors)[]) {
      const hp = doors[door];
      assert.equal(hp.port, PORTS[door], `${where}: the ${door} door listens on its default port`);
      const declared = (b.container.ports ?? []).some((p: Doc) => p.name === door);
      if (declared) assert.ok(ANY_ADDRESS.has(hp.host), `${where}: ${door} is declared as a container port, so it must listen on 0.0.0.0, not ${hp.host}`);
      else assert.ok(LOOPBACK.has(hp.host), `${where}: ${door} is not a container port, so it must stay on loopback, not ${hp.host}`);
    }
  }
});

test('every probe of a bridge container is an HTTP GET on the admin port: readiness /readyz, liveness /healthz', () => {
  for (const b of BRIDGES) {
    const where = `${b.m.file} ${b.container.name}`;
    assert.ok(b.container.readinessProbe, `${where}: has a readinessProbe`);
    assert.ok(b.container.livenessProbe, `${where}: has a livenessProbe`);
    const expected: Record<string, string[]> = { readinessProbe: ['/readyz'], livenessProbe: ['/healthz'], startupProbe: ['/healthz', '/readyz'] };
    for (const [kind, paths] of Object.entries(expected)) {
      const probe = b.container[kind];
      if (probe === undefined) continue;
      assert.ok(probe.httpGet, `${where}: ${kind} is an httpGet`);
      assert.ok(paths.includes(probe.httpGet.path), `${where}: ${kind} path ${probe.httpGet.path} is one of ${paths.join(', ')}`);
      assert.equal(bridgePort(b, probe.httpGet.port), PORTS.admin, `${where}: ${kind} uses the admin port`);
    }
  }
});

test('every BRIDGE_* variable in the manifests, the compose file and the Dockerfile is a real setting with a value the bridge accepts', () => {
  const uses: { where: string; name: string; value: string }[] = [];
  for (const [name, value] of Object.entries(bridgeEnv(IMAGE_ENV))) uses.push({ where: 'deploy/Dockerfile', name, value });
  for (const m of WORKLOADS) {
    for (const c of m.doc.spec.template.spec.containers as Doc[]) {
      for (const [name, value] of Object.entries(bridgeEnv(containerEnv(c)))) uses.push({ where: `${m.file} ${c.name}`, name, value });
    }
  }
  for (const [service, def] of Object.entries(COMPOSE.services as Record<string, Doc>)) {
    for (const [name, value] of Object.entries(bridgeEnv(composeEnv(def)))) uses.push({ where: `docker-compose.yaml ${service}`, name, value });
  }
  assert.ok(uses.length > 0);
  let refusedRedis = 0;
  for (const { where, name, value } of uses) {
    assert.ok(SETTING_ENV_NAMES.has(name), `${where}: ${name} is not the env name of any setting`);
    if (name === 'BRIDGE_STORE' && isRedisStore(value)) {
      // The cluster shape's redis:// store needs the Redis store issue; today's
      // release refuses it at start. Allowed: either it is accepted (once the
      // store is built) or refused with exactly one problem, naming BRIDGE_STORE.
      try {
        loadConfig([], { [name]: value }, ANY_SECRET_FILE);
      } catch (err) {
        assert.ok(err instanceof ConfigError, `${where}: ${name}=${value} fails as a ConfigError`);
        assert.equal(err.problems.length, 1, `${where}: only the store is refused`);
        assert.match(err.problems[0], /^BRIDGE_STORE: .*redis/, `${where}: the refusal names BRIDGE_STORE`);
        refusedRedis++;
      }
      continue;
    }
    assert.doesNotThrow(() => loadConfig([], { [name]: value }, ANY_SECRET_FILE), `${where}: ${name}=${value} is refused by loadConfig`);
  }
  // Each shape's full environment, on top of the image's, is one valid configuration.
  for (const b of BRIDGES) assert.doesNotThrow(() => effectiveConfig(b.env), `${b.m.file} ${b.container.name}`);
  assert.doesNotThrow(() => effectiveConfig(composeEnv(COMPOSE.services.bridge)), 'docker-compose.yaml bridge');
  assert.ok(refusedRedis <= uses.filter((u) => isRedisStore(u.value)).length);
});

test('the Dockerfile EXPOSEs exactly the three door ports', () => {
  const exposed = RUNTIME.filter((i) => i.op === 'EXPOSE')
    .flatMap((i) => i.args.split(/\s+/))
    .map((p) => Number(p.replace(/\/tcp$/, '')))
    .sort((a, b) => a - b);
  assert.deepEqual(exposed, [PORTS.public, PORTS.downlink, PORTS.admin].sort((a, b) => a - b));
});

test('the Dockerfile builds on a supported Node LTS (22 or 24, bookworm-slim) that package.json\'s engines names, in two stages, as a non-root user', () => {
  const froms = DOCKERFILE.filter((i) => i.op === 'FROM');
  assert.ok(froms.length >= 2, 'multi-stage build');
  const engines: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node;
  for (const f of froms) {
    const m = /^node:(\d+)-bookworm-slim\b/.exec(f.args);
    assert.ok(m, `FROM ${f.args}: node:<major>-bookworm-slim`);
    // Node 20 left support in April 2026; 22 and 24 are the LTS lines.
    assert.ok(['22', '24'].includes(m[1]), `FROM ${f.args}: a supported LTS`);
    assert.match(engines, new RegExp(`(^|\\|\\|\\s)\\^${m[1]}\\.`), `engines "${engines}" names Node ${m[1]}, the image's`);
  }
  assert.ok(DOCKERFILE.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)), 'npm ci');
  assert.ok(DOCKERFILE.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)), 'npm run build');
  assert.ok(DOCKERFILE.some((i) => i.op === 'RUN' && /--omit=dev/.test(i.args)), 'dev dependencies are dropped');
  const users = RUNTIME.filter((i) => i.op === 'USER');
  assert.ok(users.length > 0, 'the runtime stage sets USER');
  const user = users[users.length - 1].args.split(':')[0];
  assert.ok(!['root', '0'].includes(user), `USER ${user} is not root`);
  // A numeric user lets Kubernetes' runAsNonRoot verify it.
  assert.match(user, /^\d+$/);
  for (const b of BRIDGES) {
    const uid = b.container.securityContext?.runAsUser ?? b.workload.spec.template.spec.securityContext?.runAsUser;
    if (uid !== undefined) assert.equal(String(uid), user, `${b.m.file}: runAsUser matches the image's USER`);
  }
});

test('the Dockerfile HEALTHCHECK fetches /healthz on the admin door with node', () => {
  const hc = RUNTIME.find((i) => i.op === 'HEALTHCHECK');
  assert.ok(hc, 'HEALTHCHECK is set');
  const cmd = /\bCMD\s+(\[.*\])\s*$/.exec(hc.args);
  assert.ok(cmd, 'HEALTHCHECK CMD in exec form');
  const argv = JSON.parse(cmd[1]) as string[];
  assert.equal(argv[0], 'node', 'no curl in the slim image');
  const admin = effectiveConfig({}).adminListen;
  assert.match(argv.join(' '), new RegExp(`http://127\\.0\\.0\\.1:${admin.port}/healthz`));
});

test("the Dockerfile's ENTRYPOINT runs dist/cli/main.js, the package's bin, with the store on the /data volume", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const bin = pkg.bin['onem2m-ws-bridge'].replace(/^\.\//, '');
  assert.equal(bin, 'dist/cli/main.js');
  const entry = RUNTIME.find((i) => i.op === 'ENTRYPOINT');
  assert.ok(entry, 'ENTRYPOINT is set');
  assert.deepEqual(JSON.parse(entry.args), ['node', bin]);
  const workdir = RUNTIME.filter((i) => i.op === 'WORKDIR').pop();
  assert.equal(workdir?.args, '/app');
  for (const path of ['dist', 'node_modules', 'package.json']) {
    assert.ok(RUNTIME.some((i) => i.op === 'COPY' && i.args.includes('--from=') && new RegExp(`/${path}\\b`).test(i.args)), `the runtime stage copies ${path}`);
  }
  assert.equal(IMAGE_ENV.BRIDGE_STORE, 'lmdb:/data');
  assert.ok(RUNTIME.some((i) => i.op === 'VOLUME' && /\/data\b/.test(i.args)), 'VOLUME /data');
  assert.equal(RUNTIME.find((i) => i.op === 'STOPSIGNAL')?.args, 'SIGTERM');
});

test("each shape's BRIDGE_DOWNLINK_URL reaches that shape's downlink door", () => {
  for (const b of BRIDGES) {
    const where = `${b.m.file} ${b.container.name}`;
    const raw = b.env.BRIDGE_DOWNLINK_URL;
    assert.ok(raw, `${where}: sets BRIDGE_DOWNLINK_URL (the default http://<downlink-listen> is not an address the CSE can use in a pod)`);
    const url = new URL(raw);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const config = effectiveConfig(b.env);
    if (LOOPBACK.has(url.hostname)) {
      // Sidecar: the CSE shares the pod's network namespace.
      assert.equal(port, config.downlinkListen.port, `${where}: localhost URL on the downlink port`);
      assert.ok(b.workload.spec.template.spec.containers.length > 1, `${where}: a localhost downlink URL only works with the CSE in the same pod`);
      continue;
    }
    const name = url.hostname.split('.')[0];
    const service = ofKind(b.m.shape, 'Service').find((s) => s.doc.metadata.name === name);
    assert.ok(service, `${where}: ${url.hostname} names a Service of the ${b.m.shape} shape`);
    assert.ok(selects(service.doc.spec.selector, b.podLabels), `${where}: Service ${name} selects the bridge pods`);
    const sp = (service.doc.spec.ports as Doc[]).find((p) => p.port === port);
    assert.ok(sp, `${where}: Service ${name} has port ${port}`);
    assert.equal(bridgePort(b, sp.targetPort ?? sp.port), config.downlinkListen.port, `${where}: Service ${name}:${port} lands on the downlink door`);
  }
  const bridge = COMPOSE.services.bridge;
  const url = new URL(composeEnv(bridge).BRIDGE_DOWNLINK_URL);
  const names = ['bridge', ...(bridge.networks?.default?.aliases ?? [])];
  assert.ok(names.includes(url.hostname), `compose: ${url.hostname} is the bridge service`);
  assert.equal(Number(url.port), effectiveConfig(composeEnv(bridge)).downlinkListen.port);
});

test('every ServiceMonitor scrapes /metrics on the admin port of the bridge', () => {
  const monitors = MANIFESTS.filter((m) => m.doc.kind === 'ServiceMonitor');
  for (const shape of SHAPES) assert.ok(monitors.some((m) => m.shape === shape), `${shape} has a ServiceMonitor`);
  for (const mon of monitors) {
    assert.equal(mon.doc.apiVersion, 'monitoring.coreos.com/v1');
    const services = ofKind(mon.shape, 'Service').filter((s) => selects(mon.doc.spec.selector.matchLabels, s.doc.metadata.labels ?? {}));
    assert.ok(services.length > 0, `${mon.file}: selects a Service of its shape`);
    const endpoints = mon.doc.spec.endpoints as Doc[];
    assert.ok(endpoints.length > 0, `${mon.file}: has endpoints`);
    for (const ep of endpoints) {
      assert.equal(ep.path, '/metrics', `${mon.file}: path`);
      for (const s of services) {
        const sp = (s.doc.spec.ports as Doc[]).find((p) => p.name === ep.port);
        assert.ok(sp, `${mon.file}: Service ${s.doc.metadata.name} has a port named ${ep.port}`);
        const bridges = selectedBridges(s);
        assert.ok(bridges.length > 0, `${mon.file}: Service ${s.doc.metadata.name} selects bridge pods`);
        for (const b of bridges) assert.equal(bridgePort(b, sp.targetPort ?? sp.port), PORTS.admin, `${mon.file}: scrapes the admin port`);
      }
    }
  }
});

test('each Kubernetes shape has a PodDisruptionBudget over its bridge pods that still lets a drain proceed', () => {
  for (const shape of SHAPES) {
    const bridges = BRIDGES.filter((b) => b.m.shape === shape);
    const pdbs = ofKind(shape, 'PodDisruptionBudget');
    assert.ok(pdbs.length > 0, `${shape} has a PodDisruptionBudget`);
    for (const b of bridges) {
      const pdb = pdbs.find((p) => selects(p.doc.spec.selector.matchLabels, b.podLabels));
      assert.ok(pdb, `${shape}: a PodDisruptionBudget selects ${b.workload.metadata.name}`);
      const replicas = b.workload.spec.replicas ?? 1;
      if (pdb.doc.spec.minAvailable !== undefined) assert.ok(pdb.doc.spec.minAvailable < replicas, `${shape}: minAvailable below replicas`);
      else assert.ok(pdb.doc.spec.maxUnavailable >= 1, `${shape}: maxUnavailable at least 1`);
    }
  }
  const cluster = ofKind('cluster', 'PodDisruptionBudget')[0];
  assert.equal(cluster.doc.spec.minAvailable, 2);
});

test('the downlink and admin doors are never behind a LoadBalancer or NodePort Service, nor published by compose', () => {
  for (const s of MANIFESTS.filter((m) => m.doc.kind === 'Service')) {
    const type = s.doc.spec.type ?? 'ClusterIP';
    for (const b of selectedBridges(s)) {
      for (const sp of s.doc.spec.ports as Doc[]) {
        const door = doorOf(bridgePort(b, sp.targetPort ?? sp.port));
        if (door === 'downlink' || door === 'admin') {
          assert.equal(type, 'ClusterIP', `${s.file}: Service ${s.doc.metadata.name} exposes the ${door} door as ${type}`);
        }
      }
    }
    if (type !== 'ClusterIP') {
      for (const sp of s.doc.spec.ports as Doc[]) assert.ok(![PORTS.downlink, PORTS.admin].includes(sp.port), `${s.file}: ${type} Service on port ${sp.port}`);
    }
  }
  const published = (COMPOSE.services.bridge.ports ?? []).map(String) as string[];
  for (const p of published) {
    const parts = p.replace(/\/(tcp|udp)$/, '').split(':');
    const container = Number(parts[parts.length - 1]);
    assert.notEqual(container, PORTS.downlink, `compose publishes the downlink door: ${p}`);
    if (container === PORTS.admin) assert.equal(parts[0], '127.0.0.1', `compose publishes the admin door beyond loopback: ${p}`);
  }
  assert.ok(published.some((p) => p.endsWith(`:${PORTS.public}`)), 'compose publishes the public door');
});

test('where the downlink door leaves loopback, a NetworkPolicy admits it only from named pods', () => {
  for (const b of BRIDGES) {
    if (LOOPBACK.has(effectiveConfig(b.env).downlinkListen.host)) continue;
    const policies = ofKind(b.m.shape, 'NetworkPolicy').filter((p) => selects(p.doc.spec.podSelector.matchLabels, b.podLabels));
    assert.ok(policies.length > 0, `${b.m.shape}: a NetworkPolicy selects the bridge pods`);
    for (const p of policies) {
      assert.ok((p.doc.spec.policyTypes as string[]).includes('Ingress'), `${p.file}: restricts ingress`);
      const rules = (p.doc.spec.ingress ?? []) as Doc[];
      const opening = rules.filter((r) => r.ports === undefined || (r.ports as Doc[]).some((x) => x.port === PORTS.downlink || x.port === 'downlink'));
      assert.ok(opening.length > 0, `${p.file}: some rule admits the CSE to the downlink port`);
      for (const r of opening) {
        const from = (r.from ?? []) as Doc[];
        assert.ok(from.length > 0, `${p.file}: a rule opens the downlink port to everyone`);
        for (const peer of from) {
          assert.deepEqual(Object.keys(peer), ['podSelector'], `${p.file}: downlink sources are pods only`);
          assert.ok(Object.keys(peer.podSelector.matchLabels ?? {}).length > 0, `${p.file}: an empty podSelector admits every pod`);
        }
      }
    }
  }
});

test('bridge pods run non-root on a read-only root filesystem, with the store directory on a volume, a preStop, and time for it and the 10 s stop', () => {
  for (const b of BRIDGES) {
    const where = `${b.m.file} ${b.container.name}`;
    const pod = b.workload.spec.template.spec;
    // Endpoints drop the pod while it still serves; then SIGTERM, which the bridge finishes within 10 s (src/cli/main.ts).
    const preStop: string[] | undefined = b.container.lifecycle?.preStop?.exec?.command;
    assert.deepEqual(preStop?.slice(0, 1), ['sleep'], `${where}: a preStop that waits before SIGTERM`);
    const waits = Number(preStop?.[1]);
    assert.ok(waits >= 3, `${where}: preStop waits a few seconds, not ${preStop?.[1]}`);
    assert.ok(pod.terminationGracePeriodSeconds >= waits + 10, `${where}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} covers the preStop (${waits} s) and the stop (10 s)`);
    for (const other of pod.containers as Doc[]) {
      const sleeps = Number(other.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      if (other !== b.container && !isBridgeImage(other.image)) assert.ok(sleeps >= waits + 5, `${where}: ${other.name} in the same pod stays up through the bridge's preStop and its in-flight requests`);
    }
    assert.equal(b.container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, true, `${where}: runAsNonRoot`);
    assert.equal(b.container.securityContext?.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
    assert.equal(b.container.securityContext?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
    assert.ok(b.container.resources?.requests && b.container.resources?.limits, `${where}: resources requests and limits`);
    const store = { ...bridgeEnv(IMAGE_ENV), ...b.env }.BRIDGE_STORE;
    if (store.startsWith('lmdb:')) {
      const dir = store.slice('lmdb:'.length);
      const mount = (b.container.volumeMounts ?? []).find((v: Doc) => v.mountPath === dir);
      assert.ok(mount, `${where}: ${dir} (the LMDB store) is a mounted volume`);
      assert.notEqual(mount.readOnly, true, `${where}: the store volume is writable`);
      const volume = (pod.volumes as Doc[]).find((v) => v.name === mount.name);
      assert.ok(volume?.persistentVolumeClaim || volume?.emptyDir, `${where}: the store is on a PVC or emptyDir`);
      if (volume.persistentVolumeClaim) {
        const claim = volume.persistentVolumeClaim.claimName;
        assert.ok(ofKind(b.m.shape, 'PersistentVolumeClaim').some((c) => c.doc.metadata.name === claim), `${where}: PVC ${claim} is part of the shape`);
        // One LMDB directory, one pod: the old pod must release it first.
        assert.equal(b.workload.spec.replicas ?? 1, 1, `${where}: one replica on a ReadWriteOnce store`);
        assert.equal(b.workload.spec.strategy?.type, 'Recreate', `${where}: strategy Recreate`);
      }
    }
  }
});

test('the cluster shape runs 3 spread replicas on the shared store, rolling, with a public Service without session affinity', () => {
  const bridges = BRIDGES.filter((b) => b.m.shape === 'cluster');
  assert.equal(bridges.length, 1);
  const [b] = bridges;
  assert.ok(isRedisStore(b.env.BRIDGE_STORE), 'BRIDGE_STORE is redis://');
  assert.equal(b.workload.spec.replicas, 3);
  const replicaId = (b.container.env as Doc[]).find((e) => e.name === 'BRIDGE_REPLICA_ID');
  assert.equal(replicaId?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', 'each replica is named after its pod');
  assert.equal(b.workload.spec.strategy.type, 'RollingUpdate');
  assert.ok(b.workload.spec.template.spec.affinity?.podAntiAffinity, 'podAntiAffinity');
  const redisHost = new URL(b.env.BRIDGE_STORE).hostname;
  const redisService = ofKind('cluster', 'Service').find((s) => s.doc.metadata.name === redisHost);
  assert.ok(redisService, `a Service named ${redisHost}`);
  const redis = ofKind('cluster', 'StatefulSet').find((s) => selects(redisService.doc.spec.selector, s.doc.spec.template.metadata.labels));
  assert.ok(redis, 'the Redis Service selects a StatefulSet');
  assert.match(redis.doc.spec.template.spec.containers[0].image, /^redis:7\b/);
  for (const s of ofKind('cluster', 'Service')) {
    if (selectedBridges(s).length === 0) continue;
    const publicDoor = (s.doc.spec.ports as Doc[]).some((sp) => doorOf(bridgePort(b, sp.targetPort ?? sp.port)) === 'public');
    if (publicDoor) assert.equal(s.doc.spec.sessionAffinity ?? 'None', 'None', `${s.file}: WebSockets may land on any replica`);
  }
});

/** The last value given to `--<name>` in a redis-server command line, or undefined (Redis's default then). */
function redisServerOption(argv: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length - 1; i++) if (argv[i] === `--${name}`) value = argv[i + 1];
  return value;
}

test('the Redis of the cluster shape runs appendonly yes + appendfsync always, unless its bridges set BRIDGE_REDIS_DURABILITY=applied', () => {
  const bridges = BRIDGES.filter((b) => b.m.shape === 'cluster');
  assert.ok(bridges.length > 0);
  for (const b of bridges) {
    const where = `${b.m.file} ${b.container.name}`;
    const redisService = ofKind('cluster', 'Service').find((s) => s.doc.metadata.name === new URL(b.env.BRIDGE_STORE).hostname);
    assert.ok(redisService, `${where}: BRIDGE_STORE names a Service of the shape`);
    const redis = ofKind('cluster', 'StatefulSet').find((s) => selects(redisService.doc.spec.selector, s.doc.spec.template.metadata.labels));
    assert.ok(redis, `${where}: the Redis Service selects a StatefulSet`);
    const container = redis.doc.spec.template.spec.containers[0];
    const argv = [...((container.command ?? []) as string[]), ...((container.args ?? []) as string[])].map(String);
    assert.ok(argv.includes('redis-server'), `${redis.file}: runs redis-server with its options on the command line`);
    // Redis's defaults are appendonly no and appendfsync everysec.
    const appendonly = redisServerOption(argv, 'appendonly') ?? 'no';
    const appendfsync = redisServerOption(argv, 'appendfsync') ?? 'everysec';
    assert.equal(appendonly, 'yes', `${redis.file}: stored requests survive a Redis restart only with appendonly yes`);
    // The bridge's own default decides, as it would in the container.
    const durability = effectiveConfig(b.env).redisDurability;
    if (durability === 'fsync') {
      assert.equal(appendfsync, 'always', `${redis.file}: ${where} acknowledges only what is on disk (--redis-durability fsync), so Redis must fsync every write; or set BRIDGE_REDIS_DURABILITY=applied`);
    }
  }
});

test('compose builds the bridge from deploy/Dockerfile at the repository root and mounts the grafana/ files', () => {
  const build = COMPOSE.services.bridge.build;
  const composeDir = dirname(COMPOSE_FILE);
  assert.equal(resolve(composeDir, build.context), ROOT);
  assert.equal(resolve(ROOT, build.dockerfile), join(DEPLOY, 'Dockerfile'));
  const sources = (service: string): string[] =>
    ((COMPOSE.services[service]?.volumes ?? []) as Doc[]).map((v) => (typeof v === 'string' ? v.split(':')[0] : v.source)).filter((s) => s.startsWith('.')).map((s) => relative(ROOT, resolve(composeDir, s)));
  assert.deepEqual(sources('prometheus').sort(), [join('grafana', 'prometheus', 'alerts.yaml'), join('grafana', 'prometheus', 'prometheus.yaml')]);
  assert.deepEqual(sources('grafana').sort(), [join('grafana', 'dashboards'), join('grafana', 'provisioning')]);
  assert.ok(COMPOSE.services.cse, 'an upstream CSE service');
  assert.equal(new URL(composeEnv(COMPOSE.services.bridge).BRIDGE_UPSTREAM).hostname, 'cse');
});

test('every bridge container, in every shape and in compose, reads the admin token from a Secret file, never from a literal', () => {
  const secrets = new Set<string>();
  for (const b of BRIDGES) {
    const where = `${b.m.file} ${b.container.name}`;
    assert.equal(b.env.BRIDGE_ADMIN_TOKEN, undefined, `${where}: the token itself is not in the manifest`);
    const path = b.env.BRIDGE_ADMIN_TOKEN_FILE;
    assert.ok(path, `${where}: sets BRIDGE_ADMIN_TOKEN_FILE (the admin door listens beyond loopback, so /api needs a token)`);
    const found = secretBehind(b, path);
    assert.ok(found, `${where}: ${path} is a file of a Secret volume mounted into the bridge container`);
    assert.equal(found.mount.readOnly, true, `${where}: the Secret is mounted read-only`);
    // A missing Secret must keep the pod from starting, not start it with an open /api.
    assert.notEqual(found.volume.secret.optional, true, `${where}: the Secret volume is not optional`);
    // Secret files belong to root: the bridge (uid 10001) reads them through the world bits or fsGroup.
    const item = ((found.volume.secret.items ?? []) as Doc[]).find((i) => i.key === found.key);
    const mode: number = item?.mode ?? found.volume.secret.defaultMode ?? 0o644;
    const fsGroup: unknown = b.workload.spec.template.spec.securityContext?.fsGroup;
    assert.ok((mode & 0o004) !== 0 || ((mode & 0o040) !== 0 && fsGroup !== undefined), `${where}: mode ${mode.toString(8)} lets the bridge read the token (group-readable needs an fsGroup)`);
    // Through the bridge's own loader, with only this container's Secret files present.
    const config = effectiveConfig(b.env, secretReader((p) => secretBehind(b, p) !== undefined));
    assert.equal(config.adminToken, STAND_IN_SECRET, `${where}: the bridge loads its admin token from the Secret`);
    secrets.add(found.secret);
  }
  // One Secret name for every shape, created as deploy/README.md says.
  assert.equal(secrets.size, 1, [...secrets].join(', '));
  const [secret] = secrets;
  assert.match(readFileSync(join(DEPLOY, 'README.md'), 'utf8'), new RegExp(`kubectl create secret generic ${secret}\\b`), `deploy/README.md says how to create ${secret}`);

  const bridge = COMPOSE.services.bridge;
  const env = composeEnv(bridge);
  assert.equal(env.BRIDGE_ADMIN_TOKEN, undefined, 'compose: the token itself is not in the compose file');
  const source = composeSecretBehind(bridge, env.BRIDGE_ADMIN_TOKEN_FILE ?? '');
  assert.ok(source, `compose: BRIDGE_ADMIN_TOKEN_FILE=${env.BRIDGE_ADMIN_TOKEN_FILE} is one of the bridge's secrets`);
  const file: unknown = COMPOSE.secrets?.[source]?.file;
  assert.equal(typeof file, 'string', `compose: secret ${source} is read from a file`);
  const ignored = readFileSync(join(dirname(COMPOSE_FILE), '.gitignore'), 'utf8').split('\n').map((l) => l.trim());
  assert.ok(ignored.includes(String(file).replace(/^\.\//, '')), `compose: ${String(file)} is git-ignored, so a generated token is not committed`);
  const config = effectiveConfig(env, secretReader((p) => composeSecretBehind(bridge, p) !== undefined));
  assert.equal(config.adminToken, STAND_IN_SECRET, 'compose: the bridge loads its admin token from the secret');

  // The image holds no token: ENV and ARG end up in its history for anyone who pulls it.
  for (const name of ['BRIDGE_ADMIN_TOKEN', 'BRIDGE_ADMIN_TOKEN_FILE']) assert.equal(IMAGE_ENV[name], undefined, `Dockerfile: ENV ${name}`);
  for (const i of DOCKERFILE.filter((x) => x.op === 'ARG' || x.op === 'ENV')) assert.doesNotMatch(i.args, /TOKEN/i, `Dockerfile: ${i.op} ${i.args}`);
});

const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8'];

function v4ToInt(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Whether every address of `cidr` (IPv4) lies in `within`. */
function v4Inside(cidr: string, within: string): boolean {
  const [a, p] = cidr.split('/');
  const [b, q] = within.split('/');
  const size = (bits: number) => 2 ** (32 - bits);
  return Number(p) >= Number(q) && Math.floor(v4ToInt(a) / size(Number(q))) === Math.floor(v4ToInt(b) / size(Number(q)));
}

test('every bridge container sets the downlink allow-list: CIDRs of private ranges, loopback only where the door is on loopback', () => {
  const containers = [
    ...BRIDGES.map((b) => ({ where: `${b.m.file} ${b.container.name}`, env: b.env })),
    { where: 'docker-compose.yaml bridge', env: composeEnv(COMPOSE.services.bridge) },
  ];
  for (const { where, env } of containers) {
    assert.ok(env.BRIDGE_DOWNLINK_ALLOW, `${where}: sets BRIDGE_DOWNLINK_ALLOW (the default admits any source)`);
    const config = effectiveConfig(env);
    assert.ok(config.downlinkAllow.length > 0, `${where}: the allow-list is not empty`);
    const loopback = LOOPBACK.has(config.downlinkListen.host);
    for (const cidr of config.downlinkAllow) {
      const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
      assert.ok(m, `${where}: "${cidr}" is address/prefix`);
      const family = isIP(m[1]);
      assert.ok(family === 4 || family === 6, `${where}: "${cidr}" has an IP address`);
      const prefix = Number(m[2]);
      assert.ok(prefix >= 1 && prefix <= (family === 4 ? 32 : 128), `${where}: "${cidr}" has a prefix that is not "any"`);
      if (family === 4) {
        const ranges = loopback ? ['127.0.0.0/8'] : PRIVATE_V4;
        assert.ok(ranges.some((r) => v4Inside(cidr, r)), `${where}: "${cidr}" lies within ${ranges.join(' or ')}`);
      } else {
        const allowed = new BlockList();
        if (loopback) allowed.addAddress('::1', 'ipv6');
        else allowed.addSubnet('fc00::', 7, 'ipv6');
        assert.ok(allowed.check(m[1], 'ipv6') && prefix >= (loopback ? 128 : 7), `${where}: "${cidr}" lies within ${loopback ? '::1' : 'fc00::/7'}`);
      }
    }
  }
});

function composeEnv(service: Doc): Record<string, string> {
  const env = service?.environment;
  if (env === undefined || env === null) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      (env as string[]).map((e) => {
        const i = e.indexOf('=');
        return i === -1 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

// ------------------------------------------- schemas, Redis, images (issue 17.8)

/** The kubernetes-models class for a document's apiVersion and kind (core, or the Prometheus Operator's). */
async function modelFor(apiVersion: string, kind: string): Promise<(new (data: unknown) => { validate(): void }) | undefined> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const path = group === 'monitoring.coreos.com' ? `@kubernetes-models/prometheus-operator/${group}/${version}` : `kubernetes-models/${group === '' ? '' : `${group}/`}${version}`;
  const models = (await import(path)) as Record<string, unknown>;
  return models[kind] as (new (data: unknown) => { validate(): void }) | undefined;
}

test('every Kubernetes object validates against the Kubernetes (and Prometheus Operator) JSON schemas', async () => {
  assert.ok(MANIFESTS.length >= 20, `${MANIFESTS.length} objects`);
  for (const m of MANIFESTS) {
    const Model = await modelFor(m.doc.apiVersion, m.doc.kind);
    assert.ok(Model, `${m.file}: ${m.doc.apiVersion} ${m.doc.kind} is a kind the schemas know`);
    assert.doesNotThrow(() => new Model(m.doc).validate(), `${m.file}: ${m.doc.kind} ${m.doc.metadata.name}`);
  }
  // The check can fail: a wrong type is refused.
  const Deployment = await modelFor('apps/v1', 'Deployment');
  const broken = structuredClone(WORKLOADS[0].doc);
  broken.spec.replicas = 'three';
  assert.throws(() => new Deployment!(broken).validate());
});

test('kubectl apply -f <shape>/ needs no CRD: objects of other API groups (ServiceMonitors) live in a subdirectory of their own', () => {
  const core = /^(v1|apps\/v1|policy\/v1|networking\.k8s\.io\/v1)$/;
  for (const m of MANIFESTS) {
    const depth = relative(join(KUBERNETES, m.shape), join(ROOT, m.file)).split(sep).length;
    if (depth === 1) assert.match(m.doc.apiVersion, core, `${m.file}: ${m.doc.kind} (${m.doc.apiVersion}) is applied with the shape's directory`);
  }
  for (const shape of SHAPES) {
    const monitors = MANIFESTS.filter((m) => m.shape === shape && m.doc.kind === 'ServiceMonitor');
    assert.ok(monitors.length > 0, `${shape} has a ServiceMonitor`);
    for (const m of monitors) assert.equal(m.file, join('deploy', 'kubernetes', shape, 'monitoring', 'servicemonitor.yaml'));
  }
});

test('the cluster shape\'s Redis: a password from a Secret that the bridges use too, maxmemory with noeviction, and a PodDisruptionBudget', () => {
  const bridges = BRIDGES.filter((b) => b.m.shape === 'cluster');
  const redis = ofKind('cluster', 'StatefulSet').find((s) => s.doc.metadata.name === 'onem2m-redis');
  assert.ok(redis);
  const container = redis.doc.spec.template.spec.containers[0];
  const env = containerEnv(container);
  const argv = (container.args as string[]).map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole));
  const password = redisServerOption(argv, 'requirepass');
  assert.ok(password?.startsWith('stand-in-'), `${redis.file}: --requirepass comes from a Secret, not ${password}`);
  assert.equal(env.REDISCLI_AUTH, password, `${redis.file}: the probes' redis-cli authenticates`);
  // Stored requests are never evicted: a full Redis refuses writes instead.
  assert.equal(redisServerOption(argv, 'maxmemory-policy'), 'noeviction', `${redis.file}: --maxmemory-policy`);
  const maxmemory = /^(\d+)mb$/.exec(redisServerOption(argv, 'maxmemory') ?? '');
  assert.ok(maxmemory, `${redis.file}: --maxmemory <n>mb`);
  const limit = /^(\d+)Mi$/.exec(container.resources.limits.memory);
  assert.ok(limit && Number(maxmemory[1]) * 1e6 < Number(limit[1]) * 2 ** 20 * 0.85, `${redis.file}: maxmemory leaves room below the memory limit ${container.resources.limits.memory}`);
  for (const b of bridges) {
    assert.ok(Number(maxmemory[1]) * 1e6 > effectiveConfig(b.env).queueGlobalMaxBytes, `${redis.file}: maxmemory holds the bridges' --queue-global-max-bytes`);
    assert.equal(new URL(b.env.BRIDGE_STORE).password, password, `${b.m.file}: BRIDGE_STORE carries the same Secret's password`);
  }
  const pdb = ofKind('cluster', 'PodDisruptionBudget').find((p) => selects(p.doc.spec.selector.matchLabels, redis.doc.spec.template.metadata.labels));
  assert.ok(pdb, 'a PodDisruptionBudget selects the Redis pod');
  assert.equal(pdb.doc.spec.minAvailable, 1, `${pdb.file}: a drain does not evict Redis on its own`);
  assert.match(readFileSync(join(DEPLOY, 'README.md'), 'utf8'), /kubectl create secret generic onem2m-redis-password\b/, 'deploy/README.md says how to create the Redis Secret');
});

test('every container of every workload has a securityContext: no privilege escalation, all capabilities dropped', () => {
  for (const m of WORKLOADS) {
    for (const c of m.doc.spec.template.spec.containers as Doc[]) {
      const where = `${m.file} ${c.name}`;
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${where}: capabilities.drop`);
      assert.notEqual(c.securityContext?.privileged, true, `${where}: not privileged`);
    }
  }
});

test('compose has no v2-only top-level name:, and .dockerignore keeps local and built things out of the image\'s build context', () => {
  assert.equal(COMPOSE.name, undefined, 'docker-compose.yaml: top-level name: is refused by docker-compose v1');
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const entry of ['.git', 'node_modules', 'dist', 'data', '*.tsbuildinfo']) assert.ok(ignored.includes(entry), `.dockerignore lists ${entry}`);
  // What the Dockerfile copies from the context stays in it.
  for (const i of DOCKERFILE.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
    for (const source of i.args.split(/\s+/).slice(0, -1)) assert.ok(!ignored.includes(source.replace(/\/$/, '')), `.dockerignore keeps ${source}, which the Dockerfile copies`);
  }
});
