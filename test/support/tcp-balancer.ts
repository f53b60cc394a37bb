// A TCP load balancer in front of several replicas' doors, as a Kubernetes
// Service is: each new connection goes to the next target, round robin.
// Targets can be changed at any time (a replica killed, traffic steered).
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export interface TcpBalancer {
  readonly port: number;
  /**
   * Ports on 127.0.0.1 new connections go to, in turn. Open connections are
   * cut, so a keep-alive client (the CSE) reconnects to the new targets.
   */
  setTargets(ports: number[]): void;
  close(): Promise<void>;
}

export async function startTcpBalancer(targets: number[] = []): Promise<TcpBalancer> {
  let list = [...targets];
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    if (list.length === 0) {
      client.destroy();
      return;
    }
    const port = list[next++ % list.length];
    const upstream = connect({ host: '127.0.0.1', port });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.once('error', drop);
    upstream.once('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    setTargets(ports) {
      list = [...ports];
      next = 0;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
