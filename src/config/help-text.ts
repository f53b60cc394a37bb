// --help, generated from the settings table.
import { SETTINGS, envName } from './settings.js';

export function helpText(): string {
  const lines = [
    'Usage: onem2m-ws-bridge [--config FILE] [--print-config] [settings]',
    '       onem2m-ws-bridge client --url ws://host:port/ ...   (a oneM2M WebSocket client; client --help)',
    '',
    'Every setting is a flag, a BRIDGE_* environment variable and a key of the YAML/JSON file',
    'given by --config (or BRIDGE_CONFIG). Precedence: flag > env > file > default.',
    '  --config FILE       read settings from a YAML or JSON file (keys as the flag names below)',
    '  --print-config      print the effective configuration and exit',
    '  --help              this text',
    '',
  ];
  for (const s of SETTINGS) {
    const flag = s.kind === 'boolean' ? `--${s.flag} / --no-${s.flag}` : `--${s.flag} ${s.values ? s.values.join('|') : s.kind.toUpperCase()}`;
    lines.push(`  ${flag}`);
    lines.push(`      ${s.help}`);
    lines.push(`      default: ${s.default === '' ? '(none)' : s.default}   env: ${envName(s)}`);
  }
  return lines.join('\n');
}
