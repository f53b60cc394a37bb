// The upstream CSE client as the settings describe it (--upstream, its TLS
// files, format, timeout, pool size): one place for the bridge and uplink mode.
import { readFileSync } from 'node:fs';
import type { BridgeConfig } from '../config/config.js';
import { UpstreamClient } from '../http/upstream-client.js';
import type { UpstreamClientOptions } from '../http/upstream-client.js';
import { contentCodecFor } from '../primitive/codecs.js';

/** --upstream-ca/-cert/-key read once: for the upstream client and the passthrough. */
export function upstreamTlsFiles(config: BridgeConfig): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  return {
    ...(config.upstreamCa !== '' ? { ca: readFileSync(config.upstreamCa) } : {}),
    ...(config.upstreamCert !== '' ? { cert: readFileSync(config.upstreamCert), key: readFileSync(config.upstreamKey) } : {}),
  };
}

/** What the bridge wants to hear from the client: connections opened, a CSE that closes them. */
export type UpstreamClientHooks = Pick<UpstreamClientOptions, 'onConnectionOpened' | 'onClosingUpstream'>;

export function createUpstreamClient(config: BridgeConfig, tls = upstreamTlsFiles(config), hooks: UpstreamClientHooks = {}): UpstreamClient {
  return new UpstreamClient({
    ...hooks,
    tls,
    url: config.upstream,
    content: contentCodecFor(config.upstreamFormat),
    contentFor: contentCodecFor,
    timeoutMs: config.upstreamTimeoutMs,
    connections: config.upstreamConnections,
  });
}
