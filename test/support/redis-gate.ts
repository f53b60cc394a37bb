// A TCP relay in front of a redis-server that can hold back what Redis sends
// to subscriber connections (those that sent SUBSCRIBE): pub/sub messages to
// a replica arrive late, while its command connection goes on working. Lets
// a test put a replica's refresh between another replica's claim and the
// moment the "release" message reaches it, without timing. It can also hold
// back the commands of the other connections (nothing the replica sends runs
// in Redis until let through), and cut the clients behind it off Redis (and
// let them back) while others stay.
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

type Held = 'messages' | 'commands';

export interface RedisGate {
  /** redis://127.0.0.1:<port of the gate> */
  readonly url: string;
  /**
   * From now on keeps back 'messages' (bytes from Redis to subscriber
   * connections; the default) or 'commands' (bytes to Redis from the others).
   */
  hold(what?: Held): void;
  /** Message bytes kept back so far (a published message waiting to be let through). */
  readonly heldBytes: number;
  /** Lets the kept bytes of that kind (default: both) through, in order, and stops holding them. */
  open(what?: Held): void;
  /** Cuts every connection and refuses new ones until mend(): Redis is away for the clients behind the gate. */
  cut(): void;
  mend(): void;
  close(): Promise<void>;
}

// RESP: the command name as a bulk string.
const SUBSCRIBE = /\$9\r\nsubscribe\r\n/i;

export async function startRedisGate(redisPort: number): Promise<RedisGate> {
  const holding = { messages: false, commands: false };
  let refusing = false;
  let heldBytes = 0;
  const held = { messages: [] as Array<{ to: Socket; bytes: Buffer }>, commands: [] as Array<{ to: Socket; bytes: Buffer }> };
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
      if (holding.commands && !subscriber) held.commands.push({ to: upstream, bytes });
      else upstream.write(bytes);
    });
    upstream.on('data', (bytes: Buffer) => {
      if (holding.messages && subscriber) {
        held.messages.push({ to: client, bytes });
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
    hold(what = 'messages') {
      holding[what] = true;
    },
    get heldBytes() {
      return heldBytes;
    },
    open(what?: Held) {
      for (const kind of what === undefined ? (['commands', 'messages'] as const) : [what]) {
        holding[kind] = false;
        for (const { to, bytes } of held[kind].splice(0)) if (!to.destroyed) to.write(bytes);
        if (kind === 'messages') heldBytes = 0;
      }
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
