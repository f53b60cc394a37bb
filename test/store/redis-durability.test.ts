// --redis-durability fsync|applied (issue 14: "acknowledged means durable").
// The decision is a pure function, tested as a table over Redis versions,
// what CONFIG GET / INFO persistence answer and the mode. Then the store
// against a real redis-server: what open() finds and says once, and the
// WAITAOF path. This machine's Redis is older than 7.2, so for that path a
// proxy (test/support/redis-rewrite-proxy.ts) makes it look like 7.2: it
// answers INFO server with 7.2.4 and WAITAOF with what the test chooses,
// while every other command reaches the real Redis. The real WAITAOF of a
// Redis >= 7.2 is not run here.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { BridgeError } from '../../src/errors.js';
import { durabilityPlan, hasWaitAof, parseRedisVersion } from '../../src/store/redis-durability.js';
import type { DurabilityFacts } from '../../src/store/redis-durability.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { EnqueueRequest, QueueLimits } from '../../src/store/store.js';
import { evalReply, startRedisRewriteProxy } from '../support/redis-rewrite-proxy.js';
import type { RedisRewriteProxy } from '../support/redis-rewrite-proxy.js';
import { redisOrSkip } from '../support/redis-server.js';
import type { RedisServer } from '../support/redis-server.js';

// ------------------------------------------------------------ the pure decision

test('WAITAOF is used from Redis 7.2 on; versions it cannot read count as older', () => {
  const table: Array<[string | undefined, boolean]> = [
    ['7.2.0', true],
    ['7.2.4', true],
    ['7.4.1', true],
    ['7.10.0', true],
    ['8.0.2', true],
    ['10.0.0', true],
    ['7.2.0-rc1', true],
    ['7.1.9', false],
    ['7.0.15', false],
    ['6.2.14', false],
    ['5.0', false],
    ['', false],
    ['unknown', false],
    [undefined, false],
  ];
  for (const [version, expected] of table) assert.equal(hasWaitAof(version), expected, `version ${String(version)}`);
  assert.deepEqual(parseRedisVersion(' 7.0.15 '), [7, 0, 15]);
  assert.deepEqual(parseRedisVersion('7.2'), [7, 2, 0]);
});

const AT = 'redis://:***@redis.example:6379';
const REMEDY = ['run appendonly yes + appendfsync always', '--redis-durability applied'];

interface Row {
  name: string;
  facts: Omit<DurabilityFacts, 'redis'>;
  waitAof: boolean;
  level: 'info' | 'warn';
  says: string[];
}

