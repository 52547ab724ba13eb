import { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import type { LogLevel } from '@fstore/config';
import { createLogger, Logger } from './logger';

/** How Nest's levels map onto ours (verbose is debug; fatal is error). */
const LEVEL_OF: Record<NestLogLevel, LogLevel> = {
  verbose: 'debug',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'error',
};

const looksLikeStack = (v: unknown): v is string => typeof v === 'string' && /\n\s+at /.test(v);

/**
 * Nest's LoggerService over the process's structured logger, so a Nest app's lines have the same
 * fields as every other fstore process: Nest's context (the class that logged) becomes `context`,
 * an error's stack `stack`, and an object message its fields.
 */
export class NestJsonLogger implements LoggerService {
  private enabled?: ReadonlySet<NestLogLevel>;

  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.emit('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.emit('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.emit('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.emit('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.emit('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.emit('fatal', message, params);
  }

  setLogLevels(levels: NestLogLevel[]): void {
    this.enabled = new Set(levels);
  }

  private emit(level: NestLogLevel, message: unknown, params: unknown[]): void {
    if (this.enabled && !this.enabled.has(level)) return;
    const fields: Record<string, unknown> = {};
    const rest = [...params];
    // Nest passes the context last, and for errors the stack before it (or alone).
    const last = rest[rest.length - 1];
    if (typeof last === 'string' && !looksLikeStack(last)) fields.context = rest.pop();
    if ((level === 'error' || level === 'fatal') && looksLikeStack(rest[0])) {
      fields.stack = rest.shift();
    }
    if (rest.length > 0) fields.params = rest;
    if (level === 'fatal') fields.fatal = true;
    let msg: string;
    if (message instanceof Error) {
      msg = message.message;
      fields.stack ??= message.stack;
    } else if (message !== null && typeof message === 'object') {
      // An object logged as the message: its `msg` (or `message`) is the line's, the rest fields.
      const { msg: text, message: alt, ...rest } = message as Record<string, unknown>;
      Object.assign(fields, rest);
      msg = typeof text === 'string' ? text : typeof alt === 'string' ? alt : '';
    } else {
      msg = String(message);
    }
    this.logger[LEVEL_OF[level]](msg, fields);
  }
}

/** A Nest app's logger: the service's structured logger at `level` (config.logLevel). */
export function serviceLogger(service: string, level: LogLevel): NestJsonLogger {
  return new NestJsonLogger(createLogger(service, { level }));
}
