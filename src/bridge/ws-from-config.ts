// The public door's WebSocket server as the settings describe it (TS-0020
// 6.2): deflate, keepalive, message and connection limits, the per-connection
// admission and downlink caps, idle and drain timeouts.
import type { BridgeConfig } from '../config/config.js';
import { codecFor } from '../primitive/codecs.js';
import { WsServer } from '../ws/ws-server.js';
import type { WsServerOptions } from '../ws/ws-server.js';

type WsSettings = Pick<
  BridgeConfig,
  | 'deflate'
  | 'pingIntervalMs'
  | 'maxMessageBytes'
  | 'maxConnections'
  | 'maxConnectionsPerAddress'
  | 'maxInFlight'
  | 'rateLimit'
  | 'maxDownlinkInflight'
  | 'maxDownlinkBufferedBytes'
  | 'maxUnboundMessageBytes'
  | 'downlinkTimeoutMs'
  | 'idleTimeoutMs'
>;

/** What the bridge plugs in: who may connect, who answers requests, what happens on open/close. */
export type WsParts = Pick<WsServerOptions, 'authorize' | 'handler' | 'onOpen' | 'onClose' | 'onStall' | 'onReject'>;

export function createWsServer(config: WsSettings, parts: WsParts): WsServer {
  return new WsServer({
    deflate: config.deflate,
    pingIntervalMs: config.pingIntervalMs,
    maxPayload: config.maxMessageBytes,
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    limits: {
      maxInFlight: config.maxInFlight,
      rateLimit: config.rateLimit,
      maxDownlinkInflight: config.maxDownlinkInflight,
      maxDownlinkBufferedBytes: config.maxDownlinkBufferedBytes,
      maxUnboundMessageBytes: config.maxUnboundMessageBytes,
    },
    drainTimeoutMs: config.downlinkTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    codecFor,
    ...parts,
  });
}
