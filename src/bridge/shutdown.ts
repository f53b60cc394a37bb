// SIGTERM semantics (DESIGN 1): stop accepting, answer what is in flight,
// close WebSockets with 1001 (TS-0020 5.3 closing handshake; RFC 6455 7.4.1
// Going Away), then close the upstream side and flush the store.
import type { Server } from 'node:http';
import { CloseCode } from '../ws/ws-session.js';
import type { WsServer } from '../ws/ws-server.js';
import { closeServer } from './door-listen.js';

/** How long shutdown waits for in-flight uplink requests, then for peers to finish closing. */
const STOP_INFLIGHT_MS = 5000;
const STOP_GRACE_MS = 2000;

export interface ShutdownParts {
  /** The registrar link (--uplink), stopped first. */
  uplinkMode: { stop(): Promise<void> } | undefined;
  /** Every door: public, downlink, admin. */
  doors: Server[];
  /** Resolves when no device → CSE request is in flight. */
  inflightIdle: () => Promise<void>;
  ws: Pick<WsServer, 'closeAll' | 'terminateAll' | 'close'>;
  /** Run one after the other once the doors are closed: cluster, passthrough pool, upstream client. */
  releaseAfterDoors: Array<() => Promise<void>>;
  /** Flushes and closes the store (last). */
  closeStore: () => Promise<void>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export async function shutdown(p: ShutdownParts): Promise<void> {
  // The registrar link first: the upstream CSE's requests for it get their answers while the doors still stand.
  await p.uplinkMode?.stop();
  // 1. Stop accepting: no new connections on any door.
  const closing = Promise.all(p.doors.map(closeServer));
  // 2. Answer what is in flight.
  await Promise.race([p.inflightIdle(), delay(STOP_INFLIGHT_MS)]);
  // 3. Close WebSockets with 1001; peers get a moment for the closing handshake.
  p.ws.closeAll(CloseCode.GoingAway, 'bridge shutting down');
  const force = setTimeout(() => {
    p.ws.terminateAll();
    for (const server of p.doors) server.closeAllConnections();
  }, STOP_GRACE_MS);
  await closing;
  clearTimeout(force);
  p.ws.close();
  for (const release of p.releaseAfterDoors) await release();
  // 4. Flush and close the store.
  await p.closeStore();
}
