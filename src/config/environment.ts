// BRIDGE_* environment variables that name no setting are refused like
// unknown flags: a typo in a Kubernetes `env:` must not pass unnoticed.
import { isIP } from 'node:net';
import { didYouMean } from './did-you-mean.js';
import { SETTINGS, envName } from './settings.js';

/** Every BRIDGE_* variable the bridge reads. */
const KNOWN = new Set([...SETTINGS.map((s) => envName(s)), 'BRIDGE_CONFIG']);

/**
 * Kubernetes gives every pod <SERVICE>_SERVICE_HOST, <SERVICE>_PORT… for each
 * Service of its namespace (enableServiceLinks): a Service named `bridge…`
 * puts BRIDGE_* variables there that are no typo. Recognised by name and value.
 */
function isServiceLink(name: string, value: string): boolean {
  if (/_SERVICE_HOST$/.test(name)) return isIP(value) !== 0;
  if (/_SERVICE_PORT(_[A-Z0-9_]+)?$/.test(name)) return /^\d+$/.test(value);
  if (/_PORT_\d+_(TCP|UDP|SCTP)_PROTO$/.test(name)) return /^(tcp|udp|sctp)$/.test(value);
  if (/_PORT_\d+_(TCP|UDP|SCTP)_PORT$/.test(name)) return /^\d+$/.test(value);
  if (/_PORT_\d+_(TCP|UDP|SCTP)_ADDR$/.test(name)) return isIP(value) !== 0;
  if (/_PORT(_\d+_(TCP|UDP|SCTP))?$/.test(name)) return /^(tcp|udp|sctp):\/\/\S+$/.test(value);
  return false;
}

/** One problem per BRIDGE_* variable that is no setting, with the nearest setting's variable when it is a near miss. */
export function unknownEnvironmentProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('BRIDGE_') || value === undefined || KNOWN.has(name) || isServiceLink(name, value)) continue;
    problems.push(`${name}: unknown setting${didYouMean(name, KNOWN)} (see --help)`);
  }
  return problems.sort();
}
