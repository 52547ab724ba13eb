export { createLogger, silentLogger, type Logger, type LoggerOptions } from './logger';
export { NestJsonLogger, serviceLogger } from './nest-logger';
export { serveOps, type OpsServerOptions, type Readiness } from './ops-server';
export { kafkaLogCreator, type KafkaLogEntry } from './kafka-log';
