// What the bridge does when a WebSocket connection opens, closes, stops
// reading or is refused at the handshake: metrics, the one info/warn line per
// event (never per message), and the registry kept in step (TS-0020 5.2; a
// closed or stalled registree is offline from then on, DESIGN 4).
import type { Logger } from 'pino';
import type { BridgeMetrics } from '../metrics/metrics.js';
import type { WsServerOptions } from '../ws/ws-server.js';
import type { RegistrationExpiry } from './registration-expiry.js';
import type { Registry } from './registry.js';
import type { RegistreeRequests } from './registree-requests.js';

export interface ConnectionEventParts {
  metrics: BridgeMetrics;
  logger: Logger;
  registry: Registry;
  registreeRequests: Pick<RegistreeRequests, 'bindHandshakeOrigin'>;
  /** undefined without --registration-ttl. */
  expiry: Pick<RegistrationExpiry, 'unbound'> | undefined;
}

export function connectionEvents(p: ConnectionEventParts): Pick<WsServerOptions, 'onOpen' | 'onClose' | 'onStall' | 'onReject'> {
  const { metrics, logger, registry } = p;
  return {
    onOpen: (session) => {
      metrics.connectionOpened(session.subprotocol);
      metrics.handshake('accepted', 'ok');
      logger.info({ conn: session.id, subprotocol: session.subprotocol, remote: session.remoteAddress, origin: session.handshakeOrigin }, 'connection open');
      p.registreeRequests.bindHandshakeOrigin(session);
    },
    onClose: (session, code, reason) => {
      metrics.connectionClosed(session.subprotocol);
      logger.info({ conn: session.id, registree: session.registreeId, subprotocol: session.subprotocol, remote: session.remoteAddress, code, reason }, 'connection closed');
      if (session.registreeId !== undefined) p.expiry?.unbound(session.registreeId, Date.now());
      registry.unbind(session);
    },
    onStall: (session, reason) => {
      // Offline from now on: what the CSE sends next follows the offline rules (DESIGN 4).
      logger.warn({ conn: session.id, registree: session.registreeId, remote: session.remoteAddress, reason }, 'registree stopped reading: closing with 1008');
      registry.unbind(session);
    },
    onReject: (remote, reason, kind) => {
      metrics.handshake('rejected', kind);
      logger.info({ remote, reason }, 'handshake refused');
    },
  };
}
