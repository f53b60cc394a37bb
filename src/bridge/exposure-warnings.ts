// The warn lines a started bridge writes once when a door is reachable beyond
// loopback without the protection it needs (SECURITY.md): admin without a
// token, downlink/admin without TLS, a public door with identity none, and
// --credentials over ws://.
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/config.js';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export interface Protections {
  /** identity tls: client certificates name the registree (DESIGN 3). */
  identityTls: boolean;
  identityMap: boolean;
  credentials: boolean;
  /** The public door serves wss://. */
  secure: boolean;
}

export function warnExposedDoors(config: Pick<BridgeConfig, 'listen' | 'downlinkListen' | 'adminListen' | 'adminToken'>, p: Protections, logger: Logger): void {
  for (const [door, at2] of [['downlink', config.downlinkListen], ['admin', config.adminListen]] as const) {
    if (!isLoopback(at2.host)) {
      const where = { door, listen: `${at2.host}:${at2.port}` };
      if (door === 'admin' && config.adminToken === '') logger.warn(where, 'the admin door listens beyond loopback without --admin-token: its /api (list and remove registrees) is open to anyone who reaches it; set --admin-token or --admin-token-file');
      else logger.warn(where, `the ${door} door listens beyond loopback without TLS: keep it reachable by ${door === 'downlink' ? 'the CSE' : 'operators and Prometheus'} only (firewall, NetworkPolicy)`);
    }
  }
  if (!isLoopback(config.listen.host) && !p.identityTls && !p.identityMap && !p.credentials) {
    logger.warn(
      { listen: `${config.listen.host}:${config.listen.port}`, identity: 'none' },
      'identity none on a public door: any client that knows a registree ID can bind it and receive its notifications; use --tls-client-auth require (identity tls), --identity-map or --credentials (see SECURITY.md)',
    );
  }
  // Basic passwords and Bearer tokens over ws:// can be read by anyone on the path.
  if (p.credentials && !p.secure && !isLoopback(config.listen.host)) {
    logger.warn(
      { listen: `${config.listen.host}:${config.listen.port}`, identity: 'credentials' },
      '--credentials on a ws:// public door beyond loopback: every handshake sends its password or token in clear text; serve wss:// (--tls-cert, --tls-key) or terminate TLS in front of the bridge (see SECURITY.md)',
    );
  }
}
