// A real redis-server for tests of --store redis://… (DESIGN 5, 6): a free
// port on 127.0.0.1, AOF on in a temporary directory, no RDB snapshots.
// Rejects with a clear message when redis-server is not installed, so test
// files can skip (CI installs it).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  url: string;
  port: number;
  /** SIGTERM (redis-server flushes the AOF on shutdown), waits for exit, removes the directory. */
  stop(): Promise<void>;
  /** Stops the server (keeping its directory) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops the server, keeping its directory and port, until up(): Redis is away. */
  down(): Promise<void>;
  /** Starts it again after down() or crash(), on the same port and data. */
  up(): Promise<void>;
  /** SIGKILL, keeping its directory and port, until up(): Redis dies with commands in flight. */
  crash(): Promise<void>;
}

const BINARY = 'redis-server';

/** Why redis-server cannot be used here, or undefined when it can. */
export function redisUnavailable(): string | undefined {
  const r = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    return `${BINARY} is not on PATH (${r.error?.message ?? `exit ${r.status}`}); install Redis to run these tests`;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket; true on +PONG (or NOAUTH: up, with a password). */
function ping(port: number, tls = false): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = tls ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once(tls ? 'secureConnect' : 'connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG') || buf.startsWith('-NOAUTH'));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export interface RedisOptions {
  /** requirepass: clients must authenticate (the url carries it). */
  password?: string;
  /** TLS only (no plain port): PEM files of the server; the url is rediss://. */
  tls?: { cert: string; key: string };
  /** More redis-server arguments, after the defaults (a later option wins), e.g. ['--appendfsync', 'always']. */
  serverArgs?: string[];
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const why = redisUnavailable();
  if (why !== undefined) throw new Error(why);
  const dir = await mkdtemp(join(tmpdir(), 'bridge-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  async function launch(): Promise<void> {
    const c = spawn(
      BINARY,
      [
        '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir, '--daemonize', 'no',
        ...(options.tls !== undefined
          ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key, '--tls-auth-clients', 'no']
          : ['--port', String(port)]),
        ...(options.password !== undefined ? ['--requirepass', options.password] : []),
        ...(options.serverArgs ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = c;
    output = '';
    c.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
    c.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) {
        throw new Error(`redis-server exited at start (${c.exitCode ?? c.signalCode}):\n${output.slice(-2000)}`);
      }
      if (await ping(port, options.tls !== undefined)) return;
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        await exited(c);
        throw new Error(`redis-server on port ${port} did not answer PING within 10 s:\n${output.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function halt(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = child;
    child = undefined;
    if (c === undefined) return;
    if (c.exitCode === null && c.signalCode === null) c.kill(signal);
    await exited(c);
  }

  await launch();
  return {
    url: `${options.tls !== undefined ? 'rediss' : 'redis'}://${options.password !== undefined ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`,
    port,
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await halt();
      await launch();
    },
    down: () => halt(),
    up: launch,
    crash: () => halt('SIGKILL'),
  };
}

/**
 * A started redis-server, or the reason a test file skips (redis-server not
 * installed here; CI installs it). For `describe(..., { skip }, ...)`.
 */
export async function redisOrSkip(options: RedisOptions = {}): Promise<{ redis: RedisServer | undefined; skip: string | false }> {
  try {
    return { redis: await startRedis(options), skip: false };
  } catch (err) {
    const why = `redis-server not available: ${err instanceof Error ? err.message : String(err)}`;
    // In CI nothing may skip: .ci/run installs redis-server, so its absence is a failure.
    if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') throw new Error(`${why} (CI is set: the redis tests must run)`);
    process.stderr.write(`skipping: ${why}\n`);
    return { redis: undefined, skip: why };
  }
}
