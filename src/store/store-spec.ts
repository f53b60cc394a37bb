// What a --store value may be (DESIGN 5), checked without loading any store:
// the settings parser uses it, and loading lmdb and ioredis for a check would
// cost every CLI command that reads settings (issue 16).
import { redactUrl } from '../redact.js';

const ACCEPTED = 'use "lmdb:DIR" (durable, one node), "redis://[:password@]host:port[/db]" (shared) or "memory" (lost on exit)';

/** A problem with a --store value, or undefined when it names a store this version can open. */
export function validateStoreSpec(spec: string): string | undefined {
  if (spec === 'memory') return undefined;
  if (spec.startsWith('lmdb:')) {
    return spec.slice('lmdb:'.length).trim() === '' ? `store "${spec}" names no directory; ${ACCEPTED}` : undefined;
  }
  if (/^rediss?:\/\//i.test(spec)) {
    try {
      const url = new URL(spec);
      if (url.hostname === '') return `store "${redactUrl(spec)}" names no host; ${ACCEPTED}`;
    } catch {
      return `store "${redactUrl(spec)}" is not a valid redis URL; ${ACCEPTED}`;
    }
    return undefined;
  }
  return `store "${spec}" is not a known store; ${ACCEPTED}`;
}
