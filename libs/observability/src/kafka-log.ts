import { Logger } from './logger';

/** What kafkajs hands a log creator (kafkajs's LogEntry, without importing kafkajs here). */
export interface KafkaLogEntry {
  level: number;
  log: { message: string; timestamp?: string; logger?: string; [field: string]: unknown };
}

/** kafkajs's levels: ERROR 1, WARN 2, INFO 4, DEBUG 5. */
const KAFKA_ERROR = 1;
const KAFKA_WARN = 2;
const KAFKA_INFO = 4;

/**
 * A kafkajs `logCreator` that writes the client's lines through the process's structured logger
 * (`kafkajs: <message>` with kafkajs's fields), instead of kafkajs's own JSON with other field
 * names. Lines whose message matches `ignore` are dropped.
 */
export function kafkaLogCreator(logger: Logger, ignore?: RegExp) {
  return () =>
    ({ level, log }: KafkaLogEntry): void => {
      const { message } = log;
      if (ignore?.test(message)) return;
      // Our logger writes its own time and names the process; kafkajs's copies would clash.
      const fields: Record<string, unknown> = { ...log };
      delete fields.message;
      delete fields.timestamp;
      delete fields.logger;
      const emit =
        level <= KAFKA_ERROR
          ? logger.error
          : level === KAFKA_WARN
            ? logger.warn
            : level === KAFKA_INFO
              ? logger.info
              : logger.debug;
      emit(`kafkajs: ${message}`, fields);
    };
}
