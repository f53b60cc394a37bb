#!/usr/bin/env node
// onem2m-ws-bridge [settings]: validates the configuration (exit 2 naming
// every bad setting), starts the bridge, and stops it cleanly on SIGTERM.
import { createBridge } from '../bridge/bridge.js';
import { ConfigError, helpText, loadConfigWithSources, parseArgs, printConfig } from '../config/config.js';
import { createLogger } from '../log.js';
import { processIo, runClientCommand } from './client-command.js';

async function main(argv: string[]): Promise<number> {
  // `onem2m-ws-bridge client ...`: the command-line TS-0020 client (client-command.ts).
  if (argv[0] === 'client') return runClientCommand(argv.slice(1), processIo());
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  let config;
  try {
    const loaded = loadConfigWithSources(argv, process.env);
    config = loaded.config;
    if (args.printConfig) {
      process.stdout.write(printConfig(loaded.config, loaded.sources) + '\n');
      return 0;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const problem of err.problems) process.stderr.write(`onem2m-ws-bridge: ${problem}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, process.stdout.isTTY === true);
  // A stray rejection is a bug to log, not a reason to drop every connection.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason.stack : String(reason) }, 'unhandled rejection');
  });
  const bridge = createBridge(config, { logger });
  try {
    await bridge.start();
  } catch (err) {
    logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'bridge could not start');
    return 1;
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
    process.on('SIGTERM', () => stop('SIGTERM'));
    // Certificate rotation without dropping connections.
    process.on('SIGHUP', () => {
      try {
        bridge.reloadTls();
      } catch (err) {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'TLS reload failed; the previous certificate stays in use');
      }
    });
    process.on('SIGINT', () => stop('SIGINT'));
  });
  logger.info('stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`onem2m-ws-bridge: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
