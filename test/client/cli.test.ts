// `onem2m-ws-bridge client` as an operator runs it: a separate process
// against a real bridge, one primitive and its answer, or --listen.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { Onem2mWsClient } from '../../src/client/index.js';
import type { JsonObject } from '../../src/client/index.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as shipped (node dist/cli/main.js), built once for this source. */
const CLI = await builtCli();

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], stdin?: string): Promise<Result> {
  const proc = spawn(process.execPath, [CLI, 'client', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdin.end(stdin ?? '');
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** stdout lines of a running child, one JSON value each. */
function jsonLines(proc: ChildProcess): () => Promise<JsonObject> {
  const queue: JsonObject[] = [];
  const waiting: Array<(v: JsonObject) => void> = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const value = JSON.parse(line) as JsonObject;
    const w = waiting.shift();
    if (w) w(value);
    else queue.push(value);
  });
  return () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve)));
}

// The timeout only bounds a hang: every case spawns the CLI, and a machine under
// heavy load (CI neighbours, load average 20-40) takes 45-60 s per process.
describe('onem2m-ws-bridge client', { timeout: 600_000 }, () => {
  let run: Running;
  before(async () => {
    run = await startBridge({ allowOriginator: ['CAdmin'] });
  });
  after(async () => {
    await run.stop();
  });

  for (const format of ['json', 'xml', 'cbor']) {
    test(`sends one primitive and prints the answer as a JSON line (--format ${format})`, async () => {
      const r = await cli(['--url', run.wsUrl, '--from', 'CAdmin', '--format', format, '--json', '{"op":2,"to":"cse-in"}']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 1);
      const rsp = JSON.parse(lines[0]!) as JsonObject;
      assert.equal(rsp.rsc, 2000);
      assert.equal(((rsp.pc as JsonObject)['m2m:cb'] as JsonObject).csi, '/id-in');
    });
  }

  test('an error answer is printed and exits 1; the primitive may come from stdin', async () => {
    const r = await cli(['--url', run.wsUrl, '--from', 'CAdmin', '--json', '-'], '{"op":2,"to":"cse-in/nothing-here","rqi":"mine"}');
    assert.equal(r.code, 1, r.stderr);
    const rsp = JSON.parse(r.stdout) as JsonObject;
    assert.equal(rsp.rsc, 4004);
    assert.equal(rsp.rqi, 'mine');
  });

  test('bad arguments exit 2, each named', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--json', '{"op":2,"to":"cse-in"}'], /--url: needed/],
      [['--url', 'http://x/', '--json', '{"op":2,"to":"x"}'], /--url: "http:\/\/x\/" must be ws:\/\/ or wss:\/\//],
      [['--url', run.wsUrl, '--json', 'nope'], /--json: not valid JSON/],
      [['--url', run.wsUrl, '--json', '{"to":"cse-in"}'], /--json: primitive parameter "op"/],
      [['--url', run.wsUrl, '--json', '{"rsc":2000,"rqi":"x"}'], /--json: is a response primitive/],
      [['--url', run.wsUrl], /--json: needed \(or --listen/],
      [['--url', run.wsUrl, '--json', '{"op":2,"to":"x"}', '--format', 'yaml'], /--format: "yaml" is not one of json, xml, cbor/],
      [['--url', run.wsUrl, '--json', '{"op":2,"to":"x"}', '--timeout', 'soon'], /--timeout: "soon"/],
      [['--url', run.wsUrl, '--json', '{"op":2,"to":"x"}', '--cert', 'a.pem'], /--key: needed together with --cert/],
      [['--url', run.wsUrl, '--json', '{"op":2,"to":"x"}', '--ca', '/no/such/ca.pem'], /--ca: cannot read \/no\/such\/ca.pem: ENOENT/],
      [['--url', run.wsUrl, '--json', '{"op":2,"to":"x"}', '--proxy', 'socks5://p:1'], /--proxy: "socks5:\/\/p:1"/],
      [['--url', run.wsUrl, '--bogus', 'x', '--json', '{"op":2,"to":"x"}'], /--bogus: unknown option/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, cases[i]![1]);
      assert.equal(r.stdout, '');
    });
  });

  test('no connection exits 1 with the reason', async () => {
    const r = await cli(['--url', run.wsUrl.replace(/\/$/, '/wrong-path'), '--json', '{"op":2,"to":"cse-in"}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused the handshake: HTTP 400/);
  });

  test('--listen registers, stays connected, prints each request from the CSE and answers it 2000', async () => {
    const proc = spawn(process.execPath, [CLI, 'client', '--url', run.wsUrl, '--listen', '--json', '{"op":1,"to":"cse-in","fr":"Ccli","ty":2,"pc":{"m2m:ae":{"rn":"cliAE","api":"Ncli","rr":true,"srv":["3"]}}}'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const next = jsonLines(proc);
    try {
      const reg = await next();
      assert.equal(reg.rsc, 2001, JSON.stringify(reg));
      // An operator (another client) subscribes the AE: the CSE's verification request and the notification reach the CLI.
      const admin = new Onem2mWsClient({ url: run.wsUrl, origin: 'CAdmin', reconnect: false });
      await admin.connect();
      try {
        assert.equal((await admin.request({ op: 1, to: 'cse-in/cliAE', ty: 3, pc: { 'm2m:cnt': { rn: 'data' } } })).rsc, 2001);
        const sub = await admin.request({ op: 1, to: 'cse-in/cliAE/data', ty: 23, pc: { 'm2m:sub': { rn: 'sub', nu: ['Ccli'], enc: { net: [3] } } } });
        assert.equal(sub.rsc, 2001, JSON.stringify(sub));
      } finally {
        await admin.close();
      }
      const verification = await next();
      assert.equal(verification.op, 5);
      assert.equal(((verification.pc as JsonObject)['m2m:sgn'] as JsonObject).vrq, true);
      await run.cse.createContentInstance('cse-in/cliAE/data', 'to the operator');
      const notification = await next();
      assert.match(JSON.stringify(notification), /to the operator/);
      await run.cse.idle();
      const last = run.cse.notifications.filter((n) => n.target === 'Ccli').at(-1);
      assert.equal(last?.result, 2000, 'the CLI answered 2000');
      proc.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
