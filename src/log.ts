// pino logger: JSON lines on stdout. Never the payload at info level.
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { LogLevel } from './config/config.js';

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { name: 'onem2m-ws-bridge' } });
}

/** A logger that drops everything: for tests and embedding without logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
