/**
 * Clients of fstore's two APIs, typed by their OpenAPI documents (docs/openapi/; the types in
 * generated/ come from `fstore openapi`): authentication, a deadline per attempt, retries of what
 * is safe to repeat, and errors as ApiError carrying the API's error_code.
 */
export { ApiError, ApiUnavailableError, type ClientOptions, type ErrorDetail } from './http';
export {
  FeatureServerClient,
  type BatchResponse,
  type EntityFeatures,
  type EntityName,
  type FeatureServerOptions,
  type FeatureValue,
  type TokenPair,
} from './feature-server';
export {
  backfillDay,
  ControlPlaneClient,
  CSRF_HEADER,
  type Accepted,
  type Backfill,
  type ConsoleHealth,
  type ConsoleHealthHistory,
  type ApiKey,
  type AuditEntry,
  type ControlPlaneOptions,
  type Deployment,
  type Feature,
  type FeatureApply,
  type FeatureDetail,
  type FeaturePlan,
  type FeatureVersion,
  type Idempotent,
  type Job,
  type JobDetail,
  type JobVersion,
  type Operation,
  type PlanRequest,
  type RegisterJob,
  type Run,
  type Session,
  type TriggerRun,
} from './control-plane';
export type {
  components as FeatureServerSchemas,
  paths as FeatureServerPaths,
} from './generated/feature-server';
export type {
  components as ControlPlaneSchemas,
  paths as ControlPlanePaths,
} from './generated/control-plane';
