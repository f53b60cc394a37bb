// An HTTP proxy that only tunnels: CONNECT host:port (TS-0020 6.6), then
// bytes both ways. Tests read which targets were asked for, cut every
// tunnel at once (a network drop), or make it refuse new tunnels.
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ConnectProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** request targets of every CONNECT, in order (`host:port`) */
  readonly connects: string[];
  /** Proxy-Authorization of every CONNECT ('' when absent) */
  readonly authorizations: string[];
  /** Refuse new tunnels with this status until set to undefined. */
  refuseWith: number | undefined;
  /** Destroys every open tunnel (both sides), like a NAT box forgetting them. */
  dropTunnels(): void;
  close(): Promise<void>;
}

export async function startConnectProxy(options: { refuseWith?: number } = {}): Promise<ConnectProxy> {
  const open = new Set<Duplex>();
  const server = createServer((req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('this proxy only does CONNECT\n');
    req.resume();
  });
  const proxy: ConnectProxy = {
    url: '',
    connects: [],
    authorizations: [],
    refuseWith: options.refuseWith,
    dropTunnels() {
      for (const s of open) s.destroy();
      open.clear();
    },
    async close() {
      proxy.dropTunnels();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const target = req.url ?? '';
    proxy.connects.push(target);
    proxy.authorizations.push(req.headers['proxy-authorization'] ?? '');
    if (proxy.refuseWith !== undefined) {
      client.end(`HTTP/1.1 ${proxy.refuseWith} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const colon = target.lastIndexOf(':');
    const upstream: Socket = connect(Number(target.slice(colon + 1)), target.slice(0, colon).replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    open.add(client);
    open.add(upstream);
    const forget = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', () => {
      if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      forget();
    });
    client.on('error', forget);
    upstream.on('close', forget);
    client.on('close', forget);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (proxy as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
