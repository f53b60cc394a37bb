// The configuration's public face: the settings table (settings.ts), the
// value parsers (parse-value.ts), the loader (load-config.ts) with its
// cross-setting checks (check-config.ts), --print-config (print-config.ts)
// and --help (help-text.ts). Importers keep one path; nothing is defined here.
export * from './settings.js';
export { parseDuration, parseHostPort } from './parse-value.js';
export * from './load-config.js';
export { printConfig } from './print-config.js';
export { helpText } from './help-text.js';
