// A TCP relay in front of a redis-server that can hold back what Redis sends
// to subscriber connections (those that sent SUBSCRIBE): pub/sub messages to
// a replica arrive late, while its command connection goes on working. Lets
// a test put a replica's refresh between another replica's claim and the
// moment the "release" message reaches it, without timing. It can also cut
// the clients behind it off Redis (and let them back) while others stay.
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export interface RedisGate {
  /** redis://127.0.0.1:<port of the gate> */
  readonly url: string;
  /** From now on, bytes from Redis to subscriber connections are kept here. */
  hold(): void;
  /** Bytes kept back so far (a published message waiting to be let through). */
  readonly heldBytes: number;
  /** Lets the kept bytes through, in order, and stops holding. */
  open(): void;
  /** Cuts every connection and refuses new ones until mend(): Redis is away for the clients behind the gate. */
  cut(): void;
  mend(): void;
  close(): Promise<void>;
}

// RESP: the command name as a bulk string.
const SUBSCRIBE = /\$9\r\nsubscribe\r\n/i;

export async function startRedisGate(redisPort: number): Promise<RedisGate> {
  let holding = false;
  let refusing = false;
  let heldBytes = 0;
  const held: Array<{ to: Socket; bytes: Buffer }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: redisPort });
    let subscriber = false;
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (bytes: Buffer) => {
      if (!subscriber && SUBSCRIBE.test(bytes.toString('latin1'))) subscriber = true;
      upstream.write(bytes);
    });
    upstream.on('data', (bytes: Buffer) => {
      if (holding && subscriber) {
        held.push({ to: client, bytes });
        heldBytes += bytes.length;
      } else {
        client.write(bytes);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    hold() {
      holding = true;
    },
    get heldBytes() {
      return heldBytes;
    },
    open() {
      holding = false;
      for (const { to, bytes } of held.splice(0)) if (!to.destroyed) to.write(bytes);
      heldBytes = 0;
    },
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    mend() {
      refusing = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
