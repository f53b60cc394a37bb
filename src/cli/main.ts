#!/usr/bin/env node
// onem2m-ws-bridge [settings]: validates the configuration (exit 2 naming
// every bad setting), starts the bridge, and stops it cleanly on SIGTERM.
//
// Only what every invocation needs is imported up front: the client command,
// the settings parser and the bridge (with the stores, ioredis, lmdb) are
// loaded when the invocation needs them, so `--version`, `--help` and
// `client` do not pay for loading the whole bridge (issue 16).
import type { Logger } from 'pino';
import type { Bridge } from '../bridge/bridge.js';
import { helpText } from '../config/help-text.js';
import { errorMessage, StartError } from '../errors.js';
import { VERSION } from '../version.js';
import { redactUrls } from '../redact.js';

async function main(argv: string[]): Promise<number> {
  // `onem2m-ws-bridge client ...`: the command-line TS-0020 client (client-command.ts).
  if (argv[0] === 'client') {
    const { processIo, runClientCommand } = await import('./client-command.js');
    return runClientCommand(argv.slice(1), processIo());
  }
  // A lone --help or --version means the same to parseArgs: answered without loading it.
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { ConfigError, loadConfigWithSources, parseArgs, printConfig } = await import('../config/config.js');
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  let config;
  try {
    const loaded = loadConfigWithSources(argv, process.env);
    config = loaded.config;
    if (args.printConfig) {
      process.stdout.write(printConfig(loaded.config, loaded.sources, { masked: args.printConfig === 'masked' }) + '\n');
      return 0;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const problem of err.problems) process.stderr.write(`onem2m-ws-bridge: ${problem}\n`);
      return 2;
    }
    throw err;
  }
  const [{ createBridge }, { createLogger }] = await Promise.all([import('../bridge/bridge.js'), import('../log.js')]);
  const logger = createLogger(config.logLevel, process.stdout.isTTY === true);
  // A stray rejection is a bug to log, not a reason to drop every connection.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection');
  });
  let bridge: Bridge;
  // Installed before start(): it logs "bridge listening", and a SIGTERM/SIGINT
  // sent on that line must stop the bridge cleanly, not kill it by default.
  let requested: string | undefined;
  let onStop = (signal: string): void => void (requested ??= signal);
  process.on('SIGTERM', () => onStop('SIGTERM'));
  process.on('SIGINT', () => onStop('SIGINT'));
  try {
    bridge = createBridge(config, { logger });
    await bridge.start();
  } catch (err) {
    // start() closed what it had opened; exit now, so nothing still pending
    // (a store that never finished opening) keeps a half-started process alive.
    process.exit(startFailed(err, logger));
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      const deadline = setTimeout(() => {
        logger.error('stop took longer than 10 s; exiting');
        process.exit(1);
      }, 10_000);
      deadline.unref();
      bridge.stop().then(resolve, (err: unknown) => {
        logger.error({ err: String(err) }, 'error while stopping');
        resolve();
      });
    };
    onStop = stop;
    if (requested !== undefined) stop(requested);
    // Certificate rotation without dropping connections.
    process.on('SIGHUP', () => {
      try {
        bridge.reloadTls();
      } catch (err) {
        logger.error({ err: errorMessage(err) }, 'TLS reload failed; the previous certificate stays in use');
      }
    });
  });
  logger.info('stopped');
  return 0;
}

/**
 * One line, no stack: exit 2 when a setting is wrong (on stderr, like the
 * problems of loadConfig), exit 1 when the host refused what the settings ask.
 */
function startFailed(err: unknown, logger: Logger): number {
  // A setting's URL in the message keeps its password out (SECURITY.md).
  const message = redactUrls(errorMessage(err));
  if (err instanceof StartError && err.kind === 'config') {
    process.stderr.write(`onem2m-ws-bridge: ${message}\n`);
    return 2;
  }
  if (logger.isLevelEnabled('fatal')) logger.fatal({ err: message }, 'bridge could not start');
  else process.stderr.write(`onem2m-ws-bridge: could not start: ${message}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // One line, never a stack trace: a bug here is reported by its message.
    process.stderr.write(`onem2m-ws-bridge: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    process.exitCode = 1;
  },
);
