export {
  FlinkJobs,
  type CompiledPlans,
  type FlinkEndpoints,
  type JobStatus,
  type SubmitOptions,
} from './flink-jobs';
export { withDedupeTtl, type DedupeTtlResult } from './plan';
export { SqlGatewayClient, type StatementResult, type OperationStatus } from './sql-gateway.client';
export {
  JobManagerClient,
  TERMINAL_STATES,
  type ClusterOverview,
  type JobState,
  type JobSummary,
  type TaskManagerInfo,
} from './jobmanager.client';
export { DEFAULT_HTTP, type ClientTls, type ClientTlsSource, type HttpOptions } from './http';
export { flinkClientTls } from './tls';
export { splitStatements, sqlString, type SqlStatement, type StatementKind } from './statements';
export {
  checkParameters,
  configPlaceholders,
  grantProblem,
  parameterProblem,
  placeholdersOf,
  placeholderType,
  renderPlaceholders,
  type PlaceholderType,
} from './placeholders';
export {
  checkJobScript,
  CONNECTORS,
  FORMATS,
  KAFKA_PROPERTIES,
  SET_KEYS,
  setKeyAllowed,
  type ScriptPolicyOptions,
} from './policy';
export {
  FlinkError,
  FlinkJobError,
  FlinkJobNotFoundError,
  FlinkParameterError,
  FlinkPlaceholderError,
  FlinkProtocolError,
  FlinkScriptError,
  FlinkScriptPolicyError,
  FlinkSessionNotFoundError,
  FlinkSqlError,
  FlinkTimeoutError,
  FlinkUnavailableError,
} from './errors';
