// The package's version, read at run time from its package.json: one place to
// bump it, and right in dist/, in a packed tarball and under tsx alike (this
// file sits one level below the package root in src/ and in dist/).
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const version = typeof pkg === 'object' && pkg !== null ? (pkg as { version?: unknown }).version : undefined;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const VERSION: string = readVersion();
