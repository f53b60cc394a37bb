// PEM files are parsed when the configuration is loaded, so a garbage file or
// a key that belongs to another certificate is exit 2 naming its setting, not
// a stack trace from the TLS layer at start (issue 13.4).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { errorMessage } from '../errors.js';

/** One TLS identity and trust: `[flag, path]` of each file, '' paths left out. */
export interface PemGroup {
  cert?: readonly [string, string];
  key?: readonly [string, string];
  ca?: readonly [string, string];
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function reason(err: unknown): string {
  return errorMessage(err).split('\n')[0];
}

/** Every certificate of a PEM file (a chain or a CA bundle), or why it holds none that parses. */
function certificates(text: string): { certs?: X509Certificate[]; problem?: string } {
  const blocks = text.match(CERTIFICATE);
  if (blocks === null) return { problem: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)' };
  const certs: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certs.push(new X509Certificate(block));
    } catch (err) {
      return { problem: `certificate ${i + 1} of ${blocks.length} cannot be read: ${reason(err)}` };
    }
  }
  return { certs };
}

/**
 * Problems with the PEM files of each group, one line each naming its flag.
 * Files that cannot be read are skipped: the caller reports those already.
 */
export function pemProblems(groups: readonly PemGroup[], read: (path: string) => string): string[] {
  const problems: string[] = [];
  const text = (path: string): string | undefined => {
    try {
      return read(path);
    } catch {
      return undefined;
    }
  };
  for (const group of groups) {
    let leaf: X509Certificate | undefined;
    let key: KeyObject | undefined;
    if (group.cert !== undefined) {
      const [flag, path] = group.cert;
      const t = text(path);
      if (t !== undefined) {
        const r = certificates(t);
        if (r.problem !== undefined) problems.push(`--${flag}: ${path} ${r.problem}`);
        else leaf = r.certs?.[0];
      }
    }
    if (group.key !== undefined) {
      const [flag, path] = group.key;
      const t = text(path);
      if (t !== undefined) {
        try {
          key = createPrivateKey(t);
        } catch (err) {
          problems.push(`--${flag}: ${path} is not a readable PEM private key (an encrypted key is not supported): ${reason(err)}`);
        }
      }
    }
    if (leaf !== undefined && key !== undefined && group.cert !== undefined && group.key !== undefined && !leaf.checkPrivateKey(key)) {
      problems.push(`--${group.key[0]}: ${group.key[1]} does not match the certificate in --${group.cert[0]} (${group.cert[1]})`);
    }
    if (group.ca !== undefined) {
      const [flag, path] = group.ca;
      const t = text(path);
      const r = t === undefined ? {} : certificates(t);
      if (r.problem !== undefined) problems.push(`--${flag}: ${path} ${r.problem}`);
    }
  }
  return problems;
}
