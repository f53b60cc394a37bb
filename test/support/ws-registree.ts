// A registree as a device would be: a real `ws` client speaking one oneM2M
// subprotocol, matching responses by rqi and answering incoming requests.
// It encodes and decodes with its own codec (device-codec.ts: plain JSON,
// cbor-x, fast-xml-parser), never the bridge's src/primitive codecs.
import { once } from 'node:events';
import WebSocket from 'ws';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';
import { deviceCodec } from './device-codec.js';
import type { DeviceCodec, Format, Obj } from './device-codec.js';

export interface ConnectOptions {
  headers?: Record<string, string>;
  perMessageDeflate?: boolean;
  /** How incoming requests are answered from the first message on (default: 2000). */
  onRequest?: IncomingHandler;
  /** wss://: trusted CA and client certificate. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

export type IncomingHandler = (req: RequestPrimitive) => ResponsePrimitive | Promise<ResponsePrimitive> | null;

let rqiCounter = 0;
export function nextRqi(): string {
  return `t-${process.pid}-${++rqiCounter}`;
}

const FORMAT_OF: Record<string, Format> = { json: 'json', xml: 'xml', cbor: 'cbor' };

export class WsRegistree {
  readonly ws: WebSocket;
  readonly codec: DeviceCodec;
  /** Requests the bridge sent down, in arrival order. */
  readonly received: RequestPrimitive[] = [];
  /** Every message as it arrived: whether the frame was binary. */
  readonly frames: Array<{ binary: boolean }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiting = new Map<string, (rsp: ResponsePrimitive) => void>();
  private readonly stray: ResponsePrimitive[] = [];
  private handler: IncomingHandler = (req) => ({ rsc: 2000, rqi: req.rqi, rvi: req.rvi ?? '3' });
  private receivedWaiters: Array<() => void> = [];

  private constructor(ws: WebSocket, codec: DeviceCodec, early: Array<[Buffer, boolean]>, handler?: IncomingHandler) {
    this.ws = ws;
    this.codec = codec;
    if (handler !== undefined) this.handler = handler;
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    for (const [data, isBinary] of early) this.onMessage(data, isBinary);
  }

  static async connect(url: string, protocols: string | string[], options: ConnectOptions = {}): Promise<WsRegistree> {
    const ws = new WebSocket(url, protocols, { headers: options.headers, perMessageDeflate: options.perMessageDeflate ?? false, ...options.tls });
    // The bridge may send (stored requests) right after the handshake, before
    // the 'open' continuation runs: keep those messages from the start.
    const early: Array<[Buffer, boolean]> = [];
    const keep = (data: Buffer, isBinary: boolean) => early.push([data, isBinary]);
    ws.on('message', keep);
    const [result] = (await Promise.race([once(ws, 'open').then(() => ['open']), once(ws, 'unexpected-response').then(([, res]) => [res]), once(ws, 'error').then(([e]) => [e])])) as unknown[];
    if (result !== 'open') throw new Error(`handshake failed: ${String((result as { statusCode?: number }).statusCode ?? result)}`);
    ws.off('message', keep);
    const token = ws.protocol.toLowerCase();
    return new WsRegistree(ws, deviceCodec(FORMAT_OF[token.slice(token.lastIndexOf('.') + 1)]), early, options.onRequest);
  }

  /** Answers incoming requests (notifications) with this handler; null = do not answer. */
  onRequest(handler: IncomingHandler): void {
    this.handler = handler;
  }

  send(data: Buffer | string, binary = this.codec.binary): void {
    this.ws.send(data, { binary });
  }

  /** Sends a request and resolves with the response carrying its rqi. */
  request(req: Omit<RequestPrimitive, 'rqi'> & { rqi?: string }, timeoutMs = 5000): Promise<ResponsePrimitive> {
    const full: RequestPrimitive = { rvi: '3', ...req, rqi: req.rqi ?? nextRqi() };
    const p = this.responseTo(full.rqi, timeoutMs);
    this.send(this.codec.encode(full as unknown as Obj));
    return p;
  }

  responseTo(rqi: string, timeoutMs = 5000): Promise<ResponsePrimitive> {
    const early = this.stray.findIndex((r) => r.rqi === rqi);
    if (early !== -1) return Promise.resolve(this.stray.splice(early, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(rqi);
        reject(new Error(`no response to ${rqi} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(rqi, (rsp) => {
        clearTimeout(timer);
        resolve(rsp);
      });
    });
  }

  /** Responses that matched no waiting request (e.g. answers to raw sends). */
  get strayResponses(): readonly ResponsePrimitive[] {
    return this.stray;
  }

  async waitForReceived(n: number, timeoutMs = 5000): Promise<RequestPrimitive[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${n} requests, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.receivedWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.received.slice(0, n);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    await this.closed;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.frames.push({ binary: isBinary });
    const decoded = this.codec.decode(data);
    if (decoded.kind === 'response') {
      const rsp = decoded.primitive as unknown as ResponsePrimitive;
      const waiter = this.waiting.get(rsp.rqi);
      if (waiter !== undefined) {
        this.waiting.delete(rsp.rqi);
        waiter(rsp);
      } else this.stray.push(rsp);
      return;
    }
    const req = decoded.primitive as unknown as RequestPrimitive;
    this.received.push(req);
    const waiters = this.receivedWaiters;
    this.receivedWaiters = [];
    for (const w of waiters) w();
    void Promise.resolve(this.handler(req)).then((rsp) => {
      if (rsp !== null && this.ws.readyState === WebSocket.OPEN) this.send(this.codec.encode(rsp as unknown as Obj));
    });
  }
}
