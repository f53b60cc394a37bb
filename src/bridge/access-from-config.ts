// The identity settings in force (DESIGN 3), read once at start: --identity
// (tls, or auto with --tls-client-auth require), the --identity-map and
// --credentials files (already checked at load, config/check-config.ts).
import { readFileSync } from 'node:fs';
import type { BridgeConfig } from '../config/config.js';
import { parseCredentials, parseIdentityMap } from '../config/access-files.js';
import type { Credentials, IdentityMap } from '../config/access-files.js';
import type { IdentityModes } from './identity-mode.js';

export interface AccessSettings {
  identityTls: boolean;
  identityMap: IdentityMap | undefined;
  credentials: Credentials | undefined;
  modes: IdentityModes;
}

export function accessFromConfig(config: Pick<BridgeConfig, 'identity' | 'tlsClientAuth' | 'identityMap' | 'credentials'>): AccessSettings {
  const identityTls = config.identity === 'tls' || (config.identity === 'auto' && config.tlsClientAuth === 'require');
  const identityMap = config.identityMap !== '' ? parseIdentityMap(readFileSync(config.identityMap, 'utf8'), config.identityMap).map : undefined;
  const credentials = config.credentials !== '' ? parseCredentials(readFileSync(config.credentials, 'utf8'), config.credentials).credentials : undefined;
  return { identityTls, identityMap, credentials, modes: { tls: identityTls, identityMap: config.identityMap !== '', credentials: config.credentials !== '' } };
}
