// Issue 21 item 7: the README's quick start ends with a device a newcomer can
// run. The two command lines are read from README.md and run as written
// (the client as built (node dist/cli/main.js), the curl line as the HTTP request it
// describes) against a bridge and the fake CSE: the client prints the
// registration and the notification.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import type { JsonObject } from '../../src/primitive/types.js';
import { startBridge } from '../support/harness.js';
import type { Running } from '../support/harness.js';
import { builtCli } from '../support/built-cli.js';

/** The CLI as it ships (node dist/cli/main.js), built once per source state. */
const CLI = await builtCli();

const readme = readFileSync('README.md', 'utf8');
const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));

/** The line of the quick start that begins with `prefix`. */
function documented(prefix: string): string {
  const line = quickStart.split('\n').find((l) => l.startsWith(prefix));
  assert.ok(line !== undefined, `the quick start shows a line starting with "${prefix}"`);
  return line;
}

/** `curl -X METHOD URL -H 'Name: value' … -d 'BODY'` → its parts. */
function curlParts(line: string): { method: string; url: URL; headers: Record<string, string>; body: string } {
  const method = /-X (\w+)/.exec(line)?.[1] ?? 'GET';
  const url = new URL(/(https?:\/\/\S+)/.exec(line)![1]);
  const headers: Record<string, string> = {};
  for (const m of line.matchAll(/-H '([^:']+): ([^']*)'/g)) headers[m[1]] = m[2];
  const body = /-d '([^']*)'/.exec(line)?.[1] ?? '';
  return { method, url, headers, body };
}

describe('README quick start: a device in one line', { timeout: 180_000 }, () => {
  let run: Running;
  before(async () => {
    run = await startBridge();
  });
  after(async () => {
    await run.stop();
  });

  test('the documented client registers, subscribes, and prints the registration and the notification', async () => {
    const clientLine = documented('node dist/cli/main.js client ');
    const args = clientLine.slice('node dist/cli/main.js client '.length).split(/\s+/).map((a) => (a === 'ws://127.0.0.1:8180/' ? run.wsUrl : a));
    assert.ok(args.includes(run.wsUrl), 'the documented line names the default public door');
    const proc = spawn(process.execPath, [CLI, 'client', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    let stderr = '';
    const lines: JsonObject[] = [];
    const waiting: Array<() => void> = [];
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      for (const w of waiting.splice(0)) w();
    });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      lines.push(JSON.parse(line) as JsonObject);
      for (const w of waiting.splice(0)) w();
    });
    const printed = async (what: string, match: (l: JsonObject) => boolean): Promise<JsonObject> => {
      for (;;) {
        const found = lines.find(match);
        if (found !== undefined) return found;
        if (proc.exitCode !== null) assert.fail(`the client exited (${proc.exitCode}) before printing ${what}: ${stderr}`);
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          proc.once('exit', () => resolve());
        });
      }
    };
    try {
      const registration = await printed('the registration', (l) => l.rsc !== undefined && l.op === undefined);
      assert.equal(registration.rsc, 2001, JSON.stringify(registration));
      assert.equal(((registration.pc as JsonObject)['m2m:ae'] as JsonObject).aei, 'Cquickstart');
      await printed('the subscription in place', () => stderr.includes('subscribed to cse-in/quickstart/data'));

      // The documented curl line, as the HTTP request it describes, at the bridge's public door.
      const curl = curlParts(documented('curl '));
      assert.equal(curl.url.port, '8180');
      const res = await request(`http://127.0.0.1:${run.addresses.public.port}${curl.url.pathname}`, { method: curl.method as 'POST', headers: curl.headers, body: curl.body });
      assert.equal(res.headers['x-m2m-rsc'], '2001', await res.body.text());
      const notification = await printed('the notification', (l) => l.op === 5 && ((l.pc as JsonObject)?.['m2m:sgn'] as JsonObject)?.nev !== undefined);
      const rep = (((notification.pc as JsonObject)['m2m:sgn'] as JsonObject).nev as JsonObject).rep as JsonObject;
      assert.equal((rep['m2m:cin'] as JsonObject).con, 'hello');

      proc.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
    } finally {
      proc.kill('SIGKILL');
    }
  });

  test('run again, it carries on as the same AE and still gets notifications', async () => {
    const clientLine = documented('node dist/cli/main.js client ');
    const args = clientLine.slice('node dist/cli/main.js client '.length).split(/\s+/).map((a) => (a === 'ws://127.0.0.1:8180/' ? run.wsUrl : a));
    const proc = spawn(process.execPath, [CLI, 'client', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    let stderr = '';
    const lines: JsonObject[] = [];
    let wake: () => void = () => undefined;
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      wake();
    });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      lines.push(JSON.parse(line) as JsonObject);
      wake();
    });
    const until = async (what: string, ok: () => boolean) => {
      while (!ok()) {
        if (proc.exitCode !== null) assert.fail(`the client exited (${proc.exitCode}) before ${what}: ${stderr}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          proc.once('exit', () => resolve());
        });
      }
    };
    try {
      await until('it subscribed', () => stderr.includes('subscribed to cse-in/quickstart/data'));
      assert.match(stderr, /registered before: carrying on as Cquickstart/);
      assert.equal(lines[0]?.rsc, 4117, 'the CSE says the originator has registered already');
      await run.cse.createContentInstance('cse-in/quickstart/data', 'again');
      await until('the notification', () => JSON.stringify(lines).includes('"con":"again"'));
      proc.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
