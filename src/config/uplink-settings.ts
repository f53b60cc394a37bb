// Checks of the uplink-mode settings that one value alone cannot make:
// URL schemes, files readable now, certificate and key together, and
// uplink-* settings given without --uplink.
import type { BridgeConfig } from './settings.js';
import { redactUrl } from '../redact.js';

function urlProblem(flag: string, raw: string, schemes: readonly string[]): string | undefined {
  const text = redactUrl(raw);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `--${flag}: "${text}" is not a URL`;
  }
  return schemes.includes(url.protocol) ? undefined : `--${flag}: "${text}" must be ${schemes.map((s) => `${s}//`).join(' or ')}`;
}

/** Every problem with the uplink settings, each naming its setting. `read` reads a file (tests inject one). */
export function uplinkProblems(config: BridgeConfig, read: (path: string) => string): string[] {
  const problems: string[] = [];
  const given = (
    [
      ['uplink-url', config.uplinkUrl],
      ['uplink-origin', config.uplinkOrigin],
      ['uplink-proxy', config.uplinkProxy],
      ['uplink-ca', config.uplinkCa],
      ['uplink-cert', config.uplinkCert],
      ['uplink-key', config.uplinkKey],
    ] as const
  ).filter(([, v]) => v !== '');
  if (config.uplink === '') {
    for (const [flag] of given) problems.push(`--${flag}: only applies with --uplink`);
    return problems;
  }
  // TS-0020 6.2.1: a WebSocket URI names the registrar.
  const bad = urlProblem('uplink', config.uplink, ['ws:', 'wss:']);
  if (bad !== undefined) problems.push(bad);
  if (config.uplinkUrl !== '') {
    const p = urlProblem('uplink-url', config.uplinkUrl, ['http:', 'https:']);
    if (p !== undefined) problems.push(p);
  }
  if (config.uplinkPoa !== '') {
    const p = urlProblem('uplink-poa', config.uplinkPoa, ['ws:', 'wss:']);
    if (p !== undefined) problems.push(`${p} (or empty to leave the poa out)`);
  }
  if (config.uplinkProxy !== '' && config.uplinkProxy !== 'none') {
    const p = urlProblem('uplink-proxy', config.uplinkProxy, ['http:', 'https:']);
    if (p !== undefined) problems.push(`${p} (or none)`);
  }
  if ((config.uplinkCert === '') !== (config.uplinkKey === '')) {
    problems.push(`--uplink-${config.uplinkCert === '' ? 'cert' : 'key'}: needed together with --uplink-${config.uplinkCert === '' ? 'key' : 'cert'}`);
  }
  for (const [flag, path] of [['uplink-ca', config.uplinkCa], ['uplink-cert', config.uplinkCert], ['uplink-key', config.uplinkKey]] as const) {
    if (path === '') continue;
    try {
      read(path);
    } catch (err) {
      problems.push(`--${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return problems;
}
