// --print-config: the effective configuration as YAML.
import { redactUrl } from '../redact.js';
import type { SettingSource } from './load-config.js';
import { SETTINGS } from './settings.js';
import type { BridgeConfig, HostPort } from './settings.js';

/** The effective configuration as YAML, one line per setting with its source; secrets masked. */
export function printConfig(config: BridgeConfig, sources: Record<string, SettingSource>): string {
  const lines = ['# effective configuration of onem2m-ws-bridge (source in the comment)'];
  for (const s of SETTINGS) {
    const v = config[s.key];
    let text: string;
    if (v instanceof URL) text = redactUrl(v.href);
    else if (typeof v === 'object' && v !== null && 'host' in v && 'port' in v) text = `${(v as HostPort).host.includes(':') ? `[${(v as HostPort).host}]` : (v as HostPort).host}:${(v as HostPort).port}`;
    else if (Array.isArray(v)) text = v.join(',');
    else if (s.key === 'adminToken' && v !== '') text = config.adminTokenFile !== '' ? '' : '***';
    else if (s.kind === 'duration') text = `${String(v)}ms`;
    else text = redactUrl(String(v));
    lines.push(`${s.flag}: ${JSON.stringify(text)}  # ${sources[s.flag]}`);
  }
  return lines.join('\n');
}
