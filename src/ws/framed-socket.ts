// The WebSocketLike a session writes to, over a `ws` WebSocket: the framed
// writer of the hot path.
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
// ws.send(): slower, never wrong. Before moving to another ws version, run
// test/ws/framed-socket.test.ts and bench/uplink.ts against it.
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { WebSocketLike } from './ws-session.js';

/** The parts of a `ws` WebSocket the direct frame path looks at (ws 8.23.0). */
interface WsInternals {
  _socket?: Socket;
  _sender?: { _state?: number; _queue?: unknown[] };
  _extensions?: Record<string, unknown>;
}

/**
 * A WebSocketLike over a `ws` WebSocket that writes uncompressed messages as
 * one pre-framed buffer (RFC 6455 5.2, server frames are not masked) instead
 * of ws's corked header + payload writev: on the hot path that write was the
 * largest single cost (docs/benchmarks.md). Anything unusual — an extension,
 * a busy sender, a callback — goes through ws.send().
 */
export function framedSocket(ws: WebSocket): WebSocketLike {
  return new FramedSocket(ws);
}

// A class, not a closure per connection: idle connections stay small.
class FramedSocket implements WebSocketLike {
  private readonly ws: WebSocket;
  private readonly socket: Socket | undefined;
  private readonly sender: WsInternals['_sender'];

  constructor(ws: WebSocket) {
    this.ws = ws;
    const internals = ws as unknown as WsInternals;
    const sender = internals._sender;
    const direct = internals._socket !== undefined && sender !== undefined && Array.isArray(sender._queue) && typeof sender._state === 'number' && Object.keys(internals._extensions ?? {}).length === 0;
    this.socket = direct ? internals._socket : undefined;
    this.sender = direct ? sender : undefined;
  }

  send(data: Buffer | string, options: { binary: boolean }, cb?: (err?: Error) => void): void {
    const socket = this.socket;
    const sender = this.sender;
    if (socket === undefined || sender === undefined || cb !== undefined || this.ws.readyState !== 1 || sender._state !== 0 || sender._queue!.length !== 0) {
      this.ws.send(data, options, cb);
      return;
    }
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

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }
}
