// A TS-0020 registrar for tests: a `ws` server on port 0 that picks a oneM2M
// subprotocol, answers requests with a handler and sends requests down to a
// connected registree, matching answers by rqi. It stands for the
// WebSocket-capable CSE a client or the bridge's uplink mode registers to.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { PrimitiveCodec } from '../../src/primitive/codec.js';
import { codecFor } from '../../src/primitive/codecs.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';
import { negotiateSubprotocol } from '../../src/ws/subprotocol.js';

export type RegistrarHandler = (req: RequestPrimitive, conn: RegistrarConnection) => ResponsePrimitive | null | Promise<ResponsePrimitive | null>;

export class RegistrarConnection {
  /** Requests the registree sent, in arrival order. */
  readonly received: RequestPrimitive[] = [];
  /** Responses that matched no request sent down. */
  readonly stray: ResponsePrimitive[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiting = new Map<string, (rsp: ResponsePrimitive) => void>();
  private counter = 0;

  constructor(
    readonly ws: WebSocket,
    readonly headers: IncomingHttpHeaders,
    readonly codec: PrimitiveCodec,
    private readonly registrar: TestRegistrar,
    /** CN of the verified client certificate (wss:// with client certificates). */
    readonly peerCn?: string,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer) => this.onMessage(data));
  }

  get origin(): string | undefined {
    const v = this.headers['x-m2m-origin'];
    return Array.isArray(v) ? v[0] : v;
  }

  get subprotocol(): string {
    return this.ws.protocol;
  }

  /** Sends a request down and resolves with the registree's answer. */
  request(req: Omit<RequestPrimitive, 'rqi'> & { rqi?: string }, timeoutMs = 5000): Promise<ResponsePrimitive> {
    const full: RequestPrimitive = { rvi: '3', ...req, rqi: req.rqi ?? `reg-${++this.counter}` };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(full.rqi);
        reject(new Error(`registree did not answer ${full.rqi} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(full.rqi, (rsp) => {
        clearTimeout(timer);
        resolve(rsp);
      });
      this.send(this.codec.encodeRequest(full));
    });
  }

  send(data: Buffer | string): void {
    this.ws.send(data, { binary: this.codec.binary });
  }

  private onMessage(data: Buffer): void {
    const decoded = this.codec.decode(this.codec.binary ? data : data.toString('utf8'));
    if (decoded.kind === 'response') {
      const waiter = this.waiting.get(decoded.primitive.rqi);
      if (waiter === undefined) this.stray.push(decoded.primitive);
      else {
        this.waiting.delete(decoded.primitive.rqi);
        waiter(decoded.primitive);
      }
      return;
    }
    const req = decoded.primitive;
    this.received.push(req);
    this.registrar.notifyReceived();
    void Promise.resolve(this.registrar.handler(req, this)).then((rsp) => {
      if (rsp !== null && this.ws.readyState === 1) this.send(this.codec.encodeResponse(rsp));
    });
  }
}

export interface TestRegistrarOptions {
  handler?: RegistrarHandler;
  /** Only these subprotocols (lower-case) are accepted; default all oneM2M ones. */
  accept?: readonly string[];
  /** wss:// with this certificate; requestCert + ca: client certificates must chain to ca. */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer; requireClientCert?: boolean };
}

export class TestRegistrar {
  readonly connections: RegistrarConnection[] = [];
  handler: RegistrarHandler;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private waiters: Array<() => void> = [];
  url = '';

  private constructor(server: Server, options: TestRegistrarOptions) {
    this.server = server;
    this.handler = options.handler ?? ((req) => ({ rsc: 2000, rqi: req.rqi, rvi: req.rvi ?? '3' }));
    const accept = options.accept;
    this.wss = new WebSocketServer({
      server,
      handleProtocols: (protocols: Set<string>) => {
        const offered = [...protocols].filter((p) => accept === undefined || accept.includes(p.toLowerCase()));
        const n = negotiateSubprotocol(offered.join(','));
        return n.ok ? n.token : false;
      },
    });
    this.wss.on('connection', (ws, req) => {
      const n = negotiateSubprotocol(ws.protocol);
      if (!n.ok) {
        ws.close(1002, 'no oneM2M subprotocol');
        return;
      }
      const tls = req.socket as Partial<TLSSocket>;
      const cn = tls.authorized === true ? tls.getPeerCertificate?.().subject?.CN : undefined;
      this.connections.push(new RegistrarConnection(ws, req.headers, codecFor(n.serialization), this, typeof cn === 'string' ? cn : undefined));
      this.notifyReceived();
    });
  }

  static async start(options: TestRegistrarOptions = {}): Promise<TestRegistrar> {
    const server =
      options.tls === undefined
        ? createServer()
        : createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, requestCert: options.tls.requireClientCert === true, rejectUnauthorized: options.tls.requireClientCert === true });
    const registrar = new TestRegistrar(server, options);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    registrar.url = `${options.tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return registrar;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The latest connection. */
  get current(): RegistrarConnection | undefined {
    return this.connections[this.connections.length - 1];
  }

  /** Resolves once `n` connections were accepted in total. */
  async waitForConnections(n: number, timeoutMs = 5000): Promise<RegistrarConnection> {
    await this.waitFor(() => this.connections.length >= n, timeoutMs, `${n} connection(s)`);
    return this.connections[n - 1]!;
  }

  /** Resolves once the connections received `n` requests in total. */
  async waitForRequests(n: number, timeoutMs = 5000): Promise<RequestPrimitive[]> {
    const all = () => this.connections.flatMap((c) => c.received);
    await this.waitFor(() => all().length >= n, timeoutMs, `${n} request(s)`);
    return all();
  }

  /** Cuts every connection without a closing handshake. */
  dropAll(): void {
    for (const c of this.connections) c.ws.terminate();
  }

  notifyReceived(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
