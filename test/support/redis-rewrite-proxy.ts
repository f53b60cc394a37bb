// A TCP proxy in front of a real redis-server that can replace commands on
// their way in, for what the local Redis cannot do: a Redis 7.2 (INFO server
// saying redis_version:7.2.x, WAITAOF answering) in front of Redis 7.0, or a
// managed Redis with CONFIG disabled. A replaced command is sent to Redis as
// another command whose reply has the same shape (usually an EVAL returning
// the fake answer), so replies stay in order and pass back unchanged.
// It logs every command it saw (upper-cased name first) for tests to read.
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface RedisRewriteProxy {
  /** redis://127.0.0.1:<proxy port> (with the password of `target`, if any) */
  url: string;
  /** Every command a client sent, as received (before replacement). */
  commands: string[][];
  close(): Promise<void>;
}

/** Returns the command to send instead, or undefined to pass it unchanged. */
export type Rewrite = (args: string[]) => string[] | undefined;

/** `EVAL <script> 0`: Redis answers with whatever the script returns. */
export function evalReply(lua: string): string[] {
  return ['EVAL', lua, '0'];
}

function encode(args: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.from(a, 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Splits RESP multi-bulk commands (what ioredis sends) off the front of `buf`.
 * → the commands with their raw bytes, and what is left (an incomplete command).
 */
function parse(buf: Buffer): { commands: Array<{ args: string[]; raw: Buffer }>; rest: Buffer } {
  const commands: Array<{ args: string[]; raw: Buffer }> = [];
  let at = 0;
  for (;;) {
    const start = at;
    const line = (from: number): [string, number] | undefined => {
      const end = buf.indexOf('\r\n', from);
      return end === -1 ? undefined : [buf.toString('latin1', from, end), end + 2];
    };
    const head = line(at);
    if (head === undefined) break;
    if (!head[0].startsWith('*')) throw new Error(`redis proxy: not a multi-bulk command: ${head[0]}`);
    const n = Number(head[0].slice(1));
    let pos = head[1];
    const args: string[] = [];
    let complete = true;
    for (let i = 0; i < n; i++) {
      const len = line(pos);
      if (len === undefined) {
        complete = false;
        break;
      }
      const size = Number(len[0].slice(1));
      if (buf.length < len[1] + size + 2) {
        complete = false;
        break;
      }
      args.push(buf.toString('utf8', len[1], len[1] + size));
      pos = len[1] + size + 2;
    }
    if (!complete) {
      at = start;
      break;
    }
    commands.push({ args, raw: buf.subarray(start, pos) });
    at = pos;
  }
  return { commands, rest: buf.subarray(at) };
}

export async function startRedisRewriteProxy(target: { url: string; port: number }, rewrite: Rewrite): Promise<RedisRewriteProxy> {
  const commands: string[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: target.port });
    sockets.add(client);
    sockets.add(upstream);
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      const { commands: got, rest } = parse(Buffer.concat([pending, chunk]));
      pending = Buffer.from(rest);
      for (const c of got) {
        commands.push([c.args[0].toUpperCase(), ...c.args.slice(1)]);
        const instead = rewrite([c.args[0].toUpperCase(), ...c.args.slice(1)]);
        upstream.write(instead === undefined ? c.raw : encode(instead));
      }
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = new URL(target.url);
  url.port = String(port);
  return {
    url: url.toString().replace(/\/$/, ''),
    commands,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
