// `node --import <this file> app.js`: every module the app's ESM imports
// (static or import()) resolve to is written to $MODULE_LOG_FILE, so a test
// can tell which packages a process loaded (test/integration/store-modules.test.ts).
import { register } from 'node:module';

register(new URL('./module-log-hooks.mjs', import.meta.url));
