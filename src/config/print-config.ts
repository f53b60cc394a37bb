// --print-config: the effective configuration as a YAML config file that
// loads back to the same configuration. Values are typed (numbers, booleans,
// lists), durations and sizes in their most readable unit (30s, 4MiB), the
// downlink URL in effect rather than "". Secrets are printed in full (the
// operator's own terminal) unless masked; logs always mask them.
import { urlHost } from '../http/url-host.js';
import { redactUrl } from '../redact.js';
import type { SettingSource } from './load-config.js';
import { settingGroups } from './help-text.js';
import type { BridgeConfig, HostPort, Setting } from './settings.js';

const DURATION_UNITS: readonly [string, number][] = [['h', 3_600_000], ['m', 60_000], ['s', 1000]];
const SIZE_UNITS: readonly [string, number][] = [['GiB', 1 << 30], ['MiB', 1 << 20], ['KiB', 1024], ['GB', 1e9], ['MB', 1e6], ['KB', 1000]];

/** Milliseconds in the largest unit that holds them whole: 30000 → 30s, 86400000 → 24h, 0 → 0s. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const [unit, factor] of DURATION_UNITS) if (ms % factor === 0) return `${ms / factor}${unit}`;
  return `${ms}ms`;
}

/** Bytes in the largest unit that holds them whole: 4194304 → 4MiB, 1000000 → 1MB, 1500 → 1500B. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of SIZE_UNITS) if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  return `${bytes}B`;
}

function formatHostPort(hp: HostPort): string {
  return `${hp.host.includes(':') ? `[${hp.host}]` : hp.host}:${hp.port}`;
}

/** A YAML scalar or flow sequence; JSON's quoting is valid YAML. */
type Printed = string | number | boolean | readonly string[];

function valueOf(s: Setting, config: BridgeConfig, masked: boolean): Printed {
  const v = config[s.key];
  const secret = (text: string) => (masked ? redactUrl(text) : text);
  switch (s.kind) {
    case 'url':
      return secret((v as URL).href);
    case 'hostport':
      return formatHostPort(v as HostPort);
    case 'duration':
      return formatDuration(v as number);
    case 'bytes':
      return formatSize(v as number);
    case 'list':
      return v as readonly string[];
    case 'int':
    case 'count':
    case 'boolean':
    case 'enum':
      return v as number | boolean | string;
    case 'store':
    case 'string':
      break;
  }
  const text = v as string;
  if (s.key === 'adminToken') {
    // Read from --admin-token-file: the file setting carries it (both at once would not load back).
    if (config.adminTokenFile !== '') return '';
    return masked && text !== '' ? '***' : text;
  }
  if (s.key === 'downlinkUrl' && text === '') return secret(derivedDownlinkUrl(config));
  return secret(text);
}

/** What the bridge derives from --downlink-listen when --downlink-url is empty (bridge.ts); '' while the port is 0 (known once bound). */
function derivedDownlinkUrl(config: BridgeConfig): string {
  const { host, port } = config.downlinkListen;
  return port === 0 ? '' : `http://${urlHost(host)}:${port}`;
}

function yaml(value: Printed): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((x) => JSON.stringify(x)).join(', ')}]`;
  return String(value);
}

/**
 * The effective configuration as YAML, one line per setting with its source
 * in a comment. `masked`: passwords in URLs and the admin token as ***.
 */
export function printConfig(config: BridgeConfig, sources: Record<string, SettingSource>, options: { masked?: boolean } = {}): string {
  const masked = options.masked === true;
  const lines = [
    '# effective configuration of onem2m-ws-bridge (source of each value in the comment); loads back with --config',
    masked ? '# secrets masked (--print-config=masked): this file does not start the same bridge' : '# secrets in full: keep this file to yourself (--print-config=masked masks them)',
  ];
  for (const group of settingGroups()) {
    lines.push('', `# ${group.title}`);
    for (const s of group.settings) lines.push(line(s, config, sources, masked));
  }
  return lines.join('\n');
}

function line(s: Setting, config: BridgeConfig, sources: Record<string, SettingSource>, masked: boolean): string {
  const source = s.key === 'downlinkUrl' && config.downlinkUrl === '' ? 'default: http://<downlink-listen>' : sources[s.flag];
  return `${s.flag}: ${yaml(valueOf(s, config, masked))}  # ${source}`;
}
