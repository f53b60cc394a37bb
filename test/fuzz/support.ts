// Helpers for the fuzz and fault tests that talk to a running bridge: a raw
// WebSocket client that never throws on what it receives, and recorders for
// uncaught exceptions and unhandled rejections in this (the bridge's) process.
import WebSocket from 'ws';
import { codecFor } from '../../src/primitive/codecs.js';
import type { PrimitiveCodec } from '../../src/primitive/codec.js';
import type { ResponsePrimitive, Serialization } from '../../src/primitive/types.js';

/** Records every uncaught exception and unhandled rejection until stopped. */
export class CrashRecorder {
  readonly errors: string[] = [];
  private readonly onException = (err: unknown): void => {
    this.errors.push(`uncaughtException: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  };
  private readonly onRejection = (reason: unknown): void => {
    this.errors.push(`unhandledRejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  };
  constructor() {
    process.on('uncaughtException', this.onException);
    process.on('unhandledRejection', this.onRejection);
  }
  stop(): void {
    process.off('uncaughtException', this.onException);
    process.off('unhandledRejection', this.onRejection);
  }
}

const SERIALIZATION_OF: Record<string, Serialization> = { json: 'json', xml: 'xml', cbor: 'cbor' };

/** A WebSocket client that sends raw frames and keeps everything that comes back. */
export class RawClient {
  readonly codec: PrimitiveCodec;
  readonly responses: ResponsePrimitive[] = [];
  /** Messages from the bridge that are no well-formed primitive (with why). */
  readonly malformed: string[] = [];
  /** Requests the bridge sent down (kind request). */
  readonly requests: unknown[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  closeInfo: { code: number; reason: string } | undefined;
  private listeners: Array<() => void> = [];

  private constructor(readonly ws: WebSocket, codec: PrimitiveCodec) {
    this.codec = codec;
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.notify();
      }),
    );
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (codec.binary !== isBinary) this.malformed.push(`frame type: binary=${isBinary} on ${codec.serialization}`);
      try {
        const p = codec.decode(codec.binary ? data : data.toString('utf8'));
        if (p.kind === 'response') this.responses.push(p.primitive);
        else this.requests.push(p.primitive);
      } catch (err) {
        this.malformed.push(`${String(err)}: ${data.toString('utf8').slice(0, 200)}`);
      }
      this.notify();
    });
  }

  static async connect(url: string, subprotocol: string, headers?: Record<string, string>): Promise<RawClient> {
    const ws = new WebSocket(url, subprotocol, { perMessageDeflate: false, headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake: HTTP ${res.statusCode}`)));
    });
    const token = ws.protocol.toLowerCase();
    return new RawClient(ws, codecFor(SERIALIZATION_OF[token.slice(token.lastIndexOf('.') + 1)]));
  }

  send(data: Buffer | string, binary: boolean): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data, { binary });
  }

  responsesTo(rqi: string): ResponsePrimitive[] {
    return this.responses.filter((r) => r.rqi === rqi);
  }

  /** Resolves when cond() holds or the socket closed; rejects after timeoutMs (a hang). */
  waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (cond() || this.closeInfo !== undefined) {
          clearTimeout(timer);
          this.listeners = this.listeners.filter((l) => l !== check);
          resolve();
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      if (!check()) this.listeners.push(check);
    });
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
    await this.closed;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
