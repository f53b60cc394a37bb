// pino logger: JSON lines on stdout, human-readable when stdout is a terminal.
// Never the payload at info level.
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { LogLevel } from './config/config.js';

export function createLogger(level: LogLevel, pretty = false): Logger {
  const options = { level, base: { name: 'onem2m-ws-bridge' } };
  if (!pretty) return pino(options);
  return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard', ignore: 'pid,hostname,name' } } });
}

/** A logger that drops everything: for tests and embedding without logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
