// pino logger: JSON lines on stdout, human-readable when stdout is a terminal.
// Never the payload at info level.
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { LogLevel } from './config/config.js';

/**
 * The bridge's logger. `time` is an ISO 8601 timestamp (UTC), not epoch
 * milliseconds. `destination`: where JSON lines go instead of stdout (tests).
 */
export function createLogger(level: LogLevel, pretty = false, destination?: DestinationStream): Logger {
  const options = { level, base: { name: 'onem2m-ws-bridge' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (destination !== undefined) return pino(options, destination);
  if (!pretty) return pino(options);
  return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard', ignore: 'pid,hostname,name' } } });
}

/** A logger that drops everything: for tests and embedding without logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * At most one line per kind of failure and second, each with the `count` of
 * failures it stands for: the first is logged at once, the ones after it in a
 * line a second later. A failure that hits every request (the store away)
 * then costs a few lines, not one per request.
 */
export class ThrottledLog {
  private readonly kinds = new Map<string, { count: number; fields: Record<string, unknown>; msg: string; level: 'error' | 'warn' }>();
  private readonly logger: Logger;
  private readonly intervalMs: number;

  constructor(logger: Logger, intervalMs = 1000) {
    this.logger = logger;
    this.intervalMs = intervalMs;
  }

  error(kind: string, fields: Record<string, unknown>, msg: string): void {
    this.log('error', kind, fields, msg);
  }

  warn(kind: string, fields: Record<string, unknown>, msg: string): void {
    this.log('warn', kind, fields, msg);
  }

  private log(level: 'error' | 'warn', kind: string, fields: Record<string, unknown>, msg: string): void {
    const pending = this.kinds.get(kind);
    if (pending !== undefined) {
      pending.count++;
      pending.fields = fields;
      return;
    }
    this.logger[level]({ ...fields, kind, count: 1 }, msg);
    this.kinds.set(kind, { count: 0, fields, msg, level });
    this.later(kind);
  }

  private later(kind: string): void {
    setTimeout(() => {
      const pending = this.kinds.get(kind);
      if (pending === undefined) return;
      if (pending.count === 0) {
        this.kinds.delete(kind);
        return;
      }
      this.logger[pending.level]({ ...pending.fields, kind, count: pending.count }, `${pending.msg} (${pending.count} times in the last ${this.intervalMs / 1000} s; the last one here)`);
      pending.count = 0;
      this.later(kind);
    }, this.intervalMs).unref();
  }
}
