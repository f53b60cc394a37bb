// Composition of uplink mode (--uplink): the bridge registers the HTTP-only
// upstream CSE to a WebSocket registrar (an IN-CSE across Mcc/Mcc'). It holds
// the one outbound WebSocket TS-0020 5.2 allows between the two nodes (built
// on the client SDK: reconnect with backoff, X-M2M-Origin, CONNECT proxy,
// client certificates) and opens the uplink door, where the upstream CSE
// sends what it has for the registrar. Started and stopped next to the
// bridge by the CLI (src/cli/main.ts).
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Onem2mWsClient } from '../client/onem2m-ws-client.js';
import type { ClientTls } from '../client/onem2m-ws-client.js';
import type { BridgeConfig, HostPort } from '../config/config.js';
import { applyDoorLimits } from '../http/door-limits.js';
import { badRequestLogger } from '../http/bad-request-log.js';
import type { UpstreamClient } from '../http/upstream-client.js';
import { urlHost } from '../http/url-host.js';
import { createUpstreamClient } from '../bridge/upstream-from-config.js';
import { silentLogger } from '../log.js';
import { redactUrl } from '../redact.js';
import type { Serialization } from '../primitive/types.js';
import { fromRegistrarHandler } from './from-registrar.js';
import { toRegistrarHandler } from './to-registrar.js';
import { createUplinkDoorServer } from './uplink-door-server.js';
import { errorMessage } from '../errors.js';

export interface UplinkModeAddresses {
  /** Where the uplink door listens. */
  door: HostPort;
  /** The URL the upstream CSE uses for the registrar (its poa as the upstream CSE sees it). */
  url: string;
}

export interface UplinkMode {
  /** Opens the uplink door and starts connecting to the registrar (retrying until it answers). */
  start(): Promise<UplinkModeAddresses>;
  /** Closes the WebSocket (1000) and the door; requests in flight get their error answers. */
  stop(): Promise<void>;
  readonly client: Onem2mWsClient;
  readonly addresses: UplinkModeAddresses | undefined;
}

export interface UplinkModeDependencies {
  logger?: Logger;
  /** The client toward --upstream to share (the bridge's); else uplink mode makes and closes its own. */
  upstream?: UpstreamClient;
}

/** Serializations offered to the registrar: the configured one first (TS-0020 6.2.2.7: order is preference). */
function preference(first: Serialization): Serialization[] {
  return [first, ...(['json', 'cbor', 'xml'] as const).filter((s) => s !== first)];
}

export function createUplinkMode(config: BridgeConfig, deps: UplinkModeDependencies = {}): UplinkMode {
  if (config.uplink === '') throw new Error('createUplinkMode: --uplink is not set');
  const logger = (deps.logger ?? silentLogger()).child({ uplink: redactUrl(config.uplink) });
  const tls: ClientTls = {
    ...(config.uplinkCa !== '' ? { ca: readFileSync(config.uplinkCa) } : {}),
    ...(config.uplinkCert !== '' ? { cert: readFileSync(config.uplinkCert), key: readFileSync(config.uplinkKey) } : {}),
  };
  // The bridge's own client when it runs inside a bridge: one pool toward the CSE.
  const ownUpstream = deps.upstream === undefined;
  const upstream = deps.upstream ?? createUpstreamClient(config);
  let addresses: UplinkModeAddresses | undefined;
  const uplinkUrl = () => addresses?.url ?? '';

  const client = new Onem2mWsClient({
    url: config.uplink,
    serialization: preference(config.uplinkFormat),
    ...(config.uplinkOrigin !== '' ? { origin: config.uplinkOrigin } : {}),
    tls,
    // '' = the environment's HTTPS_PROXY/HTTP_PROXY/NO_PROXY (TS-0020 6.6).
    proxy: config.uplinkProxy === '' ? undefined : config.uplinkProxy === 'none' ? false : config.uplinkProxy,
    requestTimeoutMs: config.uplinkTimeoutMs,
    pingIntervalMs: config.pingIntervalMs,
    maxMessageBytes: config.maxMessageBytes,
    reconnect: true,
    onRequest: fromRegistrarHandler({ upstream, logger, uplinkUrl, registreePoa: config.uplinkPoa }),
  });
  client.on('open', (info) => logger.info({ subprotocol: info.subprotocol, origin: client.origin, proxy: client.proxy?.host, reconnected: info.reconnected }, 'uplink connected'));
  client.on('close', (info) => logger.warn({ code: info.code, reason: info.reason, reconnecting: info.reconnecting }, 'uplink closed'));
  client.on('reconnecting', (info) => logger.debug(info, 'uplink reconnecting'));
  client.on('error', (err) => logger.warn({ code: err.code, err: err.message }, 'uplink error'));

  const door = createUplinkDoorServer(
    toRegistrarHandler({ client, logger, timeoutMs: config.uplinkTimeoutMs, defaultSerialization: config.upstreamFormat, uplinkUrl, registreePoa: config.uplinkPoa }),
    config.maxDownlinkBodyBytes,
  );
  applyDoorLimits(door, { headTimeoutMs: config.handshakeTimeoutMs, bodyTimeoutMs: config.bodyTimeoutMs, door: 'uplink', onBadRequest: badRequestLogger(logger) });
  let connecting: Promise<void> | undefined;

  return {
    client,
    get addresses() {
      return addresses;
    },
    async start() {
      door.listen(config.uplinkListen.port, config.uplinkListen.host);
      await once(door, 'listening');
      const a = door.address() as AddressInfo;
      const at = { host: a.address, port: a.port };
      const url = config.uplinkUrl !== '' ? config.uplinkUrl.replace(/\/+$/, '') : `http://${urlHost(at.host)}:${at.port}`;
      addresses = { door: at, url };
      logger.info({ door: at, url: redactUrl(url), origin: client.origin ?? '(learned from the registration)' }, 'uplink door listening');
      // Keeps trying until the registrar answers; a refusal for good (HTTP 4xx) is logged and ends the attempts.
      connecting = client.connect({ retry: true }).catch((err: unknown) => {
        logger.error({ err: errorMessage(err) }, 'uplink gave up connecting to the registrar');
      });
      return addresses;
    },
    async stop() {
      const doorClosed = new Promise<void>((resolve) => {
        if (!door.listening) return resolve();
        door.close(() => resolve());
        door.closeIdleConnections();
      });
      // Closing the client answers what still waits for the registrar (5103), so the door's last connections end.
      await client.close();
      await doorClosed;
      await connecting;
      if (ownUpstream) await upstream.close();
    },
  };
}
