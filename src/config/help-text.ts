// --help, generated from the settings table: settings grouped by door and
// concern, each with its metavariable (FILE, URL, DURATION, SIZE, HOST:PORT…),
// default and BRIDGE_* variable.
import { SETTINGS, envName } from './settings.js';
import type { Setting } from './settings.js';

/** --help's sections, in order; a setting in none of them is listed under OTHER (test/config keeps that empty). */
export const HELP_GROUPS: readonly { title: string; flags: readonly string[] }[] = [
  { title: 'Upstream CSE (TS-0009 HTTP)', flags: ['upstream', 'upstream-format', 'upstream-timeout', 'upstream-connections', 'upstream-ca', 'upstream-cert', 'upstream-key', 'cse-id', 'sp-id'] },
  { title: 'Public door: WebSocket (TS-0020) and HTTP passthrough', flags: ['listen', 'passthrough', 'deflate', 'ping-interval', 'idle-timeout', 'max-message-size', 'max-unbound-message-size', 'max-connections', 'max-connections-per-address', 'max-inflight', 'rate-limit', 'max-passthrough-body'] },
  { title: 'Public door: TLS and who may bind a registree', flags: ['tls-cert', 'tls-key', 'tls-ca', 'tls-client-auth', 'identity', 'identity-map', 'credentials'] },
  { title: 'Registration', flags: ['poa-mode', 'allow-originator', 'registration-ttl'] },
  { title: 'Downlink door: requests from the CSE to registrees', flags: ['downlink-listen', 'downlink-url', 'downlink-allow', 'downlink-timeout', 'max-downlink-body', 'max-downlink-inflight', 'max-downlink-buffered'] },
  { title: 'Offline registrees: store-and-forward', flags: ['offline-ack', 'auto-verify', 'queue-ttl', 'queue-max-messages', 'queue-max-bytes', 'queue-global-max-bytes'] },
  { title: 'Store and cluster mode', flags: ['store', 'redis-prefix', 'redis-ca', 'redis-durability', 'replica-id', 'owner-ttl'] },
  { title: 'Admin door: status, metrics, probes, /api', flags: ['admin-listen', 'admin-token', 'admin-token-file'] },
  { title: 'Every door', flags: ['handshake-timeout', 'body-timeout', 'log-level'] },
  { title: 'Uplink mode: the upstream CSE registers to a WebSocket registrar', flags: ['uplink', 'uplink-listen', 'uplink-url', 'uplink-poa', 'uplink-origin', 'uplink-format', 'uplink-timeout', 'uplink-proxy', 'uplink-ca', 'uplink-cert', 'uplink-key'] },
];

export const OTHER_GROUP = 'Other settings';

const METAVAR: Record<Setting['kind'], string> = {
  url: 'URL',
  hostport: 'HOST:PORT',
  string: 'TEXT',
  enum: '',
  duration: 'DURATION',
  int: 'N',
  count: 'N',
  bytes: 'SIZE',
  list: 'LIST',
  boolean: '',
  store: 'STORE',
};

/** Every setting once, in --help's sections (empty sections left out). */
export function settingGroups(): { title: string; settings: Setting[] }[] {
  const grouped = new Set<string>();
  const sections = HELP_GROUPS.map((g) => {
    for (const f of g.flags) grouped.add(f);
    return { title: g.title, settings: g.flags.map((f) => SETTINGS.find((s) => s.flag === f)).filter((s): s is Setting => s !== undefined) };
  });
  sections.push({ title: OTHER_GROUP, settings: SETTINGS.filter((s) => !grouped.has(s.flag)) });
  return sections.filter((g) => g.settings.length > 0);
}

/** `--flag METAVAR` (or `--flag / --no-flag`) as --help and the README's Settings table show it. */
export function flagUsage(s: Setting): string {
  if (s.kind === 'boolean') return `--${s.flag} / --no-${s.flag}`;
  return `--${s.flag} ${s.metavar ?? (s.kind === 'enum' ? (s.values ?? []).join('|') : METAVAR[s.kind])}`;
}

export function helpText(): string {
  const lines = [
    'Usage: onem2m-ws-bridge [--config FILE] [settings]      start the bridge',
    '       onem2m-ws-bridge client --url ws://host:port/ …  a oneM2M WebSocket client (client --help)',
    '',
    'Every setting is a flag, a BRIDGE_* environment variable and a key of the YAML/JSON file',
    'given by --config (or BRIDGE_CONFIG). Precedence: flag > env > file > default.',
    'Unknown flags, file keys and BRIDGE_* variables are refused (exit 2).',
    'Durations: 500ms, 30s, 5m, 1h. Sizes: 65536, 64KiB, 4MiB, 1GiB (also KB, MB, GB).',
    '',
    '  --config FILE            read settings from a YAML or JSON file (keys as the flag names below)',
    '  --print-config           print the effective configuration as a config file and exit; secrets',
    '                           (admin token, passwords in URLs) are printed in full: it is your terminal',
    '  --print-config=masked    the same with secrets masked, to share or attach to a report',
    '  --version, -v            print the version and exit',
    '  --help, -h               this text',
  ];
  for (const { title, settings } of settingGroups()) {
    lines.push('', `${title}:`);
    for (const s of settings) {
      lines.push(`  ${flagUsage(s)}`);
      lines.push(`      ${s.help}`);
      lines.push(`      default: ${s.default === '' ? '(none)' : s.default}   env: ${envName(s)}`);
    }
  }
  return lines.join('\n');
}
