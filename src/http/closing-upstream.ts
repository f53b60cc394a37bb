// Notices an upstream CSE that closes its HTTP connection after each answer
// (issue 22), so that every forwarded request pays a new TCP connection on
// both sides; ACME's default HTTP server does this. The operator is told
// once, with what to do about it.
//
// Counted over blocks of 100 consecutive responses:
// - a response that carries `Connection: close` (RFC 9112 9.6: the server
//   ends the connection after it);
// - or the socket closed without saying so: more than half of the block's
//   responses needed a connection opened for them, in two blocks in a row
//   (one such block is a pool warming up or coming back from idle), each
//   faster than an idle keep-alive connection would be dropped.

/** Responses per verdict. */
export const CLOSING_WINDOW = 100;
/**
 * A block slower than this may be reconnects after idle keep-alive timeouts:
 * most of 100 answers on new connections for that reason means 50 gaps of at
 * least a keep-alive timeout (a second or more), so such a block takes
 * longer. A CSE that closes after each answer fills a block in well under it.
 */
const BUSY_BLOCK_MS = 30_000;

export interface ClosingUpstreamEvidence {
  /** Responses looked at (the block). */
  responses: number;
  /** Of them, with `Connection: close`. */
  connectionClose: number;
  /** Connections opened meanwhile. */
  connectionsOpened: number;
}

export class ClosingUpstreamDetector {
  private readonly onClosing: (evidence: ClosingUpstreamEvidence) => void;
  private warned = false;
  private responses = 0;
  private closes = 0;
  private opened = 0;
  private blockStart = 0;
  /** The previous block also opened a connection for most of its responses. */
  private previousReconnected = false;

  constructor(onClosing: (evidence: ClosingUpstreamEvidence) => void) {
    this.onClosing = onClosing;
  }

  /** The pool opened a connection to the CSE. */
  connectionOpened(): void {
    this.opened++;
  }

  /** A response arrived; `connectionHeader` is its `Connection` header, if any. */
  response(connectionHeader: string | string[] | undefined): void {
    if (this.warned) return;
    if (this.responses === 0) this.blockStart = Date.now();
    this.responses++;
    if (connectionHeader !== undefined && /\bclose\b/i.test(String(connectionHeader))) this.closes++;
    if (this.responses < CLOSING_WINDOW) return;
    const evidence = { responses: this.responses, connectionClose: this.closes, connectionsOpened: this.opened };
    const reconnected = this.opened * 2 > this.responses && Date.now() - this.blockStart < BUSY_BLOCK_MS;
    const closing = this.closes * 2 > this.responses || (reconnected && this.previousReconnected);
    this.previousReconnected = reconnected;
    this.responses = 0;
    this.closes = 0;
    this.opened = 0;
    if (closing) {
      this.warned = true;
      this.onClosing(evidence);
    }
  }
}

/** The operator's line: what was seen and what to do. */
export function closingUpstreamMessage(e: ClosingUpstreamEvidence): string {
  const seen = e.connectionClose * 2 > e.responses ? `${e.connectionClose} of the last ${e.responses} answers carried Connection: close` : `${e.connectionsOpened} connections were opened for the last ${e.responses} answers`;
  return (
    `the upstream CSE closes its HTTP connection after each answer (${seen}): every forwarded request pays a new TCP connection on both sides. ` +
    'Turn on HTTP keep-alive at the CSE; for ACME set [http.wsgi] enable=true in acme.ini (or start it with --http-wsgi)'
  );
}
