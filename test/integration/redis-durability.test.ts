// --redis-durability on the bridge (issue 14 item 5): what it says at start
// on the Redis it finds, and what the CSE hears when Redis cannot confirm a
// stored NOTIFY is on disk. Real redis-servers; the Redis 7.2 case is the
// real one behind test/support/redis-rewrite-proxy.ts (INFO server says
// 7.2.4, WAITAOF answers what the test sets), since this machine's Redis has
// no WAITAOF.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { request } from 'undici';
import { createBridge } from '../../src/bridge/bridge.js';
import type { BridgeAddresses } from '../../src/bridge/bridge.js';
import type { BridgeConfig } from '../../src/config/config.js';
import type { JsonObject } from '../../src/primitive/types.js';
import { startFakeCse } from '../support/fake-cse.js';
import type { FakeCse } from '../support/fake-cse.js';
import { testConfig } from '../support/harness.js';
import { evalReply, startRedisRewriteProxy } from '../support/redis-rewrite-proxy.js';
import type { RedisRewriteProxy } from '../support/redis-rewrite-proxy.js';
import { redisOrSkip } from '../support/redis-server.js';
import { registerAe } from '../support/register.js';

type Line = { level: number; msg: string };
const WARN = 40;
const INFO = 30;

const { redis: aofOff, skip } = await redisOrSkip({ serverArgs: ['--appendonly', 'no'] });
const { redis: always } = skip === false ? await redisOrSkip({ serverArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] }) : { redis: undefined };

interface Started {
  at: BridgeAddresses;
  lines: Line[];
  stop(): Promise<void>;
}

describe('bridge: --redis-durability', { skip, timeout: 60_000 }, () => {
  let cse: FakeCse | undefined;
  const proxies: RedisRewriteProxy[] = [];
  after(async () => {
    for (const p of proxies) await p.close();
    await cse?.close();
    await aofOff?.stop();
    await always?.stop();
  });

  async function start(store: string, overrides: Partial<BridgeConfig> = {}): Promise<Started> {
    cse ??= await startFakeCse();
    const lines: Line[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.length > 0) lines.push(JSON.parse(l) as Line);
        done();
      },
    });
    const prefix = `dur-${process.pid}-${Math.random().toString(36).slice(2)}:`;
    const bridge = createBridge(testConfig(cse.url, { store, redisPrefix: prefix, logLevel: 'info', ...overrides }), { logger: pino({ level: 'info' }, sink) });
    const at = await bridge.start();
    return { at, lines, stop: () => bridge.stop() };
  }

  /** Registers an AE, drops its connection, and returns how to send it a NOTIFY (stored while it is offline). */
  async function offlineAe(b: Started, rn: string): Promise<(rqi: string) => Promise<{ status: number; rsc: string | undefined }>> {
    const { ae, aei } = await registerAe(`ws://127.0.0.1:${b.at.public.port}/`, rn);
    const rsp = await ae.request({ op: 2, to: `cse-in/${rn}`, fr: aei });
    const poa = ((rsp.pc?.['m2m:ae'] as JsonObject).poa as string[])[0];
    const key = /\/r\/([^/]+)$/.exec(poa)?.[1] as string;
    await ae.close();
    return async (rqi) => {
      const res = await request(`http://127.0.0.1:${b.at.downlink.port}/r/${key}/${aei}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-m2m-origin': '/id-in', 'x-m2m-ri': rqi, 'x-m2m-rvi': '3' },
        body: JSON.stringify({ 'm2m:sgn': { sur: '/id-in/s' } }),
      });
      await res.body.dump();
      const rsc = res.headers['x-m2m-rsc'];
      return { status: res.statusCode, rsc: typeof rsc === 'string' ? rsc : undefined };
    };
  }

  const durabilityWarnings = (lines: Line[]) => lines.filter((l) => l.level === WARN && /appendonly|appendfsync|durability/.test(l.msg));

  test('fsync (the default) on a Redis with appendonly no: the bridge starts, warns exactly once, and stored NOTIFYs add no warning', async () => {
    const b = await start(aofOff!.url);
    try {
      const notify = await offlineAe(b, 'durOff');
      for (const rqi of ['off-1', 'off-2', 'off-3']) assert.deepEqual(await notify(rqi), { status: 202, rsc: '1000' });
      const warned = durabilityWarnings(b.lines);
      assert.equal(warned.length, 1, JSON.stringify(b.lines));
      assert.match(warned[0].msg, /^redis at redis:\/\/127\.0\.0\.1:\d+ runs appendonly no/);
      assert.ok(warned[0].msg.includes('run appendonly yes + appendfsync always, or --redis-durability applied to accept that'), warned[0].msg);
      const ready = await fetch(`http://127.0.0.1:${b.at.admin.port}/readyz`);
      assert.equal(ready.status, 200);
    } finally {
      await b.stop();
    }
  });

  test('fsync on a Redis with appendonly yes + appendfsync always: no warning', async () => {
    const b = await start(always!.url);
    try {
      assert.deepEqual(durabilityWarnings(b.lines), []);
      assert.equal(b.lines.filter((l) => l.level === INFO && l.msg.startsWith('redis durability fsync: ')).length, 1);
    } finally {
      await b.stop();
    }
  });

  test('applied on a Redis with appendonly no: never warns, says once what applied means', async () => {
    const b = await start(aofOff!.url, { redisDurability: 'applied' });
    try {
      const notify = await offlineAe(b, 'durApplied');
      assert.deepEqual(await notify('app-1'), { status: 202, rsc: '1000' });
      assert.deepEqual(durabilityWarnings(b.lines), []);
      assert.equal(b.lines.filter((l) => l.level === INFO && l.msg.startsWith('redis durability applied: ')).length, 1);
    } finally {
      await b.stop();
    }
  });

  test('Redis 7.2 (emulated): a NOTIFY whose WAITAOF confirms no fsync is answered 5000, never 1000; confirmed ones get 1000', async () => {
    let local = 1;
    const proxy = await startRedisRewriteProxy(always!, (c) => {
      if (c[0] === 'INFO' && c[1]?.toLowerCase() === 'server') return evalReply("return '# Server\\r\\nredis_version:7.2.4\\r\\n'");
      if (c[0] === 'WAITAOF') return evalReply(`return {${local}, 0}`);
      return undefined;
    });
    proxies.push(proxy);
    const b = await start(proxy.url);
    try {
      assert.ok(b.lines.some((l) => l.msg.startsWith('redis durability fsync: Redis 7.2.4 has WAITAOF')), JSON.stringify(b.lines));
      const notify = await offlineAe(b, 'dur72');
      assert.deepEqual(await notify('w-1'), { status: 202, rsc: '1000' });
      local = 0;
      assert.deepEqual(await notify('w-2'), { status: 500, rsc: '5000' });
      local = 1;
      assert.deepEqual(await notify('w-3'), { status: 202, rsc: '1000' });
      assert.ok(proxy.commands.filter((c) => c[0] === 'WAITAOF').length >= 3);
    } finally {
      await b.stop();
    }
  });
});
