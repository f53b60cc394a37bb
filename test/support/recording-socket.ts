// A socket stand-in for session logic tested without sockets (STYLE): it keeps
// what the session sends and never pushes back (bufferedAmount 0).
import type { WebSocketLike } from '../../src/ws/ws-session.js';

export class RecordingSocket implements WebSocketLike {
  sent: Array<Buffer | string> = [];
  bufferedAmount = 0;
  send(data: Buffer | string): void {
    this.sent.push(data);
  }
  close(): void {}
  terminate(): void {}
}
