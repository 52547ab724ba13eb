import { hostname } from 'os';
import pino from 'pino';
import type { LogLevel } from '@fstore/config';

/**
 * Structured logs, the same for every fstore process: one JSON object a line on stderr,
 * `{level, time, pid, hostname, service, msg, …fields}` (level as a word, time ISO-8601 UTC).
 * The Nest apps log through the same logger (NestJsonLogger), with the Nest context as `context`.
 */

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** Lines below this level are dropped (default info; the services pass config.logLevel). */
  level?: LogLevel;
  /** Where lines go (default: stderr, written synchronously so a line before exit is kept). */
  write?: (line: string) => void;
}

function wrap(p: pino.Logger): Logger {
  const emit = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) =>
    fields ? p[level](fields, msg) : p[level](msg);
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
  };
}

/** The logger of one process (`service`: its name, e.g. `feature-writer`). */
export function createLogger(service: string, opts: LoggerOptions = {}): Logger {
  const write = opts.write;
  const destination = write
    ? { write: (line: string) => write(line) }
    : pino.destination({ dest: 2, sync: true });
  return wrap(
    pino(
      {
        level: opts.level ?? 'info',
        base: { pid: process.pid, hostname: hostname(), service },
        messageKey: 'msg',
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      destination,
    ),
  );
}

/** Drops every line (tests, and library callers that log nothing). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
