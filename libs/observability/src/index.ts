export { createLogger, silentLogger, type Logger, type LoggerOptions } from './logger';
export { NestJsonLogger, serviceLogger } from './nest-logger';
export { serveOps, type OpsServerOptions, type Readiness } from './ops-server';
export { kafkaLogCreator, type KafkaLogEntry } from './kafka-log';
export { headSampled, requestSpan, traceFastifyRequests } from './edge-sampling';
export {
  annotateSpan,
  edgeSampler,
  inBatchSpan,
  inClientSpan,
  inSpan,
  startTracing,
  traceContextCarrier,
  tracingSampler,
  type TracedService,
  type Tracing,
  type TracingSettings,
} from './tracing';
export {
  CONSOLE_PANELS,
  DASHBOARDS,
  DASHBOARDS_DIR,
  dashboardDrift,
  dashboardFiles,
  dashboardJson,
  writeDashboards,
  type ConsoleMark,
  type ConsolePanel,
  type Dashboard,
  type Panel,
  type PanelQuery,
  type PanelUnit,
} from './dashboards';
