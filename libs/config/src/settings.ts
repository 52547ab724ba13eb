/**
 * Every environment variable the project reads, with its default and meaning: the one source of
 * truth for ports, addresses and tunables. The local stack, the apps, the tests and docs/configuration.md's
 * configuration table (`fstore config --markdown`) all read this list.
 */
export type SettingKind = 'string' | 'port' | 'int' | 'ports' | 'secret';

export interface SettingSpec {
  kind: SettingKind;
  /** Literal default; a function derives it from already-resolved settings. Secrets have none. */
  default?: string | ((resolved: Record<string, string>) => string);
  doc: string;
}

export const SETTINGS = {
  FSTORE_HOST: { kind: 'string', default: '127.0.0.1', doc: 'Address every local server binds to' },
  FSTORE_STACK_DIR: {
    kind: 'string',
    default: '.stack',
    doc: 'Data, logs, pid files and generated secrets of the local stack (relative to the checkout)',
  },
  FSTORE_LOG_LEVEL: {
    kind: 'string',
    default: 'info',
    doc: 'Lowest level the services log (debug, info, warn or error): one JSON object a line on stderr',
  },
  FSTORE_CACHE_DIR: {
    kind: 'string',
    default: '~/.cache/fstore',
    doc: 'Downloaded artifacts (Kafka jars, …), shared by every clone',
  },

  FSTORE_PG_HOST: { kind: 'string', default: (r) => r.FSTORE_HOST, doc: 'PostgreSQL host' },
  FSTORE_PG_PORT: { kind: 'port', default: '5432', doc: 'PostgreSQL port' },
  FSTORE_PG_DATABASE: { kind: 'string', default: 'fstore', doc: "The project's database" },
  FSTORE_PG_USER: {
    kind: 'string',
    default: 'fstore',
    doc: "The project's role: owns the database and its tables (migrations, `fstore users`, the stack)",
  },
  FSTORE_PG_PASSWORD: {
    kind: 'secret',
    doc: "Password of the project's role (local stack: generated into <stack>/secrets.env)",
  },
  FSTORE_PG_SERVING_USER: {
    kind: 'string',
    default: 'fstore_serving',
    doc: "The feature server's role: reads auth_users, keeps auth_sessions; nothing of the control plane",
  },
  FSTORE_PG_SERVING_PASSWORD: {
    kind: 'secret',
    doc: "Password of the feature server's role",
  },
  FSTORE_PG_CONTROL_USER: {
    kind: 'string',
    default: 'fstore_control',
    doc: "The control plane's runtime role: reads and writes its schema's tables, audit_log only SELECT and INSERT, auth_users only SELECT (the console's e-mail sign-in; the project's role migrates)",
  },
  FSTORE_PG_CONTROL_PASSWORD: {
    kind: 'secret',
    doc: "Password of the control plane's runtime role",
  },
  FSTORE_PG_MONITOR_USER: {
    kind: 'string',
    default: 'fstore_monitor',
    doc: "The Prometheus PostgreSQL exporter's role: member of `pg_monitor` only (statistics and settings, no table of fstore's)",
  },
  FSTORE_PG_MONITOR_PASSWORD: {
    kind: 'secret',
    doc: "Password of the exporter's role",
  },

  FSTORE_REDIS_CLUSTER_PORTS: {
    kind: 'ports',
    default: '7001,7002,7003,7004,7005,7006',
    doc: 'Redis Cluster nodes (3 masters + 3 replicas locally); clients use them as seeds',
  },
  FSTORE_REDIS_HOST: {
    kind: 'string',
    default: (r) => r.FSTORE_HOST,
    doc: "Redis Cluster host the clients seed from, on each of FSTORE_REDIS_CLUSTER_PORTS (Kubernetes: the cluster's Service)",
  },
  FSTORE_REDIS_QUEUE_PORT: {
    kind: 'port',
    default: '6390',
    doc: 'Plain Redis instance for job queues',
  },
  FSTORE_REDIS_QUEUE_HOST: {
    kind: 'string',
    default: (r) => r.FSTORE_HOST,
    doc: 'Host of the plain queue Redis',
  },
  FSTORE_REDIS_ADMIN_PASSWORD: {
    kind: 'secret',
    doc: 'Redis user `fstore-admin` (every command and key, cluster and queue): the local stack, `fstore` admin work, tests and benchmarks (local stack: generated into <stack>/secrets.env)',
  },
  FSTORE_REDIS_REPLICATION_PASSWORD: {
    kind: 'secret',
    doc: 'Redis user `replication` (PSYNC/REPLCONF/PING only): replicas authenticate to their master with it (`masteruser`/`masterauth`)',
  },
  FSTORE_REDIS_SERVER_PASSWORD: {
    kind: 'secret',
    doc: 'Redis user `feature-server`: reads of feature keys only (apps/feature-server)',
  },
  FSTORE_REDIS_WRITER_PASSWORD: {
    kind: 'secret',
    doc: "Redis user `feature-writer`: reads and writes of the stream features' keys only (apps/feature-writer)",
  },
  FSTORE_REDIS_BATCH_PASSWORD: {
    kind: 'secret',
    doc: "Redis user `batch-features`: reads and writes of the batch features' keys only (spark-jobs/batch_features.py, through Livy's environment)",
  },
  FSTORE_REDIS_CONTROL_PASSWORD: {
    kind: 'secret',
    doc: 'Redis user `control-plane` on the cluster: reads of feature keys only (the control plane shows stored values)',
  },
  FSTORE_REDIS_METRICS_PASSWORD: {
    kind: 'secret',
    doc: "Redis user `metrics` on the cluster: the Prometheus exporter's read-only server statistics (INFO, CLUSTER INFO, SLOWLOG and LATENCY reads), no key",
  },
  FSTORE_REDIS_QUEUE_PASSWORD: {
    kind: 'secret',
    doc: "Redis user `control-plane` on the queue Redis: the BullMQ queue's keys only (a password of its own, not the cluster's)",
  },

  FSTORE_KAFKA_PORT: { kind: 'port', default: '9092', doc: 'Kafka broker listener' },
  FSTORE_KAFKA_CONTROLLER_PORT: {
    kind: 'port',
    default: '9093',
    doc: 'Kafka KRaft controller listener',
  },
  FSTORE_KAFKA_BROKERS: {
    kind: 'string',
    default: (r) => `${r.FSTORE_HOST}:${r.FSTORE_KAFKA_PORT}`,
    doc: 'Bootstrap servers the clients use (comma-separated)',
  },
  FSTORE_KAFKA_PARTITIONS: {
    kind: 'int',
    default: '6',
    doc: 'Partitions of each topic the stack creates, except the feature changelogs',
  },
  FSTORE_KAFKA_CHANGELOG_PARTITIONS: {
    kind: 'int',
    default: '1',
    doc: "Partitions of each feature changelog topic (`features.<name>`), at least 1. The feature writer takes one batch per partition and fetch, and each Flink sink flushes every few tens of ms: 6 partitions each gave it ~1,000 batches a second whatever the rate (docs/benchmarks.md). Its instances share all the changelogs' partitions (one per stream feature at 1); raise it for more writer instances than that. Kafka never takes partitions away: an existing topic keeps its count",
  },
  FSTORE_KAFKA_HEAP: { kind: 'string', default: '768m', doc: 'Kafka broker JVM heap (-Xmx)' },
  FSTORE_KAFKA_METRICS_PORT: {
    kind: 'port',
    default: '9404',
    doc: "Kafka: the broker's Prometheus metrics (the JMX exporter's Java agent, rules monitoring/kafka-metrics.yml) on the stack's host, local stack only",
  },
  FSTORE_KAFKA_BROKER_PASSWORD: {
    kind: 'secret',
    doc: "Kafka: the broker's own login `fstore-broker` (PLAIN, on its controller and client listeners; a super user), local stack only",
  },
  FSTORE_KAFKA_ADMIN_PASSWORD: {
    kind: 'secret',
    doc: 'Kafka SCRAM user `fstore-admin` (a super user): the local stack, `fstore` admin work, tests and benchmarks',
  },
  FSTORE_KAFKA_PRODUCER_PASSWORD: {
    kind: 'secret',
    doc: 'Kafka SCRAM user `producer`: writes the raw events and their dead letters only (apps/producer)',
  },
  FSTORE_KAFKA_FLINK_PASSWORD: {
    kind: 'secret',
    doc: "Kafka SCRAM user `flink`: reads the raw events in the jobs' groups, writes `features.*` (the Flink JVMs' JAAS file)",
  },
  FSTORE_KAFKA_WRITER_PASSWORD: {
    kind: 'secret',
    doc: 'Kafka SCRAM user `feature-writer`: reads `features.*` in its group, writes dead letters (apps/feature-writer)',
  },
  FSTORE_KAFKA_INGEST_PASSWORD: {
    kind: 'secret',
    doc: "Kafka SCRAM user `spark-ingest`: reads the raw events (spark-jobs/ingest_kafka_to_lake.py, through Livy's environment)",
  },
  FSTORE_KAFKA_SERVER_PASSWORD: {
    kind: 'secret',
    doc: 'Kafka SCRAM user `feature-server`: writes the serving log `fstore.serving-log` only (apps/feature-server)',
  },
  FSTORE_FLINK_REST_PORT: {
    kind: 'port',
    default: '8081',
    doc: 'Flink JobManager REST API and web UI',
  },
  FSTORE_FLINK_GATEWAY_PORT: {
    kind: 'port',
    default: '8083',
    doc: 'Flink SQL Gateway REST endpoint (the control plane submits SQL jobs here)',
  },
  FSTORE_FLINK_RPC_PORT: { kind: 'port', default: '6123', doc: 'Flink JobManager RPC (Pekko)' },
  FSTORE_FLINK_BLOB_PORT: { kind: 'port', default: '6124', doc: 'Flink JobManager blob server' },
  FSTORE_FLINK_REST_URL: {
    kind: 'string',
    default: (r) => `https://${r.FSTORE_HOST}:${r.FSTORE_FLINK_REST_PORT}`,
    doc: 'Base URL of the Flink JobManager REST API the clients use (https: the local stack serves it with mutual TLS)',
  },
  FSTORE_FLINK_GATEWAY_URL: {
    kind: 'string',
    default: (r) => `https://${r.FSTORE_HOST}:${r.FSTORE_FLINK_GATEWAY_PORT}`,
    doc: 'Base URL of the Flink SQL Gateway the clients use (https: mutual TLS, as the JobManager)',
  },
  FSTORE_FLINK_TLS_CA: {
    kind: 'string',
    default: (r) => `${r.FSTORE_STACK_DIR}/tls/flink/rest.crt`,
    doc: "PEM certificate(s) an https Flink REST API or SQL Gateway must present (the local stack's is self-signed, generated by `stack up`)",
  },
  FSTORE_FLINK_TLS_CERT: {
    kind: 'string',
    default: (r) => `${r.FSTORE_STACK_DIR}/tls/flink/rest.crt`,
    doc: "PEM client certificate the Flink clients present to an https Flink (security.ssl.rest.authentication-enabled refuses a client without one the cluster's truststore holds)",
  },
  FSTORE_FLINK_TLS_KEY: {
    kind: 'string',
    default: (r) => `${r.FSTORE_STACK_DIR}/tls/flink/rest.key`,
    doc: 'PEM private key of FSTORE_FLINK_TLS_CERT (mode 600)',
  },
  FSTORE_FLINK_TLS_STORE_PASSWORD: {
    kind: 'secret',
    doc: "Password of the local Flink's REST keystore and truststore (<stack>/tls/flink/*.p12; local stack: generated into <stack>/secrets.env)",
  },
  FSTORE_FLINK_TASK_SLOTS: {
    kind: 'int',
    default: '8',
    doc: 'Task slots of each TaskManager (one per parallel task of every running job); at least 1',
  },
  FSTORE_FLINK_TASKMANAGERS: {
    kind: 'int',
    default: '1',
    doc: 'How many TaskManager processes the local stack starts (`taskmanager`, `taskmanager-2`, …), each with FSTORE_FLINK_TASK_SLOTS slots and FSTORE_FLINK_TASKMANAGER_MEMORY; at least 1. Kubernetes: the operator starts the TaskManagers a job needs',
  },
  FSTORE_FLINK_PARALLELISM: {
    kind: 'int',
    default: '1',
    doc: "Default parallelism of the Flink jobs (parallelism.default; a job may SET its own): each operator runs in this many parallel tasks, spread over the TaskManagers' slots; at least 1. A job's source reads at most one task per Kafka partition",
  },
  FSTORE_FLINK_JOBMANAGER_MEMORY: {
    kind: 'string',
    default: '1024m',
    doc: 'Flink JobManager total process memory (jobmanager.memory.process.size)',
  },
  FSTORE_FLINK_TASKMANAGER_MEMORY: {
    kind: 'string',
    default: '2048m',
    doc: 'Total process memory of each Flink TaskManager (taskmanager.memory.process.size)',
  },
  FSTORE_FLINK_GATEWAY_HEAP: {
    kind: 'string',
    default: '512m',
    doc: 'Flink SQL Gateway JVM heap (-Xmx)',
  },
  FSTORE_FLINK_CHECKPOINT_INTERVAL: {
    kind: 'string',
    default: '10 s',
    doc: 'Default checkpoint interval of the Flink jobs (a job may SET its own)',
  },
  FSTORE_FLINK_STATE_BACKEND: {
    kind: 'string',
    default: 'rocksdb',
    doc: 'Flink state backend (state.backend.type): rocksdb keeps keyed state on local disk, off the JVM heap; hashmap keeps it on the heap',
  },
  FSTORE_FLINK_INCREMENTAL_CHECKPOINTS: {
    kind: 'string',
    default: 'true',
    doc: 'Flink incremental checkpoints (execution.checkpointing.incremental, RocksDB only): a checkpoint writes what changed since the last one',
  },
  FSTORE_FLINK_MANAGED_MEMORY_FRACTION: {
    kind: 'string',
    default: '0.4',
    doc: "Share of the TaskManager's Flink memory given to managed memory (taskmanager.memory.managed.fraction), which RocksDB uses for its caches and write buffers; 0.4 of a 2048m TaskManager is ~635 MB",
  },
  FSTORE_FLINK_JVM_OPTS: {
    kind: 'string',
    default: '-XX:+ExitOnOutOfMemoryError',
    doc: 'Extra JVM options of the Flink JobManager, TaskManager and SQL Gateway (env.java.opts.jobmanager/taskmanager/sql-gateway): a JVM that ran out of memory exits, to be restarted',
  },
  FSTORE_FLINK_JAVA_HOME: {
    kind: 'string',
    default: '/usr/lib/jvm/java-17-openjdk-amd64',
    doc: 'Java 17 the local Flink processes run on (newer JDKs break Flink 2.2)',
  },
  FSTORE_FLINK_REQUEST_TIMEOUT_MS: {
    kind: 'int',
    default: '30000',
    doc: 'Deadline of one HTTP request to the Flink REST API or SQL Gateway',
  },
  FSTORE_FLINK_KAFKA_TOPICS: {
    kind: 'string',
    default: 'ecommerce.transactions,features.*,test.*,bench.*',
    doc: "Kafka topics a Flink job's parameters (`…_TOPIC`, `…_TOPIC_PREFIX`) may name, comma-separated: the `flink` user's topic ACLs (libs/config/src/kafka-acl.ts), `name*` every topic starting with `name`; the control plane refuses another at registration (400, 1420). The default is the local stack's ACLs (with its `test.`/`bench.` scratch topics); Kubernetes sets its KafkaUser's",
  },
  FSTORE_FLINK_KAFKA_GROUPS: {
    kind: 'string',
    default: 'fstore-job-*,test-*,bench-*',
    doc: "Consumer groups a Flink job's parameters (`…_GROUP`, `…_GROUP_ID`) may name, as FSTORE_FLINK_KAFKA_TOPICS: the `flink` user's group ACLs",
  },
  FSTORE_DEDUPE_HORIZON: {
    kind: 'string',
    default: '7d',
    doc: "Redelivery horizon of the streaming jobs' event-id deduplication (a duration such as `90s`, `12h` or `7d`, from 1s to 365d): an event id is remembered this long after its first delivery, so a redelivery within it counts once and one after it counts again; the dedupe state's time-to-live, set on the jobs' compiled plans (docs/features.md)",
  },
  FSTORE_FLINK_CHECKPOINT_DIR: {
    kind: 'string',
    default: (r) => `${r.FSTORE_STACK_DIR}/data/flink/checkpoints`,
    doc: "Folder of Flink's retained checkpoints (execution.checkpointing.dir, `<dir>/<flink job id>/chk-<n>/_metadata`): the local stack's Flink writes them there, and the control plane's `recover` restores a vanished job from the newest complete one of its last Flink job",
  },
  FSTORE_FLINK_PLAN_DIR: {
    kind: 'string',
    default: (r) => `${r.FSTORE_STACK_DIR}/data/flink/plans`,
    doc: 'Folder the control plane and the SQL Gateway share for compiled job plans (COMPILE PLAN, then EXECUTE PLAN with the dedupe TTL), the same path in both; each file lives only while its job is submitted (mode 640: on Kubernetes the gateway reads it by group)',
  },
  FSTORE_SUPERVISOR_INTERVAL_SECONDS: {
    kind: 'int',
    default: '3',
    doc: 'Local stack supervisor: how often it checks the processes `stack up` started (a process found dead on two checks in a row is restarted)',
  },
  FSTORE_SUPERVISOR_MAX_BACKOFF_SECONDS: {
    kind: 'int',
    default: '60',
    doc: 'Local stack supervisor: the longest wait between restarts of a process that keeps dying (the wait doubles from the check interval)',
  },
  FSTORE_SPARK_MASTER: {
    kind: 'string',
    default: 'local[2]',
    doc: 'Spark master of the local batch jobs (spark-submit and Livy)',
  },
  FSTORE_SPARK_DRIVER_MEMORY: {
    kind: 'string',
    default: '1g',
    doc: 'Spark driver memory of each local batch job (spark.driver.memory)',
  },
  FSTORE_SPARK_JAVA_HOME: {
    kind: 'string',
    default: '/usr/lib/jvm/java-17-openjdk-amd64',
    doc: 'Java the local Spark jobs and the Livy server run on',
  },
  FSTORE_HIVE_METASTORE_DATABASE: {
    kind: 'string',
    default: 'fstore_metastore',
    doc: 'PostgreSQL database of the Hive metastore that every Spark process shares',
  },
  FSTORE_HIVE_METASTORE_USER: {
    kind: 'string',
    default: 'fstore_metastore',
    doc: 'PostgreSQL role owning the Hive metastore database',
  },
  FSTORE_HIVE_METASTORE_PASSWORD: {
    kind: 'secret',
    doc: 'Password of the Hive metastore role (local stack: generated into <stack>/secrets.env)',
  },
  FSTORE_LIVY_PORT: { kind: 'port', default: '8998', doc: 'Livy server (batch REST API)' },
  FSTORE_LIVY_URL: {
    kind: 'string',
    default: (r) => `http://${r.FSTORE_HOST}:${r.FSTORE_LIVY_PORT}`,
    doc: 'Base URL of the Livy server the clients use',
  },
  FSTORE_LIVY_TOKEN: {
    kind: 'secret',
    doc: "Bearer token every request to Livy must carry (stack/livy/auth/BearerTokenFilter.java refuses others with 401): the control plane's and the stack's own clients (local stack: generated into <stack>/secrets.env)",
  },
  FSTORE_LIVY_HEAP: { kind: 'string', default: '512m', doc: 'Livy server JVM heap (-Xmx)' },
  FSTORE_LIVY_STATE_RETAIN: {
    kind: 'string',
    default: '600s',
    doc: 'How long Livy remembers a finished batch (livy.server.session.state-retain.sec)',
  },
  FSTORE_LIVY_REQUEST_TIMEOUT_MS: {
    kind: 'int',
    default: '30000',
    doc: 'Deadline of one HTTP request to the Livy server',
  },
  FSTORE_AIRFLOW_PORT: {
    kind: 'port',
    default: '8080',
    doc: "Airflow's API server: the web UI, the REST API (/api/v2) and the tasks' execution API",
  },
  FSTORE_AIRFLOW_URL: {
    kind: 'string',
    default: (r) => `http://${r.FSTORE_HOST}:${r.FSTORE_AIRFLOW_PORT}`,
    doc: "Base URL of Airflow's API server (UI and REST API)",
  },
  FSTORE_AIRFLOW_DB_DATABASE: {
    kind: 'string',
    default: 'fstore_airflow',
    doc: "PostgreSQL database of Airflow's metadata (scheduler, API server, DAG processor, triggerer)",
  },
  FSTORE_AIRFLOW_DB_USER: {
    kind: 'string',
    default: 'fstore_airflow',
    doc: "PostgreSQL role owning Airflow's metadata database (no rights on the project's database)",
  },
  FSTORE_AIRFLOW_DB_PASSWORD: {
    kind: 'secret',
    doc: "Password of Airflow's PostgreSQL role (local stack: generated into <stack>/secrets.env)",
  },
  FSTORE_AIRFLOW_ADMIN_USER: {
    kind: 'string',
    default: 'admin',
    doc: "Airflow's admin user (simple auth manager) for the UI and the REST API",
  },
  FSTORE_AIRFLOW_ADMIN_PASSWORD: {
    kind: 'secret',
    doc: "Password of Airflow's admin user (local stack: generated into <stack>/secrets.env)",
  },
  FSTORE_AIRFLOW_JWT_SECRET: {
    kind: 'secret',
    doc: "Key signing the tokens of Airflow's API (shared by every Airflow process; local stack: generated)",
  },
  FSTORE_AIRFLOW_FERNET_KEY: {
    kind: 'secret',
    doc: "Fernet key encrypting connection passwords and variables in Airflow's database (local stack: generated)",
  },
  FSTORE_AIRFLOW_PARALLELISM: {
    kind: 'int',
    default: '4',
    doc: "Task processes Airflow's LocalExecutor runs at once (tasks only call the control plane; Spark work runs in Livy)",
  },
  FSTORE_AIRFLOW_UNPAUSED_DAGS: {
    kind: 'string',
    default: 'batch_features_daily,feature_server_health',
    doc: 'DAGs the local stack switches on (comma-separated); the others stay paused until switched on in the UI or with `airflow dags unpause`',
  },
  FSTORE_REDIS_COMMAND_TIMEOUT_MS: {
    kind: 'int',
    default: '1000',
    doc: 'Deadline of one Redis command from the services (a dead node fails fast, never hangs)',
  },

  FSTORE_WRITER_METRICS_PORT: {
    kind: 'port',
    default: '9464',
    doc: 'Feature writer: /metrics and /health',
  },
  FSTORE_WRITER_GROUP: {
    kind: 'string',
    default: 'fstore-feature-writer',
    doc: 'Feature writer: Kafka consumer group of the changelog topics',
  },
  FSTORE_WRITER_TOPIC_NAMESPACE: {
    kind: 'string',
    default: '',
    doc: 'Feature writer: put before the changelog topic names it reads (`<namespace>features.<feature>`); tests and benchmarks run writers on topics of their own with it',
  },
  FSTORE_WRITER_DEAD_LETTER_TOPIC: {
    kind: 'string',
    default: '',
    doc: 'Feature writer: topic of the records it can never apply (empty: the dead-letter topic of the contracts, `ecommerce.transactions.dlq`)',
  },
  FSTORE_WRITER_RETRY_SECONDS: {
    kind: 'int',
    default: '30',
    doc: 'Feature writer: how long Redis may fail before the writer reports itself unready (it holds the batch and keeps retrying; nothing is dead-lettered)',
  },

  FSTORE_WRITER_WAIT_REPLICAS: {
    kind: 'int',
    default: '1',
    doc: "Feature writer: replicas of each Redis master that took a batch's writes that must confirm them (WAIT) before the batch's Kafka offsets are committed, so that a failover does not lose acknowledged writes; 0 = do not wait. Fewer in time: counted (fstore_writer_replica_wait_shortfall_total), warned about, committed anyway (docs/consistency.md)",
  },
  FSTORE_WRITER_WAIT_TIMEOUT_MS: {
    kind: 'int',
    default: '500',
    doc: "Feature writer: how long one master's WAIT may take (a replica that is down costs each batch this long); at most half of FSTORE_REDIS_COMMAND_TIMEOUT_MS, since the writes queued behind a WAIT must still meet that deadline",
  },

  FSTORE_SERVING_INSTANCE_PORTS: {
    kind: 'ports',
    default: '3001,3002',
    doc: 'Feature-server instances the local stack runs behind the load balancer',
  },
  FSTORE_SERVING_PORT: {
    kind: 'port',
    default: (r) => r.FSTORE_SERVING_INSTANCE_PORTS.split(',')[0],
    doc: 'Port of one feature-server instance',
  },
  FSTORE_SERVING_LB_PORT: {
    kind: 'port',
    default: '8000',
    doc: 'nginx load balancer in front of the feature-server instances: the serving address',
  },
  FSTORE_SERVING_URL: {
    kind: 'string',
    default: (r) => `http://${r.FSTORE_HOST}:${r.FSTORE_SERVING_LB_PORT}`,
    doc: 'Base URL of the serving address (the load balancer) that clients and the Airflow DAGs call',
  },
  FSTORE_SERVING_MAX_BATCH: {
    kind: 'int',
    default: '1000',
    doc: 'Most entities one POST /v1/features/batch may ask for (more is 413)',
  },
  FSTORE_SERVING_STREAM_MAX_AGE_SECONDS: {
    kind: 'int',
    default: '3600',
    doc: 'A stream feature value older than this (by event time) is reported stale',
  },
  FSTORE_SERVING_BATCH_MAX_AGE_SECONDS: {
    kind: 'int',
    default: '172800',
    doc: 'A batch feature value older than this (by as-of time) is reported stale',
  },
  FSTORE_SERVING_LOG_SAMPLE_RATE: {
    kind: 'string',
    default: '0',
    doc: 'Share of served values (0 to 1) the feature server logs to the Kafka topic fstore.serving-log for `fstore consistency`; 0 = off (no producer is created)',
  },
  FSTORE_AUTH_SECRET: {
    kind: 'secret',
    doc: 'HMAC secret signing access tokens (local stack: generated into <stack>/secrets.env)',
  },
  FSTORE_AUTH_ACCESS_TTL_SECONDS: {
    kind: 'int',
    default: '3600',
    doc: 'Lifetime of an access token',
  },
  FSTORE_AUTH_REFRESH_TTL_SECONDS: {
    kind: 'int',
    default: '604800',
    doc: 'Lifetime of a refresh token',
  },
  FSTORE_AUTH_LOGIN_MAX_FAILURES: {
    kind: 'int',
    default: '10',
    doc: 'Failed logins one account may have within FSTORE_AUTH_LOGIN_WINDOW_SECONDS; then its logins answer 429 for FSTORE_AUTH_LOGIN_LOCKOUT_SECONDS (counted per process: each feature-server instance, and the control plane for the console e-mail sign-in)',
  },
  FSTORE_AUTH_LOGIN_IP_MAX_FAILURES: {
    kind: 'int',
    default: '50',
    doc: 'Failed logins one client address may have within FSTORE_AUTH_LOGIN_WINDOW_SECONDS (any accounts); then its logins answer 429 for FSTORE_AUTH_LOGIN_LOCKOUT_SECONDS',
  },
  FSTORE_AUTH_LOGIN_WINDOW_SECONDS: {
    kind: 'int',
    default: '900',
    doc: 'Window over which failed logins are counted (from the first failure)',
  },
  FSTORE_AUTH_LOGIN_LOCKOUT_SECONDS: {
    kind: 'int',
    default: '900',
    doc: 'How long an account or address that reached its failure limit is refused (429 with Retry-After), even with the right password',
  },
  FSTORE_AUTH_REVOCATION_CHECK_SECONDS: {
    kind: 'int',
    default: '5',
    doc: "How long a feature server trusts its last look at a login session before asking PostgreSQL again: a removed user's or logged-out session's tokens stop working within this",
  },
  FSTORE_SERVING_LB_AUTH_RATE: {
    kind: 'int',
    default: '5',
    doc: 'Load balancer (nginx limit_req, Ingress limit-rps): requests a second one client address may send to /api/auth/login and /api/auth/refresh (burst 4x; more is 429)',
  },
  FSTORE_HTTP_MAX_BODY_BYTES: {
    kind: 'int',
    default: '1048576',
    doc: 'Largest request body the REST APIs (feature server, control plane) read; more is 413',
  },
  FSTORE_HTTP_MAX_JSON_DEPTH: {
    kind: 'int',
    default: '32',
    doc: 'Deepest nesting of arrays and objects a JSON request body may have; deeper is 400, refused before parsing',
  },
  FSTORE_HTTP_TRUSTED_PROXIES: {
    kind: 'string',
    default: '127.0.0.1',
    doc: "Addresses or CIDRs of the proxies (nginx, the Ingress controller) whose X-Forwarded-For the REST APIs believe for the client's address (per-address login limits)",
  },
  FSTORE_BENCH_FEAST_PORT: {
    kind: 'port',
    default: '6566',
    doc: 'Feast feature server that the serving benchmark starts for comparison (npm run bench:serving)',
  },
  FSTORE_BENCH_FEAST_WORKERS: {
    kind: 'int',
    default: '2',
    doc: 'Worker processes of that Feast feature server (feast serve --workers)',
  },
  FSTORE_BENCH_CONNECTIONS: {
    kind: 'int',
    default: '64',
    doc: 'Concurrent connections of the serving benchmark (wrk -c, redis-benchmark -c)',
  },
  FSTORE_BENCH_DURATION_SECONDS: {
    kind: 'int',
    default: '15',
    doc: 'Measured duration of each serving benchmark run, after a warm-up',
  },

  FSTORE_PRODUCER_METRICS_PORT: {
    kind: 'port',
    default: '9465',
    doc: 'Producer service: Prometheus /metrics, /health and /health/ready',
  },
  FSTORE_PRODUCER_CONNECT_TIMEOUT: {
    kind: 'int',
    default: '30',
    doc: 'Producer: seconds to keep retrying when no Kafka broker answers, then exit non-zero',
  },
  FSTORE_PRODUCER_BATCH_SIZE: {
    kind: 'int',
    default: '10000',
    doc: 'Producer: records per produce request',
  },
  FSTORE_PRODUCER_LANES: {
    kind: 'int',
    default: '1',
    doc: 'Producer: idempotent producers sending side by side (partition p goes by lane p % lanes)',
  },
  FSTORE_PRODUCER_COMPRESSION: {
    kind: 'string',
    default: 'lz4',
    doc: 'Producer: record batch compression (`lz4`, `gzip` or `none`)',
  },
  FSTORE_PRODUCER_CHECKPOINT_DIR: {
    kind: 'string',
    default: (r) => `${r.FSTORE_STACK_DIR}/producer/checkpoints`,
    doc: 'Producer: where per-file resume checkpoints are kept',
  },
  FSTORE_PRODUCER_INPUT_DIR: {
    kind: 'string',
    default: '',
    doc: 'Producer service (apps/producer): folder to watch; empty = standard input',
  },
  FSTORE_CONTROL_PORT: {
    kind: 'port',
    default: '8090',
    doc: 'Control plane: admin REST API, /docs, /health, /metrics',
  },
  FSTORE_CONTROL_URL: {
    kind: 'string',
    default: (r) => `http://${r.FSTORE_HOST}:${r.FSTORE_CONTROL_PORT}`,
    doc: 'Base URL of the control plane the CLI (`fstore jobs …`) and the DAGs call',
  },
  FSTORE_CONTROL_PG_SCHEMA: {
    kind: 'string',
    default: 'control',
    doc: 'Control plane: PostgreSQL schema of its tables (migrated at boot)',
  },
  FSTORE_CONTROL_QUEUE: {
    kind: 'string',
    default: 'fstore-control',
    doc: 'Control plane: BullMQ queue (on the queue Redis) of asynchronous operations',
  },
  FSTORE_CONTROL_WORKER_CONCURRENCY: {
    kind: 'int',
    default: '2',
    doc: 'Control plane: operations one worker executes at once',
  },
  FSTORE_CONTROL_OPERATION_ATTEMPTS: {
    kind: 'int',
    default: '5',
    doc: 'Control plane: attempts of an operation failing transiently (Flink/Livy unreachable), with exponential backoff',
  },
  FSTORE_CONTROL_LOCK_SECONDS: {
    kind: 'int',
    default: '30',
    doc: 'Control plane: a worker that died holding an operation loses it after this long; another worker resumes it',
  },
  FSTORE_CONTROL_RECONCILE_SECONDS: {
    kind: 'int',
    default: '15',
    doc: 'Control plane: how often the reconciler compares desired with observed state (Flink, Livy)',
  },
  FSTORE_CONTROL_BATCH_JOB_DIR: {
    kind: 'string',
    default: 'spark-jobs',
    doc: 'Control plane: where the batch runtime (Livy) finds the spark-jobs/ files, a folder it whitelists (relative to the checkout, or absolute as Livy sees it)',
  },
  FSTORE_CONTROL_LANDING_DIR: {
    kind: 'string',
    default: (r) => `${r.FSTORE_STACK_DIR}/data/landing`,
    doc: 'Control plane: the only folder whose files a batch run may read (`--input` of load_raw_events.py; relative paths resolve inside it, `..` and symbolic links out of it are refused)',
  },
  FSTORE_API_KEY: {
    kind: 'secret',
    doc: 'API key the CLI and the Airflow DAGs send to the control plane (the local stack issues an operator key; `fstore apikeys create` prints others)',
  },

  FSTORE_CONSOLE_SECRET: {
    kind: 'secret',
    doc: "Control plane: HMAC secret signing the web console's session cookies (local stack: generated into <stack>/secrets.env)",
  },
  FSTORE_CONSOLE_SESSION_TTL_SECONDS: {
    kind: 'int',
    default: '3600',
    doc: 'Control plane: lifetime of a web console session (signing in again starts a new one)',
  },

  FSTORE_PROMETHEUS_PORT: {
    kind: 'port',
    default: '9090',
    doc: 'Monitoring: Prometheus (UI and HTTP API; basic auth, user `fstore`, password FSTORE_PROMETHEUS_PASSWORD)',
  },
  FSTORE_PROMETHEUS_PASSWORD: {
    kind: 'secret',
    doc: 'Monitoring: password of the `fstore` user of Prometheus (local stack: generated into <stack>/secrets.env)',
  },
  FSTORE_PROMETHEUS_RETENTION: {
    kind: 'string',
    default: '2d',
    doc: 'Monitoring: how long Prometheus keeps samples (and at most 1 GB of them)',
  },
  FSTORE_PUSHGATEWAY_PORT: {
    kind: 'port',
    default: '9091',
    doc: "Monitoring: Prometheus Pushgateway on the stack's host, where Flink's metrics reporter pushes (Flink's scrape reporter cannot bind to one address)",
  },
  FSTORE_POSTGRES_EXPORTER_PORT: {
    kind: 'port',
    default: '9187',
    doc: "Monitoring: Debian's prometheus-postgres-exporter on the stack's host, logged in as FSTORE_PG_MONITOR_USER",
  },
  FSTORE_NGINX_STATUS_PORT: {
    kind: 'port',
    default: '8079',
    doc: "Monitoring: nginx's `stub_status` (connections, requests), on 127.0.0.1 only, for the nginx exporter",
  },
  FSTORE_NGINX_EXPORTER_PORT: {
    kind: 'port',
    default: '9113',
    doc: "Monitoring: Debian's prometheus-nginx-exporter on the stack's host, reading FSTORE_NGINX_STATUS_PORT",
  },
  FSTORE_REDIS_EXPORTER_PORT: {
    kind: 'port',
    default: '9121',
    doc: "Monitoring: Debian's prometheus-redis-exporter on the stack's host, scraping each Redis Cluster node and the queue Redis as the Redis user `metrics`",
  },
  FSTORE_JAEGER_OTLP_PORT: {
    kind: 'port',
    default: '4318',
    doc: "Tracing: Jaeger's OTLP/HTTP receiver (spans in; the local stack's, and k8s/'s jaeger Service)",
  },
  FSTORE_JAEGER_QUERY_PORT: {
    kind: 'port',
    default: '16686',
    doc: "Tracing: Jaeger's UI and query API (`/api/traces`; basic auth, user `fstore`, password FSTORE_JAEGER_PASSWORD)",
  },
  FSTORE_JAEGER_QUERY_GRPC_PORT: {
    kind: 'port',
    default: '16685',
    doc: "Tracing: Jaeger's gRPC query API (same basic auth)",
  },
  FSTORE_JAEGER_PASSWORD: {
    kind: 'secret',
    doc: "Tracing: password of the `fstore` user of Jaeger's UI and query APIs (local stack: generated into <stack>/secrets.env; k8s: a key of fstore-secrets)",
  },
  FSTORE_JAEGER_MAX_TRACES: {
    kind: 'int',
    default: '10000',
    doc: 'Tracing: traces Jaeger keeps (in memory; the oldest go first)',
  },
  FSTORE_TRACING_OTLP_ENDPOINT: {
    kind: 'string',
    default: (r) => `http://${r.FSTORE_HOST}:${r.FSTORE_JAEGER_OTLP_PORT}/v1/traces`,
    doc: 'Tracing: where the TypeScript services send their spans (OTLP over HTTP, the traces path); empty: tracing off, no instrumentation loaded',
  },
  FSTORE_TRACING_SAMPLE_RATIO: {
    kind: 'string',
    default: '0.1',
    doc: 'Tracing: share of new traces recorded (0 to 1), decided where a trace starts; a request whose `traceparent` header is sampled is always recorded (parent-based)',
  },
  FSTORE_TRACING_SERVING_SAMPLE_RATIO: {
    kind: 'string',
    default: '0.001',
    doc: "Tracing: the feature server's share of traced reads (0 to 1), decided when a request arrives; lower than the other services' because its reads have a 5 % budget for tracing (docs/monitoring.md, Tracing). A sampled `traceparent` is always followed",
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
