// Issue 21 item 2: credentials never reach logs. A real bridge process runs
// with a password in every URL-valued setting (--upstream, --store redis://,
// --downlink-url, --uplink, --uplink-url, --uplink-poa, --uplink-proxy) at
// log level debug, serves a registration, fails to reach its registrar
// through its proxy (an error line quoting the URL), and stops; then the
// whole of its stdout and stderr is searched for each password. The same for
// the problems printed when settings with passwords are wrong (exit 2).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../../src/primitive/types.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { redisOrSkip } from '../support/redis-server.js';
import { waitUntil } from '../support/wait.js';
import { WsRegistree } from '../support/ws-registree.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as it ships (node dist/cli/main.js), built once per source state. */
const CLI = await builtCli();

const SECRETS = {
  upstream: 'UpstreamPw-7c1e',
  store: 'RedisPw-51aa',
  downlinkUrl: 'DownlinkPw-0b9d',
  uplink: 'RegistrarPw-e44f',
  uplinkUrl: 'UplinkDoorPw-8d2c',
  uplinkPoa: 'PoaPw-2f60',
  uplinkProxy: 'ProxyPw-93b7',
} as const;

const { redis, skip } = await redisOrSkip({ password: SECRETS.store });

/** A port nothing listens on (connections to it are refused). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

interface Run {
  output(): string;
  lines: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
  kill(): void;
}

function run(args: string[]): Run {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: '' } });
  let out = '';
  let pending = '';
  const lines: Array<Record<string, unknown>> = [];
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    pending += d.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  proc.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { output: () => out, lines, exited, kill: () => proc.kill('SIGTERM') };
}

function assertNoSecret(text: string, secrets: readonly string[]): void {
  for (const s of secrets) {
    const at = text.indexOf(s);
    assert.equal(at, -1, `secret ${s} in the output: …${text.slice(Math.max(0, at - 200), at + 50)}…`);
  }
}

describe('credentials in URL-valued settings never reach the log', { skip }, () => {
  let cse: FakeCse;
  before(async () => {
    cse = await startFakeCse();
  });
  after(async () => {
    await cse?.close();
    await redis?.stop();
  });

  test('a run with a password in every URL-valued setting logs none of them', { timeout: 60_000 }, async () => {
    const upstream = new URL(cse.url);
    upstream.username = 'cse';
    upstream.password = SECRETS.upstream;
    const store = new URL(redis!.url);
    store.username = '';
    store.password = SECRETS.store;
    const bridge = run([
      '--upstream', upstream.href,
      '--store', store.href, '--redis-prefix', `secrets-${process.pid}:`, '--redis-durability', 'applied',
      '--listen', '127.0.0.1:0', '--downlink-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--uplink-listen', '127.0.0.1:0',
      '--downlink-url', `http://dl:${SECRETS.downlinkUrl}@127.0.0.1:${await closedPort()}`,
      '--uplink', `ws://registrar:${SECRETS.uplink}@127.0.0.1:${await closedPort()}/`,
      '--uplink-url', `http://door:${SECRETS.uplinkUrl}@127.0.0.1:${await closedPort()}`,
      '--uplink-poa', `ws://poa:${SECRETS.uplinkPoa}@default`,
      '--uplink-proxy', `http://proxy:${SECRETS.uplinkProxy}@127.0.0.1:${await closedPort()}`,
      '--uplink-origin', '/id-mn',
      '--log-level', 'debug',
    ]);
    try {
      await waitUntil(() => bridge.lines.some((l) => l.msg === 'bridge listening'), 30_000, `"bridge listening"; so far: ${bridge.output().slice(-500)}`);
      const listening = bridge.lines.find((l) => l.msg === 'bridge listening')!;
      // The URLs are logged, masked: the test sees them (it would see their passwords).
      assert.equal(listening.upstream, `http://cse:***@127.0.0.1:${upstream.port}/`);
      assert.match(String(listening.downlinkUrl), /^http:\/\/dl:\*\*\*@127\.0\.0\.1:\d+\/?$/);
      // The registrar cannot be reached through its proxy: the error quotes the registrar's URL.
      await waitUntil(() => bridge.lines.some((l) => l.msg === 'uplink error'), 20_000, 'the uplink error line');
      assert.match(bridge.output(), /registrar:\*\*\*@127\.0\.0\.1/);
      // A registree comes and goes (connection, binding and registration lines).
      const pub = (listening.public as { port: number }).port;
      const ae = await WsRegistree.connect(`ws://127.0.0.1:${pub}/`, 'oneM2M.json');
      const rsp = await ae.request({ op: 1, to: 'cse-in', fr: 'C', ty: 2, pc: { 'm2m:ae': { rn: 'secretive', api: 'Nsec', rr: true, srv: ['3'] } } });
      assert.equal(rsp.rsc, 2001);
      assert.ok(typeof (rsp.pc?.['m2m:ae'] as JsonObject).aei === 'string');
      await ae.close();
      await waitUntil(() => bridge.lines.some((l) => l.msg === 'connection closed'), 10_000, 'the connection closed line');
    } finally {
      bridge.kill();
      await bridge.exited;
    }
    const output = bridge.output();
    assert.ok(output.includes('"msg":"stopped"'), 'the run ended cleanly');
    assertNoSecret(output, Object.values(SECRETS));
  });

  test('problems with URL-valued settings (exit 2) do not print their passwords either', { timeout: 30_000 }, async () => {
    // Two runs: a setting that does not parse stops the checks that need every value.
    const unparsable = run([
      '--upstream', `ftp://cse:${SECRETS.upstream}@127.0.0.1:1/`,
      '--store', `redis://:${SECRETS.store}@`,
    ]);
    const inconsistent = run([
      '--downlink-url', `ftp://dl:${SECRETS.downlinkUrl}@127.0.0.1:1`,
      '--uplink', `http://registrar:${SECRETS.uplink}@127.0.0.1:1/`,
      '--uplink-url', `ftp://door:${SECRETS.uplinkUrl}@127.0.0.1:1`,
      '--uplink-poa', `http://poa:${SECRETS.uplinkPoa}@default`,
      '--uplink-proxy', `ftp://proxy:${SECRETS.uplinkProxy}@127.0.0.1:1`,
    ]);
    assert.equal(await unparsable.exited, 2);
    assert.equal(await inconsistent.exited, 2);
    const output = unparsable.output() + inconsistent.output();
    for (const flag of ['--upstream:', '--store:', '--downlink-url:', '--uplink:', '--uplink-url:', '--uplink-poa:', '--uplink-proxy:']) assert.ok(output.includes(flag), `${flag} named in: ${output}`);
    assertNoSecret(output, Object.values(SECRETS));
  });
});
