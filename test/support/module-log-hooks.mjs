// Module customization hooks (node:module register, run off the main thread):
// appends every URL the ESM loader resolves to the file named by
// MODULE_LOG_FILE, one per line. Used by module-log.mjs.
import { appendFileSync } from 'node:fs';

const file = process.env.MODULE_LOG_FILE;

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (file) appendFileSync(file, result.url + '\n');
  return result;
}