const ROWS: Row[] = [
  // applied: nothing is checked and nothing warns, whatever Redis runs
  { name: 'applied', facts: { mode: 'applied' }, waitAof: false, level: 'info', says: ['redis durability applied', 'up to about a second'] },
  { name: 'applied on appendonly no', facts: { mode: 'applied', version: '7.0.15', aof: { via: 'CONFIG GET', appendonly: 'no', appendfsync: 'everysec' } }, waitAof: false, level: 'info', says: ['redis durability applied'] },
  { name: 'applied on 7.2 with WAITAOF', facts: { mode: 'applied', version: '7.2.4', waitAof: 'ok' }, waitAof: false, level: 'info', says: ['redis durability applied'] },
  // fsync on Redis >= 7.2
  { name: 'fsync, WAITAOF works', facts: { mode: 'fsync', version: '7.2.4', waitAof: 'ok' }, waitAof: true, level: 'info', says: ['redis durability fsync', 'Redis 7.2.4 has WAITAOF'] },
  {
    name: 'fsync, 7.2 refuses WAITAOF because appendonly is off',
    facts: { mode: 'fsync', version: '7.2.4', waitAof: { refused: 'ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.' }, aof: { via: 'CONFIG GET', appendonly: 'no', appendfsync: 'everysec' } },
    waitAof: false,
    level: 'warn',
    says: [`redis at ${AT} runs appendonly no (CONFIG GET)`, 'WAITAOF refused: ERR WAITAOF cannot be used', ...REMEDY],
  },
  {
    name: 'fsync, 7.2 refuses WAITAOF (a replica) but runs appendfsync always',
    facts: { mode: 'fsync', version: '7.2.4', waitAof: { refused: 'ERR WAITAOF cannot be used with replica instances.' }, aof: { via: 'CONFIG GET', appendonly: 'yes', appendfsync: 'always' } },
    waitAof: false,
    level: 'info',
    says: ['appendonly yes + appendfsync always (CONFIG GET)', 'WAITAOF refused'],
  },
  // fsync on Redis < 7.2: CONFIG GET answers
  { name: 'fsync, 7.0, always', facts: { mode: 'fsync', version: '7.0.15', aof: { via: 'CONFIG GET', appendonly: 'yes', appendfsync: 'always' } }, waitAof: false, level: 'info', says: ['redis durability fsync', 'appendonly yes + appendfsync always', 'Redis 7.0.15 has no WAITAOF, which needs 7.2'] },
  { name: 'fsync, 7.0, everysec', facts: { mode: 'fsync', version: '7.0.15', aof: { via: 'CONFIG GET', appendonly: 'yes', appendfsync: 'everysec' } }, waitAof: false, level: 'warn', says: [`redis at ${AT} runs appendonly yes + appendfsync everysec (CONFIG GET)`, 'up to about a second', 'Redis 7.0.15 has no WAITAOF', ...REMEDY] },
  { name: 'fsync, 7.0, appendfsync no', facts: { mode: 'fsync', version: '7.0.15', aof: { via: 'CONFIG GET', appendonly: 'yes', appendfsync: 'no' } }, waitAof: false, level: 'warn', says: ['appendfsync no (CONFIG GET)', 'operating system decides', ...REMEDY] },
  { name: 'fsync, 7.0, appendonly no', facts: { mode: 'fsync', version: '7.0.15', aof: { via: 'CONFIG GET', appendonly: 'no', appendfsync: 'always' } }, waitAof: false, level: 'warn', says: [`redis at ${AT} runs appendonly no (CONFIG GET): acknowledged requests are not on disk`, ...REMEDY] },
  { name: 'fsync, 6.2, appendonly no', facts: { mode: 'fsync', version: '6.2.14', aof: { via: 'CONFIG GET', appendonly: 'no', appendfsync: 'everysec' } }, waitAof: false, level: 'warn', says: ['appendonly no', 'Redis 6.2.14 has no WAITAOF'] },
  // CONFIG disabled (managed Redis): INFO persistence tells only whether AOF is on
  {
    name: 'fsync, CONFIG refused, AOF on',
    facts: { mode: 'fsync', version: '7.0.15', aof: { via: 'INFO persistence', appendonly: 'yes', configRefused: "ERR unknown command 'CONFIG'" } },
    waitAof: false,
    level: 'warn',
    says: ['runs appendonly yes (INFO persistence aof_enabled:1)', 'cannot read', "CONFIG GET: ERR unknown command 'CONFIG'", 'on disk only if it is always', ...REMEDY],
  },
  { name: 'fsync, CONFIG refused, AOF off', facts: { mode: 'fsync', version: '7.0.15', aof: { via: 'INFO persistence', appendonly: 'no', configRefused: 'ERR unknown command' } }, waitAof: false, level: 'warn', says: [`redis at ${AT} runs appendonly no (INFO persistence)`, ...REMEDY] },
  {
    name: 'fsync, neither CONFIG nor INFO',
    facts: { mode: 'fsync', versionRefused: 'NOPERM', aof: { via: 'none', configRefused: 'NOPERM config', infoRefused: 'NOPERM info' } },
    waitAof: false,
    level: 'warn',
    says: [`cannot tell whether redis at ${AT} writes to disk`, 'NOPERM config', 'NOPERM info', 'Redis version unknown (INFO server: NOPERM)', ...REMEDY],
  },
];

test('durabilityPlan: mode × version × WAITAOF × what CONFIG GET / INFO persistence say', () => {
  for (const row of ROWS) {
    const plan = durabilityPlan({ redis: AT, ...row.facts });
    assert.equal(plan.waitAof, row.waitAof, `${row.name}: waitAof`);
    assert.equal(plan.level, row.level, `${row.name}: level (${plan.message})`);
    for (const s of row.says) assert.ok(plan.message.includes(s), `${row.name}: "${plan.message}" says "${s}"`);
  }
});

// ------------------------------------------------------------ against a real redis-server

const HOUR = 3_600_000;
const WIDE: QueueLimits = { maxMessages: 1_000_000, maxBytes: 1_000_000_000, globalMaxBytes: 1_000_000_000 };

function item(rqi: string): EnqueueRequest {
  return { request: { op: 5, to: '/cse-in/CAE1', fr: '/cse-in', rqi, pc: { 'm2m:sgn': { sur: '/cse-in/sub-1' } } }, bytes: 10, expiresAt: Date.now() + HOUR, replaceSameSur: false };
}

function prefix(): string {
  return `dur-${randomBytes(6).toString('hex')}:`;
}

