// The public door's server: wss:// when --tls-cert is set (TS-0020 7), client
// certificates verified against --tls-ca when --tls-client-auth asks for them;
// the certificate is read again on SIGHUP while open connections stay.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/config.js';
import { errorMessage, StartError } from '../errors.js';

export interface PublicServer {
  server: Server;
  /** true when the door serves wss:// (TLS in the bridge). */
  secure: boolean;
  /** Reads --tls-cert/--tls-key/--tls-ca again; a no-op without TLS. */
  reloadTls(): void;
}

type TlsSettings = Pick<BridgeConfig, 'tlsCert' | 'tlsKey' | 'tlsCa' | 'tlsClientAuth' | 'handshakeTimeoutMs'>;

export function createPublicServer(config: TlsSettings, onRequest: (req: IncomingMessage, res: ServerResponse) => void, logger: Logger): PublicServer {
  // Slowloris inside TLS: the TLS handshake has --handshake-timeout too; the request head's follows it (door limits).
  const serverOptions = { handshakeTimeout: config.handshakeTimeoutMs };
  const tlsFiles = () => ({
    cert: readFileSync(config.tlsCert),
    key: readFileSync(config.tlsKey),
    ...(config.tlsCa !== '' ? { ca: readFileSync(config.tlsCa) } : {}),
  });
  // wss:// (TS-0020 7): client certificates verified against --tls-ca when requested.
  let secureServer: ReturnType<typeof createHttpsServer> | undefined;
  try {
    secureServer =
      config.tlsCert !== ''
        ? createHttpsServer({ ...serverOptions, ...tlsFiles(), requestCert: config.tlsClientAuth !== 'none', rejectUnauthorized: config.tlsClientAuth === 'require' }, onRequest)
        : undefined;
  } catch (err) {
    // loadConfig() parses the PEM files; this catches what an embedder passes unchecked.
    const why = errorMessage(err);
    throw new StartError('config', '--tls-cert', `--tls-cert/--tls-key: ${config.tlsCert}, ${config.tlsKey} cannot be used: ${why}`, { cause: err });
  }
  return {
    server: secureServer ?? createServer(onRequest),
    secure: secureServer !== undefined,
    reloadTls() {
      if (secureServer === undefined) return;
      secureServer.setSecureContext(tlsFiles());
      logger.info({ cert: config.tlsCert }, 'TLS certificate reloaded');
    },
  };
}
