/**
 * The control plane's Nest injection tokens, for what is injected through an interface or a
 * value rather than a class: declared here, apart from any one service, so the services,
 * workers and tests that share a dependency import it from one place (issue 22).
 */

/** The loaded FstoreConfig. */
export const CONFIG = Symbol('FstoreConfig');
/** The Flink repository (SQL Gateway + JobManager REST). */
export const FLINK = Symbol('FlinkRepository');
/** The job sources repository (flink-sql/, spark-jobs/). */
export const SOURCES = Symbol('SourcesRepository');
/** The online store (Redis Cluster), connected on first use (LazyOnlineStore). */
export const ONLINE_STORE = Symbol('OnlineStore');
/** The BullMQ queue repository of asynchronous operations. */
export const QUEUE = Symbol('QueueRepository');
/** Whether this process also runs the worker and the reconciler (ProcessRoles). */
export const PROCESS_ROLES = Symbol('ProcessRoles');
/** The Spark batch runtime (Livy; tests may give their own). */
export const BATCH_RUNTIME = Symbol('BatchRuntime');
/** The ConsoleSessions (undefined: FSTORE_CONSOLE_SECRET unset, console sign-in off). */
export const CONSOLE_SESSIONS = Symbol('CONSOLE_SESSIONS');
/** The users table as the console's e-mail sign-in reads it (ConsoleUsersSource). */
export const CONSOLE_USERS = Symbol('ConsoleUsers');
/** The Prometheus repository behind the console's health page. */
export const PROMETHEUS = Symbol('PROMETHEUS');
/** The Transactions over the control plane's PostgreSQL (store/transactions.ts). */
export const TRANSACTIONS = Symbol('Transactions');
/** The OperationsRepository (the operations table). */
export const OPERATIONS_REPOSITORY = Symbol('OperationsRepository');
/** The DeploymentsRepository (the deployments table). */
export const DEPLOYMENTS_REPOSITORY = Symbol('DeploymentsRepository');
/** The JobsRepository (jobs and their versions). */
export const JOBS_REPOSITORY = Symbol('JobsRepository');
/** The RunsRepository (the batch_runs table). */
export const RUNS_REPOSITORY = Symbol('RunsRepository');
/** The ApiKeysRepository (the api_keys table). */
export const API_KEYS_REPOSITORY = Symbol('ApiKeysRepository');
/** The AuditRepository (the audit log). */
export const AUDIT_REPOSITORY = Symbol('AuditRepository');
/** The FeatureRegistryRepository (feature versions and what the catalog reads beside them). */
export const FEATURE_REGISTRY_REPOSITORY = Symbol('FeatureRegistryRepository');
/** The CheckpointsRepository (Flink's retained checkpoints and savepoints on the filesystem). */
export const CHECKPOINTS = Symbol('CheckpointsRepository');