/** A pino logger whose lines land in an array. */
function capture(): { logger: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.length > 0) lines.push(JSON.parse(l) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const WARN = 40;
const INFO = 30;

/** The store's own scripts and WAITAOFs in the proxy's log, without the once-a-second stats snapshot (its first key is `queues`). */
function writes(commands: string[][]): string[] {
  const snapshot = (c: string[]) => c[2] === '3' && (c[3] ?? '').endsWith('queues');
  return commands.filter((c) => c[0] === 'WAITAOF' || ((c[0] === 'EVALSHA' || c[0] === 'EVAL') && !snapshot(c))).map((c) => c[0]);
}

const { redis: plain, skip } = await redisOrSkip({ serverArgs: ['--appendonly', 'no'] });

describe('RedisStore durability against a real redis-server', { skip, timeout: 60_000 }, () => {
  const servers: RedisServer[] = [];
  const proxies: RedisRewriteProxy[] = [];
  const extra = async (serverArgs: string[]): Promise<RedisServer> => {
    const { redis } = await redisOrSkip({ serverArgs });
    assert.ok(redis, 'a second redis-server starts');
    servers.push(redis);
    return redis;
  };
  after(async () => {
    for (const p of proxies) await p.close();
    for (const s of [plain, ...servers]) await s?.stop();
  });

  async function opened(url: string, durability: 'fsync' | 'applied'): Promise<{ store: RedisStore; lines: Array<{ level: number; msg: string }> }> {
    const { logger, lines } = capture();
    const store = new RedisStore(url, { prefix: prefix(), durability, logger });
    await store.open();
    return { store, lines };
  }

  test('fsync on appendonly no: one warn line at open naming what Redis runs and both ways out; enqueues add none', async () => {
    const { store, lines } = await opened(plain!.url, 'fsync');
    try {
      for (let i = 0; i < 3; i++) assert.ok((await store.enqueue('CAE1', item(`w${i}`), WIDE)).stored);
      const warned = lines.filter((l) => l.level === WARN);
      assert.equal(warned.length, 1, JSON.stringify(lines));
      assert.match(warned[0].msg, /^redis at redis:\/\/127\.0\.0\.1:\d+ runs appendonly no \(CONFIG GET\): acknowledged requests are not on disk/);
      for (const s of REMEDY) assert.ok(warned[0].msg.includes(s), s);
      assert.ok(warned[0].msg.includes('has no WAITAOF'), 'says why WAITAOF is not used');
      assert.equal(store.durability?.waitAof, false);
    } finally {
      await store.close();
    }
  });

  test('fsync on appendonly yes + appendfsync always: no warning, one info line', async () => {
    const always = await extra(['--appendonly', 'yes', '--appendfsync', 'always']);
    const { store, lines } = await opened(always.url, 'fsync');
    try {
      assert.deepEqual(lines.filter((l) => l.level >= WARN), []);
      assert.equal(lines.filter((l) => l.level === INFO && l.msg.startsWith('redis durability fsync: ')).length, 1, JSON.stringify(lines));
    } finally {
      await store.close();
    }
  });

  test('fsync on appendonly yes + appendfsync everysec (what the test Redis runs by default): warns', async () => {
    const everysec = await extra([]);
    const { store, lines } = await opened(everysec.url, 'fsync');
    try {
      const warned = lines.filter((l) => l.level === WARN);
      assert.equal(warned.length, 1);
      assert.match(warned[0].msg, /runs appendonly yes \+ appendfsync everysec \(CONFIG GET\): a Redis crash can lose up to about a second/);
    } finally {
      await store.close();
    }
  });

  test('applied never warns, even on appendonly no, and asks Redis nothing about it', async () => {
    const proxy = await startRedisRewriteProxy(plain!, () => undefined);
    proxies.push(proxy);
    const { store, lines } = await opened(proxy.url, 'applied');
    try {
      assert.ok((await store.enqueue('CAE1', item('a1'), WIDE)).stored);
      assert.deepEqual(lines.filter((l) => l.level >= WARN), []);
      const said = lines.filter((l) => l.level === INFO);
      assert.equal(said.length, 1);
      assert.match(said[0].msg, /^redis durability applied: /);
      assert.deepEqual(proxy.commands.filter((c) => ['CONFIG', 'WAITAOF'].includes(c[0]) || (c[0] === 'INFO' && c[1] !== undefined)), []);
    } finally {
      await store.close();
    }
  });

  test('CONFIG disabled (managed Redis): INFO persistence says AOF is on; the warning says appendfsync could not be read', async () => {
    const always = await extra(['--appendonly', 'yes', '--appendfsync', 'always']);
    const proxy = await startRedisRewriteProxy(always, (c) => (c[0] === 'CONFIG' ? evalReply("return redis.error_reply('ERR unknown command CONFIG')") : undefined));
    proxies.push(proxy);
    const { store, lines } = await opened(proxy.url, 'fsync');
    try {
      const warned = lines.filter((l) => l.level === WARN);
      assert.equal(warned.length, 1, JSON.stringify(lines));
      assert.ok(warned[0].msg.includes('runs appendonly yes (INFO persistence aof_enabled:1) with an appendfsync policy the bridge cannot read'), warned[0].msg);
      assert.ok(warned[0].msg.includes('ERR unknown command CONFIG'), warned[0].msg);
    } finally {
      await store.close();
    }
  });

  describe('Redis 7.2 emulated by the proxy: WAITAOF after each acknowledging write', () => {
    /** Local fsyncs the emulated WAITAOF reports (1: on disk; 0: timed out). */
    let local = 1;
    let proxy: RedisRewriteProxy;
    const version72 = (c: string[]): string[] | undefined => {
      if (c[0] === 'INFO' && c[1]?.toLowerCase() === 'server') return evalReply("return '# Server\\r\\nredis_version:7.2.4\\r\\n'");
      if (c[0] === 'WAITAOF') return evalReply(`return {${local}, 0}`);
      return undefined;
    };

    test('open() finds WAITAOF and says so; enqueue and registration writes are each followed by WAITAOF 1 0', async () => {
      local = 1;
      const always = await extra(['--appendonly', 'yes', '--appendfsync', 'always']);
      proxy = await startRedisRewriteProxy(always, version72);
      proxies.push(proxy);
      const { store, lines } = await opened(proxy.url, 'fsync');
      try {
        assert.equal(store.durability?.waitAof, true);
        assert.deepEqual(lines.filter((l) => l.level >= WARN), []);
        assert.ok(lines.some((l) => l.msg.startsWith('redis durability fsync: Redis 7.2.4 has WAITAOF')), JSON.stringify(lines));
        const from = proxy.commands.length;
        assert.ok((await store.enqueue('CAE1', item('e1'), WIDE)).stored);
        await store.putRegistration({ id: 'CAE1', key: 'k-1', kind: 'ae', createdAt: 1 });
        await store.deleteRegistration('CAE1');
        // each of the three writes is a script with WAITAOF right after it (a NOSCRIPT retry repeats the pair)
        const names = writes(proxy.commands.slice(from));
        assert.ok(names.length >= 6, names.join(' '));
        for (let i = 0; i < names.length; i += 2) assert.deepEqual(names.slice(i, i + 2).map((n) => n.replace('EVALSHA', 'EVAL')), ['EVAL', 'WAITAOF'], names.join(' '));
        assert.deepEqual(proxy.commands.find((c) => c[0] === 'WAITAOF')?.slice(1, 3), ['1', '0']);
        assert.equal((await store.peek('CAE1', 0, 10)).length, 1);
      } finally {
        await store.close();
      }
    });

    test('a Redis that does not know the script (SCRIPT FLUSH) gets EVAL and a WAITAOF after it, not only after the refused EVALSHA', async () => {
      local = 1;
      const { store } = await opened(proxy.url, 'fsync');
      const raw = new Redis(proxy.url);
      try {
        await raw.script('FLUSH');
        const from = proxy.commands.length;
        assert.ok((await store.enqueue('CAE1', item('n1'), WIDE)).stored);
        assert.deepEqual(writes(proxy.commands.slice(from)), ['EVALSHA', 'WAITAOF', 'EVAL', 'WAITAOF']);
      } finally {
        raw.disconnect();
        await store.close();
      }
    });

    test('WAITAOF confirming 0 local fsyncs: enqueue and registration writes fail as BRIDGE_ERR_STORE (rsc 5000), never succeed', async () => {
      local = 1;
      const { store } = await opened(proxy.url, 'fsync');
      try {
        local = 0;
        const isStoreError = (err: unknown) => err instanceof BridgeError && err.code === 'BRIDGE_ERR_STORE' && err.rsc === 5000 && /WAITAOF: 0 local fsyncs/.test(err.message);
        await assert.rejects(store.enqueue('CAE1', item('z1'), WIDE), isStoreError);
        await assert.rejects(store.putRegistration({ id: 'CAE2', key: 'k-2', kind: 'ae', createdAt: 1 }), isStoreError);
        await assert.rejects(store.deleteRegistration('CAE2'), isStoreError);
        // a request refused by a cap wrote nothing: its answer does not wait for the disk
        const refused = await store.enqueue('CAE1', item('z2'), { ...WIDE, maxMessages: 0 });
        assert.deepEqual(refused, { stored: false, reason: 'max_messages' });
      } finally {
        local = 1;
        await store.close();
      }
    });
  });
});
