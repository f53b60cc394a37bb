// One WebSocket to the server (TS-0020 6.2): the opening handshake with the
// client's headers, proxy and TLS; a refusal kept with the server's status and
// plain-text reason (TS-0020 6.2.3.1); and the keepalive that drops a path
// gone dead. What to do on open, message, drop or failure is the client's.
import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { Onem2mClientError } from './client-error.js';
import type { ConnectionSettings } from './client-options.js';

export interface ConnectionEvents {
  open(ws: WebSocket): void;
  message(ws: WebSocket, data: Buffer, isBinary: boolean): void;
  pong(): void;
  /** An error on an open connection (its close follows). */
  error(err: Onem2mClientError): void;
  /** The open connection `ws` ended. */
  drop(ws: WebSocket, code: number, reason: string): void;
  /** The attempt `ws` ended without an open connection. */
  failed(ws: WebSocket, err: Onem2mClientError): void;
}

/** Opens one WebSocket; `closed` resolves when it is gone (opened or not). */
export function openConnection(s: ConnectionSettings, origin: string | undefined, events: ConnectionEvents): { ws: WebSocket; closed: Promise<void> } {
  const headers: Record<string, string> = { ...s.headers };
  // ACME/tinyIoT extension the bridge honours: binds this connection to an earlier registration (README, Registration).
  if (origin !== undefined) headers['X-M2M-Origin'] = origin;
  const ws = new WebSocket(s.url, s.protocols, {
    headers,
    agent: s.agent,
    handshakeTimeout: s.connectTimeoutMs,
    maxPayload: s.maxMessageBytes,
    perMessageDeflate: s.perMessageDeflate,
    followRedirects: false,
    ...s.tls,
  });
  let opened = false;
  let failure: Onem2mClientError | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const via = s.proxyUrl === undefined ? '' : ` via proxy ${s.proxyUrl.host}`;

  ws.on('message', (data: Buffer, isBinary: boolean) => events.message(ws, data, isBinary));
  ws.on('pong', () => events.pong());
  ws.once('open', () => {
    opened = true;
    events.open(ws);
  });
  ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
    // The server (or the proxy) refused: keep its status and plain-text reason (TS-0020 6.2.3.1).
    const status = res.statusCode ?? 0;
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      const reason = Buffer.concat(chunks).toString('utf8').trim().slice(0, 300);
      failure = new Onem2mClientError('ONEM2M_CLIENT_HANDSHAKE', `${s.shownUrl}${via} refused the handshake: HTTP ${status}${reason === '' ? '' : ` ${reason}`}`, { status });
      req.destroy();
      ws.terminate();
    };
    res.on('data', (chunk: Buffer) => {
      if (size < 4096) chunks.push(chunk);
      size += chunk.length;
    });
    res.once('end', done);
    res.once('error', done);
  });
  ws.on('error', (err: Error) => {
    if (opened) {
      events.error(new Onem2mClientError('ONEM2M_CLIENT_CONNECT', `connection to ${s.shownUrl} failed: ${err.message}`, { cause: err }));
      return;
    }
    failure ??= new Onem2mClientError('ONEM2M_CLIENT_CONNECT', `cannot connect to ${s.shownUrl}${via}: ${err.message}`, { cause: err });
  });
  ws.once('close', (code: number, reason: Buffer) => {
    resolveClosed();
    if (opened) events.drop(ws, code, reason.toString('utf8'));
    else events.failed(ws, failure ?? new Onem2mClientError('ONEM2M_CLIENT_CONNECT', `connection to ${s.shownUrl}${via} closed before the handshake completed`));
  });
  return { ws, closed };
}

/** Pings every interval; a server that missed the previous pong is dropped (NAT timeout, unplugged peer). */
export class Keepalive {
  private timer: NodeJS.Timeout | undefined;
  private awaitingPong = false;

  constructor(private readonly intervalMs: number) {}

  start(ws: WebSocket): void {
    this.awaitingPong = false;
    if (this.intervalMs === 0) return;
    this.timer = setInterval(() => {
      if (this.awaitingPong) {
        // No pong since the last ping: the path is dead (NAT timeout, unplugged peer).
        ws.terminate();
        return;
      }
      this.awaitingPong = true;
      ws.ping();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** A pong or a message came: the path is alive. */
  alive(): void {
    this.awaitingPong = false;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
