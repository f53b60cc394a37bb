// The package's own version, read once from its package.json (shipped in every
// npm pack): src/admin/ and dist/admin/ both sit two levels below it.
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const PACKAGE_VERSION = readVersion();
