/**
 * The control plane's metadata store in PostgreSQL: its tables, migrations and connection, and
 * its API keys (the control plane authenticates with them; the CLI creates them).
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
export { controlDataSource, MIGRATIONS, openDatabase } from './data-source';
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
  type OperationKind,
  type OperationStatus,
  type RunState,
} from './entities';
