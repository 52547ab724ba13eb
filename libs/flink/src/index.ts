export { FlinkJobs, type FlinkEndpoints, type JobStatus, type SubmitOptions } from './flink-jobs';
export { SqlGatewayClient, type StatementResult, type OperationStatus } from './sql-gateway.client';
export {
  JobManagerClient,
  TERMINAL_STATES,
  type ClusterOverview,
  type JobState,
  type JobSummary,
} from './jobmanager.client';
export { DEFAULT_HTTP, type HttpOptions } from './http';
export { splitStatements, sqlString, type SqlStatement, type StatementKind } from './statements';
export { configPlaceholders, placeholdersOf, renderPlaceholders } from './placeholders';
export {
  FlinkError,
  FlinkJobError,
  FlinkJobNotFoundError,
  FlinkPlaceholderError,
  FlinkProtocolError,
  FlinkScriptError,
  FlinkSessionNotFoundError,
  FlinkSqlError,
  FlinkTimeoutError,
  FlinkUnavailableError,
} from './errors';
