// Checks that one value alone cannot make: settings that belong together,
// files that must be readable (and PEM that must parse) now rather than at
// the first handshake, and the uplink-mode settings.
import { parseCredentials, parseIdentityMap } from './access-files.js';
import { parseSourceAllowList } from '../http/source-allow.js';
import { uplinkProblems } from './uplink-settings.js';
import { redactUrl } from '../redact.js';
import { pemProblems } from './pem.js';
import type { BridgeConfig } from './settings.js';

/**
 * Every problem between settings, each naming its setting. Also reads
 * --admin-token-file into `config.adminToken` (the one file whose content
 * becomes a value). `read` reads a file (tests inject one).
 */
export function crossSettingProblems(config: BridgeConfig, read: (path: string) => string): string[] {
  const problems: string[] = [];
  // TLS settings only make sense together; files must be readable now, not at the first handshake.
  if ((config.tlsCert === '') !== (config.tlsKey === '')) problems.push(`--tls-${config.tlsCert === '' ? 'cert' : 'key'}: needed together with --tls-${config.tlsCert === '' ? 'key' : 'cert'}`);
  if (config.ownerTtlMs < 1000) problems.push(`--owner-ttl: ${config.ownerTtlMs}ms is too short; at least 1s (it is refreshed every third of it)`);
  if (/[\s*?[\]]/.test(config.replicaId)) problems.push(`--replica-id: "${config.replicaId}" may not contain spaces or glob characters`);
  if (config.tlsClientAuth !== 'none' && config.tlsCert === '') problems.push(`--tls-client-auth: "${config.tlsClientAuth}" needs --tls-cert and --tls-key`);
  if (config.tlsClientAuth !== 'none' && config.tlsCa === '') problems.push(`--tls-client-auth: "${config.tlsClientAuth}" needs --tls-ca to verify client certificates`);
  if (config.identity === 'tls' && config.tlsClientAuth === 'none') problems.push('--identity: "tls" needs --tls-client-auth request or require');
  if ((config.upstreamCert === '') !== (config.upstreamKey === '')) problems.push(`--upstream-${config.upstreamCert === '' ? 'cert' : 'key'}: needed together with --upstream-${config.upstreamCert === '' ? 'key' : 'cert'}`);
  // Below this no registration fits, and no device could ever bind.
  if (config.maxUnboundMessageBytes < 1024) problems.push(`--max-unbound-message-size: ${config.maxUnboundMessageBytes} bytes cannot hold a registration; at least 1KiB`);
  for (const [flag, path] of [['tls-cert', config.tlsCert], ['tls-key', config.tlsKey], ['tls-ca', config.tlsCa], ['upstream-ca', config.upstreamCa], ['upstream-cert', config.upstreamCert], ['upstream-key', config.upstreamKey], ['redis-ca', config.redisCa]] as const) {
    if (path === '') continue;
    try {
      read(path);
    } catch (err) {
      problems.push(`--${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  // Parsed now: a garbage PEM or a key of another certificate is a setting's problem (exit 2), not a crash at start.
  const pem = (flag: string, path: string) => (path === '' ? undefined : ([flag, path] as const));
  problems.push(...pemProblems([
    { cert: pem('tls-cert', config.tlsCert), key: pem('tls-key', config.tlsKey), ca: pem('tls-ca', config.tlsCa) },
    { cert: pem('upstream-cert', config.upstreamCert), key: pem('upstream-key', config.upstreamKey), ca: pem('upstream-ca', config.upstreamCa) },
    { ca: pem('redis-ca', config.redisCa) },
  ], read));
  if (config.identityMap !== '' && config.tlsClientAuth === 'none') problems.push('--identity-map: needs --tls-client-auth request or require');
  for (const [flag, path, parse] of [
    ['identity-map', config.identityMap, (t: string) => parseIdentityMap(t, config.identityMap).problems],
    ['credentials', config.credentials, (t: string) => parseCredentials(t, config.credentials).problems],
  ] as const) {
    if (path === '') continue;
    try {
      for (const p of parse(read(path))) problems.push(`--${flag}: ${p}`);
    } catch (err) {
      problems.push(`--${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (config.adminToken !== '' && config.adminTokenFile !== '') problems.push('--admin-token-file: give either --admin-token or --admin-token-file, not both');
  if (config.adminTokenFile !== '') {
    try {
      config.adminToken = read(config.adminTokenFile).trim();
      if (config.adminToken === '') problems.push(`--admin-token-file: ${config.adminTokenFile} is empty`);
    } catch (err) {
      problems.push(`--admin-token-file: cannot read ${config.adminTokenFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (config.cseId !== '' && !/^\/[^/\s]+$/.test(config.cseId)) problems.push(`--cse-id: "${config.cseId}" is not an SP-relative CSE-ID such as /id-in`);
  if (config.spId !== '' && !/^[^/\s]+$/.test(config.spId)) problems.push(`--sp-id: "${config.spId}" is not an M2M-SP-ID such as acme.example.com (no slashes)`);
  problems.push(...uplinkProblems(config, read));
  for (const p of parseSourceAllowList(config.downlinkAllow).problems) problems.push(`--downlink-allow: ${p}`);
  if (config.downlinkUrl !== '') {
    try {
      const u = new URL(config.downlinkUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push(`--downlink-url: "${redactUrl(config.downlinkUrl)}" must be http:// or https://`);
    } catch {
      problems.push(`--downlink-url: "${redactUrl(config.downlinkUrl)}" is not a URL`);
    }
  }
  return problems;
}
