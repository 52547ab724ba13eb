/**
 * The project's database schema in PostgreSQL: the control plane's tables, the users tables
 * (libs/auth reads and writes them), their migrations and the services' grants; the control
 * plane's connection, and its API keys (the control plane authenticates with them; the CLI
 * creates them).
 */
export {
  API_KEY_PREFIX,
  API_KEY_ROLES,
  createApiKey,
  createControlApiKey,
  generateApiKey,
  hashApiKey,
  isApiKeyRole,
  keyUsable,
  type ApiKeyRole,
} from './api-keys';
export { controlDataSource, migrateDatabase, MIGRATIONS, openDatabase } from './data-source';
export {
  ApiKeyEntity,
  AuditEntryEntity,
  BatchRunEntity,
  DeploymentEntity,
  ENTITIES,
  FeatureVersionEntity,
  JobEntity,
  JobVersionEntity,
  OperationEntity,
  type DesiredState,
  type JobKind,
  type JsonObject,
  OPERATION_KINDS,
  type OperationKind,
  type OperationStatus,
  type RunState,
} from './entities';
