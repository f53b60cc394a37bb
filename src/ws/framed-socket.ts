// The WebSocketLike a session writes to, over a `ws` WebSocket: the framed
// writer of the hot path and the drain watch of issue 13 (backpressure).
//
// It reads private fields of `ws`, so package.json pins ws to the exact
// version this was written and tested against (8.23.0; test/ws/framed-socket.test.ts
// checks the frames with a real ws client in every length encoding). What it
// relies on, in ws 8.23.0:
//   ws._socket          the net.Socket / TLSSocket under the WebSocket
//   ws._sender._state   0 (DEFAULT) while the sender is neither compressing nor
//                       reading a Blob
//   ws._sender._queue   messages the sender holds back; a frame written past
//                       the sender while it is not empty would overtake them
//   ws._extensions      the negotiated extensions; with any (permessage-deflate)
//                       every message goes through ws.send()
// When a field is missing or has another shape, every message goes through
// ws.send() and no drain watch runs: slower, never wrong. Before moving to another
// ws version, run test/ws/framed-socket.test.ts and bench/uplink.ts against it.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { WebSocketLike } from './ws-session.js';

/** The parts of a `ws` WebSocket the direct frame path looks at (ws 8.23.0). */
interface WsInternals {
  _socket?: Socket;
  _sender?: { _state?: number; _queue?: unknown[] };
  _extensions?: Record<string, unknown>;
}

/** Closes connections whose peer does not read what is written to it (one per server). */
export interface DrainWatch {
  /** Time the peer has to take every byte that was waiting when the watch started. */
  timeoutMs: number;
  /** The peer did not: the bytes still wait in this process. */
  onStall(ws: WebSocket): void;
}

/**
 * A WebSocketLike over a `ws` WebSocket that writes uncompressed messages as
 * one pre-framed buffer (RFC 6455 5.2, server frames are not masked) instead
 * of ws's corked header + payload writev: on the hot path that write was the
 * largest single cost (docs/benchmarks.md). Anything unusual — an extension,
 * a busy sender, a callback — goes through ws.send().
 *
 * With a DrainWatch, bytes that stay unsent (the peer stopped reading, and
 * the kernel's socket buffers are full) start a timer: when it fires and the
 * bytes that waited at its start have still not all left, the peer stalls.
 */
export function framedSocket(ws: WebSocket, watch?: DrainWatch): WebSocketLike {
  return new FramedSocket(ws, watch);
}

/** setTimeout callback shared by every connection: no closure per connection. */
function checkDrain(socket: FramedSocket): void {
  socket.checkDrain();
}

// A class, not a closure per connection: idle connections stay small.
class FramedSocket implements WebSocketLike {
  private readonly ws: WebSocket;
  /** The socket under ws, when it could be found (drain watch and direct frames). */
  private readonly raw: Socket | undefined;
  /** Set when frames may be written straight to `raw`. */
  private readonly sender: WsInternals['_sender'];
  private readonly watch: DrainWatch | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** socket.bytesWritten when the drain watch started: all of it must have left when it fires. */
  private drainTarget = 0;
  /** True between cork() and uncork(). */
  private corked = false;

  constructor(ws: WebSocket, watch?: DrainWatch) {
    this.ws = ws;
    const internals = ws as unknown as WsInternals;
    const raw = internals._socket;
    const sender = internals._sender;
    this.raw = raw !== undefined && typeof raw.write === 'function' ? raw : undefined;
    const direct = this.raw !== undefined && sender !== undefined && Array.isArray(sender._queue) && typeof sender._state === 'number' && Object.keys(internals._extensions ?? {}).length === 0;
    this.sender = direct ? sender : undefined;
    this.watch = this.raw !== undefined && watch !== undefined && watch.timeoutMs > 0 ? watch : undefined;
  }

  /**
   * Bytes written but not yet handed to the kernel (ws's public bufferedAmount).
   * While corked, what was sent since cork() counts too: it is unsent, and the
   * backpressure cap (issue 13, SECURITY.md: at most --max-downlink-buffered
   * bytes unsent per registree) must cut a corked window short as it would
   * have cut uncorked sends into a full socket.
   */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Frames sent until uncork() leave in one write (a writev of all of them). */
  cork(): void {
    const raw = this.raw;
    if (raw === undefined || this.corked) return;
    raw.cork();
    this.corked = true;
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    const raw = this.raw!;
    raw.uncork();
    if (this.watch !== undefined && this.drainTimer === undefined && raw.writableLength > 0) this.startDrainWatch();
  }

  send(data: Buffer | string, options: { binary: boolean }, cb?: (err?: Error) => void): void {
    const socket = this.raw;
    const sender = this.sender;
    if (sender === undefined || socket === undefined || cb !== undefined || this.ws.readyState !== 1 || sender._state !== 0 || sender._queue!.length !== 0) {
      this.ws.send(data, options, cb);
    } else {
      const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      const head = length < 126 ? 2 : length < 65536 ? 4 : 10;
      const frame = Buffer.allocUnsafe(head + length);
      frame[0] = 0x80 | (options.binary ? 0x2 : 0x1);
      if (head === 2) frame[1] = length;
      else if (head === 4) {
        frame[1] = 126;
        frame.writeUInt16BE(length, 2);
      } else {
        frame[1] = 127;
        frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
        frame.writeUInt32BE(length >>> 0, 6);
      }
      if (typeof data === 'string') frame.write(data, head, 'utf8');
      else data.copy(frame, head);
      socket.write(frame);
    }
    // Usually the kernel took everything and this is one comparison. Corked: uncork() looks.
    if (this.watch !== undefined && this.drainTimer === undefined && !this.corked && this.raw!.writableLength > 0) this.startDrainWatch();
  }

  close(code?: number, reason?: string): void {
    this.stopDrainWatch();
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.stopDrainWatch();
    this.ws.terminate();
  }

  ping(): void {
    this.ws.ping();
  }

  /** What the socket under ws has read (pongs included): the keepalive needs no 'pong' listener. */
  get bytesRead(): number | undefined {
    return this.raw?.bytesRead;
  }

  /** The drain watch fired: did everything that waited at its start leave? */
  checkDrain(): void {
    this.drainTimer = undefined;
    const raw = this.raw!;
    if (this.ws.readyState !== 1) return;
    // bytesWritten counts what was handed to the socket, writableLength what it still holds.
    if (raw.bytesWritten - raw.writableLength < this.drainTarget) {
      this.watch!.onStall(this.ws);
      return;
    }
    if (raw.writableLength > 0) this.startDrainWatch();
  }

  private startDrainWatch(): void {
    this.drainTarget = this.raw!.bytesWritten;
    this.drainTimer = setTimeout(checkDrain, this.watch!.timeoutMs, this);
    this.drainTimer.unref();
  }

  private stopDrainWatch(): void {
    if (this.drainTimer === undefined) return;
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }
}
