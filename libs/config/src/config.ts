import { existsSync, readFileSync } from 'fs';
import { homedir } from 'os';
import { isAbsolute, join, resolve } from 'path';
import {
  REDIS_PASSWORD_SETTINGS,
  REDIS_QUEUE_PASSWORD_SETTINGS,
  RedisClusterUser,
  RedisQueueUser,
} from './redis-acl';
import {
  KAFKA_BROKER_PASSWORD_SETTING,
  KAFKA_PASSWORD_SETTINGS,
  KafkaGrants,
  KafkaSasl,
  KafkaUser,
} from './kafka-acl';
import { SETTINGS, SettingName, SettingSpec } from './settings';

/** The checkout's root: every relative path in the configuration is relative to it. */
export const PROJECT_ROOT = resolve(__dirname, '../../..');

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** The one user of the stack's Prometheus (HTTP basic auth). */
export const PROMETHEUS_USER = 'fstore';

/** The one user of the stack's Jaeger query APIs (HTTP basic auth). */
export const JAEGER_USER = 'fstore';

/** The services' log levels, lowest first (FSTORE_LOG_LEVEL). */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface FstoreConfig {
  host: string;
  /** The lowest level the services log. */
  logLevel: LogLevel;
  stackDir: string;
  cacheDir: string;
  /** Secrets only the local stack's own servers use (no app reads them). */
  localStack: {
    /** Password of the local Flink's REST keystore and truststore. */
    flinkTlsStorePassword?: string;
  };
  /** The local stack's supervisor: check interval and longest restart backoff. */
  supervisor: { intervalSeconds: number; maxBackoffSeconds: number };
  /** The project's role, owner of the database (migrations, `fstore users`, the stack). */
  postgres: { host: string; port: number; database: string; user: string; password?: string };
  /** The services' own roles (see postgresLogin). */
  postgresRoles: Record<PostgresServiceRole, { user: string; password?: string }>;
  redis: {
    host: string;
    clusterPorts: number[];
    queueHost: string;
    queuePort: number;
    /** Each cluster user's password (FSTORE_REDIS_*_PASSWORD); see redis-acl.ts for its rights. */
    passwords: Record<RedisClusterUser, string | undefined>;
    /** Each queue user's password: the admin's is the cluster's, the control plane's its own. */
    queuePasswords: Record<RedisQueueUser, string | undefined>;
    commandTimeoutMs: number;
  };
  kafka: {
    port: number;
    controllerPort: number;
    brokers: string[];
    partitions: number;
    /** Partitions of each feature changelog topic (the rest have `partitions`). */
    changelogPartitions: number;
    heap: string;
    /** The broker's Prometheus metrics: the JMX exporter's Java agent (local stack). */
    metricsPort: number;
    /** Each SCRAM user's password (FSTORE_KAFKA_*_PASSWORD); see kafka-acl.ts for its rights. */
    passwords: Record<KafkaUser, string | undefined>;
    /** The broker's own PLAIN login (local stack). */
    brokerPassword?: string;
  };
  writer: {
    metricsPort: number;
    groupId: string;
    retrySeconds: number;
    /** Put before every changelog topic name the writer reads ('' in production). */
    topicNamespace: string;
    /** Where records that can never be applied go; undefined: the contracts' dead-letter topic. */
    deadLetterTopic: string | undefined;
    /** Replicas each master's WAIT asks for before offsets are committed (0: no WAIT). */
    replicaWait: { replicas: number; timeoutMs: number };
  };
  flink: {
    restPort: number;
    gatewayPort: number;
    rpcPort: number;
    blobPort: number;
    restUrl: string;
    gatewayUrl: string;
    /**
     * PEM files of the mutual TLS of an https REST API and SQL Gateway: the certificate the server
     * must present (ca), and the client's own certificate and key.
     */
    tls: { caFile: string; certFile: string; keyFile: string };
    taskSlots: number;
    /** TaskManager processes of the local stack (`taskmanager`, `taskmanager-2`, …). */
    taskManagers: number;
    /** parallelism.default of the cluster. */
    parallelism: number;
    jobManagerMemory: string;
    taskManagerMemory: string;
    gatewayHeap: string;
    checkpointInterval: string;
    stateBackend: 'rocksdb' | 'hashmap';
    incrementalCheckpoints: boolean;
    managedMemoryFraction: number;
    jvmOpts: string;
    javaHome: string;
    requestTimeoutMs: number;
    /** What a job's topic and group parameters may name: the `flink` user's Kafka ACLs. */
    kafkaGrants: KafkaGrants;
    /** The event-id dedupe state's time-to-live (FSTORE_DEDUPE_HORIZON), in milliseconds. */
    dedupeHorizonMs: number;
    /** Where compiled plans are written and read, by the control plane and the SQL Gateway. */
    planDir: string;
    /** Where Flink retains checkpoints (`<dir>/<flink job id>/chk-<n>`), a local path. */
    checkpointDir: string;
  };
  spark: {
    master: string;
    driverMemory: string;
    javaHome: string;
    metastore: { database: string; user: string; password?: string };
  };
  airflow: {
    port: number;
    url: string;
    db: { database: string; user: string; password?: string };
    admin: { user: string; password?: string };
    jwtSecret?: string;
    fernetKey?: string;
    parallelism: number;
    unpausedDags: string[];
  };
  livy: {
    port: number;
    url: string;
    heap: string;
    stateRetain: string;
    requestTimeoutMs: number;
    /** The bearer token Livy wants on every request (FSTORE_LIVY_TOKEN). */
    token?: string;
  };
  serving: {
    instancePorts: number[];
    port: number;
    lbPort: number;
    url: string;
    maxBatch: number;
    streamMaxAgeSeconds: number;
    batchMaxAgeSeconds: number;
    /** Share of served values logged to the serving-log topic (0 = off). */
    logSampleRate: number;
  };
  auth: {
    secret?: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    loginMaxFailures: number;
    loginIpMaxFailures: number;
    loginWindowSeconds: number;
    loginLockoutSeconds: number;
    revocationCheckSeconds: number;
    lbAuthRate: number;
  };
  http: { maxBodyBytes: number; maxJsonDepth: number; trustedProxies: string[] };
  bench: { feastPort: number; feastWorkers: number; connections: number; durationSeconds: number };
  producer: {
    metricsPort: number;
    connectTimeoutSeconds: number;
    batchSize: number;
    lanes: number;
    compression: string;
    checkpointDir: string;
    inputDir: string;
  };
  control: {
    port: number;
    url: string;
    pgSchema: string;
    queue: string;
    workerConcurrency: number;
    operationAttempts: number;
    lockSeconds: number;
    reconcileSeconds: number;
    batchJobDir: string;
    landingDir: string;
    apiKey?: string;
    /** The web console's session cookies (signed with consoleSecret). */
    consoleSecret?: string;
    consoleSessionTtlSeconds: number;
  };
  /** OpenTelemetry traces of the TypeScript services (libs/observability's startTracing). */
  tracing: {
    /** OTLP/HTTP traces URL; undefined: tracing off. */
    endpoint: string | undefined;
    /** Share of new traces recorded (a sampled parent is always followed). */
    sampleRatio: number;
    /** The feature server's share of traced reads (its own, lower default). */
    servingSampleRatio: number;
  };
  /** The local stack's trace store: its OTLP/HTTP receiver, UI and query APIs. */
  jaeger: {
    otlpPort: number;
    queryPort: number;
    queryGrpcPort: number;
    url: string;
    /** The `fstore` user of the query APIs (HTTP basic auth). */
    user: string;
    password?: string;
    maxTraces: number;
  };
  monitoring: {
    port: number;
    url: string;
    /** The one user of the stack's Prometheus (HTTP basic auth; its password is `password`). */
    user: string;
    password?: string;
    retention: string;
    pushgatewayPort: number;
    /** The Redis exporter (the Redis user `metrics`). */
    redisExporterPort: number;
    /** The PostgreSQL exporter (the role `postgresRoles.monitor`). */
    postgresExporterPort: number;
    /** nginx's stub_status listener (127.0.0.1 only) and the exporter that reads it. */
    nginxStatusPort: number;
    nginxExporterPort: number;
  };
}

/**
 * The PostgreSQL roles of the services (issue 20, finding 8): `serving` (the feature server:
 * auth_users read-only, auth_sessions), `control` (the control plane at run time: its schema's
 * tables, audit_log append-only). The project's role (`config.postgres`) owns everything.
 */
export type PostgresServiceRole = 'serving' | 'control' | 'monitor';

export interface PostgresLogin {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
}

/** Where and as whom a service connects (pg's Client/Pool options). */
export function postgresLogin(config: FstoreConfig, role: PostgresServiceRole): PostgresLogin {
  const { host, port, database } = config.postgres;
  return { host, port, database, ...config.postgresRoles[role] };
}

export interface RedisCredentials {
  username: string;
  password?: string;
}

/** The login of one cluster user (ioredis's `username`/`password` options). */
export function redisCredentials(config: FstoreConfig, user: RedisClusterUser): RedisCredentials {
  return { username: user, password: config.redis.passwords[user] };
}

/** The login of one queue Redis user. */
export function redisQueueCredentials(
  config: FstoreConfig,
  user: RedisQueueUser,
): RedisCredentials {
  return { username: user, password: config.redis.queuePasswords[user] };
}

/** Where and as whom a kafkajs client connects: `new Kafka({ ...kafkaClientConfig(config, user), … })`. */
export interface KafkaClientConfig {
  brokers: string[];
  /** Absent when the user has no password (a broker without authentication). */
  sasl?: KafkaSasl;
}

/**
 * The login of one Kafka user (libs/config/src/kafka-acl.ts says what each may do): the brokers
 * and kafkajs's `sasl` options. Every TypeScript client connects through this.
 */
export function kafkaClientConfig(config: FstoreConfig, user: KafkaUser): KafkaClientConfig {
  const password = config.kafka.passwords[user];
  return {
    brokers: config.kafka.brokers,
    ...(password ? { sasl: { mechanism: 'scram-sha-512', username: user, password } } : {}),
  };
}

/** Parses `KEY=value` lines (the stack's generated secrets file). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

export function secretsFile(stackDir: string): string {
  return join(stackDir, 'secrets.env');
}

function expandPath(p: string): string {
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : join(PROJECT_ROOT, p);
}

function checkValue(name: string, spec: SettingSpec, value: string): void {
  const isInt = (v: string) => /^\d+$/.test(v);
  const isPort = (v: string) => isInt(v) && Number(v) > 0 && Number(v) < 65536;
  if (spec.kind === 'port' && !isPort(value)) {
    throw new ConfigError(name, `expected a TCP port (1-65535), got "${value}"`);
  }
  if (spec.kind === 'ports' && !value.split(',').every((v) => isPort(v.trim()))) {
    throw new ConfigError(name, `expected a comma-separated list of TCP ports, got "${value}"`);
  }
  if (spec.kind === 'int' && !isInt(value)) {
    throw new ConfigError(name, `expected a non-negative integer, got "${value}"`);
  }
}

/**
 * Resolves every setting once: the environment first, then the stack's generated secrets file
 * (secrets only), then the default. A malformed value stops here with the variable's name.
 */
export function resolveSettings(env: NodeJS.ProcessEnv = process.env): Record<SettingName, string> {
  const resolved: Record<string, string> = {};
  let fileSecrets: Record<string, string> | undefined;
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    let value = env[name];
    if (value === undefined && spec.kind === 'secret') {
      if (!fileSecrets) {
        const file = secretsFile(expandPath(resolved.FSTORE_STACK_DIR));
        fileSecrets = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
      }
      value = fileSecrets[name];
    }
    if (value === undefined && spec.default !== undefined) {
      value = typeof spec.default === 'function' ? spec.default(resolved) : spec.default;
    }
    if (value === undefined) continue;
    checkValue(name, spec, value);
    resolved[name] = value;
  }
  return resolved as Record<SettingName, string>;
}

/** One of a fixed set of words. */
function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** A whole number ≥ 1 (the setting is already a non-negative integer: kind 'int'). */
function atLeastOne(name: string, value: string): number {
  const n = Number(value);
  if (!(n >= 1)) throw new ConfigError(name, `expected a whole number ≥ 1, got "${value}"`);
  return n;
}

/** A number strictly between 0 and 1. */
function fraction(name: string, value: string): number {
  const n = Number(value);
  if (!/^0?\.\d+$/.test(value.trim()) || !(n > 0 && n < 1)) {
    throw new ConfigError(name, `expected a fraction between 0 and 1 (e.g. 0.4), got "${value}"`);
  }
  return n;
}

/** A share from 0 to 1, both included (a sampling rate). */
function sampleRate(name: string, value: string): number {
  const n = Number(value);
  if (!/^(0|1|0?\.\d+|1\.0*|0\.0*)$/.test(value.trim()) || !(n >= 0 && n <= 1)) {
    throw new ConfigError(name, `expected a number from 0 to 1 (e.g. 0.01), got "${value}"`);
  }
  return n;
}

/** An http(s) URL, or '' (undefined: tracing off). */
function tracingEndpoint(value: string): string | undefined {
  const url = value.trim();
  if (url === '') return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) {
    throw new ConfigError(
      'FSTORE_TRACING_OTLP_ENDPOINT',
      `expected an http(s) URL (e.g. http://127.0.0.1:4318/v1/traces) or empty (tracing off), got "${value}"`,
    );
  }
  return url;
}

const HORIZON_UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_HORIZON_MS = 365 * 86_400_000;

/**
 * A redelivery horizon, `<n>s|m|h|d` (the feature definitions' durations), in milliseconds: at
 * least a second (Flink's state TTL counts whole milliseconds, and less would forget an id before
 * a retry could come) and at most a year (beyond, the state is as good as unbounded).
 */
function horizon(name: string, value: string): number {
  const m = /^([1-9]\d{0,9})([smhd])$/.exec(value.trim());
  const ms = m ? Number(m[1]) * HORIZON_UNIT_MS[m[2]] : NaN;
  if (!(ms >= 1000 && ms <= MAX_HORIZON_MS)) {
    throw new ConfigError(
      name,
      `expected a duration from 1s to 365d such as 90s, 12h or 7d, got "${value}"`,
    );
  }
  return ms;
}

/** A PostgreSQL identifier the code may quote into DDL (schema names). */
function checkIdentifier(name: string, value: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
    throw new ConfigError(name, `expected a lower-case SQL identifier, got "${value}"`);
  }
  return value;
}

/**
 * A comma-separated list of Kafka grants (`name` or `name*`, kafka-acl.ts kafkaGrants): names of
 * A-Z a-z 0-9 . _ -, a prefix ending in `*`.
 */
function kafkaGrantList(name: string, value: string): string[] {
  const grants = value
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  const bad = grants.find((g) => !/^[A-Za-z0-9._-]+\*?$/.test(g));
  if (bad !== undefined) {
    throw new ConfigError(
      name,
      `expected topic or group names, a prefix ending in * (e.g. features.*), got "${bad}"`,
    );
  }
  return grants;
}

/**
 * The feature writer's WAIT. It holds its connection until it ends, and the writes queued behind
 * it (other partitions' batches) must still meet the Redis command deadline: at most half of it.
 * Longer, the client would give up on writes (or on the WAIT itself) that Redis still holds, and
 * a replica down would stop the writer instead of costing each batch the timeout.
 */
function writerReplicaWait(s: Record<SettingName, string>): {
  replicas: number;
  timeoutMs: number;
} {
  const replicas = Number(s.FSTORE_WRITER_WAIT_REPLICAS);
  const timeoutMs = Number(s.FSTORE_WRITER_WAIT_TIMEOUT_MS);
  const deadline = Number(s.FSTORE_REDIS_COMMAND_TIMEOUT_MS);
  if (replicas > 0 && (timeoutMs < 1 || 2 * timeoutMs > deadline)) {
    throw new ConfigError(
      'FSTORE_WRITER_WAIT_TIMEOUT_MS',
      `expected 1 to half of FSTORE_REDIS_COMMAND_TIMEOUT_MS (${Math.floor(deadline / 2)}), got "${timeoutMs}"`,
    );
  }
  return { replicas, timeoutMs };
}

/** Each key's value of the setting it names (undefined: not set). */
function settingsOf<K extends string>(
  s: Record<SettingName, string>,
  names: Record<K, SettingName>,
): Record<K, string | undefined> {
  const out = {} as Record<K, string | undefined>;
  for (const key of Object.keys(names) as K[]) out[key] = s[names[key]];
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): FstoreConfig {
  const s = resolveSettings(env);
  const ports = (v: string) => v.split(',').map((p) => Number(p.trim()));
  return {
    host: s.FSTORE_HOST,
    logLevel: oneOf('FSTORE_LOG_LEVEL', s.FSTORE_LOG_LEVEL, LOG_LEVELS),
    stackDir: expandPath(s.FSTORE_STACK_DIR),
    cacheDir: expandPath(s.FSTORE_CACHE_DIR),
    localStack: { flinkTlsStorePassword: s.FSTORE_FLINK_TLS_STORE_PASSWORD },
    supervisor: {
      intervalSeconds: Math.max(1, Number(s.FSTORE_SUPERVISOR_INTERVAL_SECONDS)),
      maxBackoffSeconds: Number(s.FSTORE_SUPERVISOR_MAX_BACKOFF_SECONDS),
    },
    postgres: {
      host: s.FSTORE_PG_HOST,
      port: Number(s.FSTORE_PG_PORT),
      database: s.FSTORE_PG_DATABASE,
      user: s.FSTORE_PG_USER,
      password: s.FSTORE_PG_PASSWORD,
    },
    postgresRoles: {
      serving: {
        user: checkIdentifier('FSTORE_PG_SERVING_USER', s.FSTORE_PG_SERVING_USER),
        password: s.FSTORE_PG_SERVING_PASSWORD,
      },
      control: {
        user: checkIdentifier('FSTORE_PG_CONTROL_USER', s.FSTORE_PG_CONTROL_USER),
        password: s.FSTORE_PG_CONTROL_PASSWORD,
      },
      monitor: {
        user: checkIdentifier('FSTORE_PG_MONITOR_USER', s.FSTORE_PG_MONITOR_USER),
        password: s.FSTORE_PG_MONITOR_PASSWORD,
      },
    },
    redis: {
      host: s.FSTORE_REDIS_HOST,
      clusterPorts: ports(s.FSTORE_REDIS_CLUSTER_PORTS),
      queueHost: s.FSTORE_REDIS_QUEUE_HOST,
      queuePort: Number(s.FSTORE_REDIS_QUEUE_PORT),
      passwords: settingsOf(s, REDIS_PASSWORD_SETTINGS),
      queuePasswords: settingsOf(s, REDIS_QUEUE_PASSWORD_SETTINGS),
      commandTimeoutMs: Number(s.FSTORE_REDIS_COMMAND_TIMEOUT_MS),
    },
    kafka: {
      port: Number(s.FSTORE_KAFKA_PORT),
      controllerPort: Number(s.FSTORE_KAFKA_CONTROLLER_PORT),
      brokers: s.FSTORE_KAFKA_BROKERS.split(',').map((b) => b.trim()),
      partitions: Number(s.FSTORE_KAFKA_PARTITIONS),
      changelogPartitions: atLeastOne(
        'FSTORE_KAFKA_CHANGELOG_PARTITIONS',
        s.FSTORE_KAFKA_CHANGELOG_PARTITIONS,
      ),
      heap: s.FSTORE_KAFKA_HEAP,
      metricsPort: Number(s.FSTORE_KAFKA_METRICS_PORT),
      passwords: settingsOf(s, KAFKA_PASSWORD_SETTINGS),
      brokerPassword: s[KAFKA_BROKER_PASSWORD_SETTING],
    },
    writer: {
      metricsPort: Number(s.FSTORE_WRITER_METRICS_PORT),
      groupId: s.FSTORE_WRITER_GROUP,
      retrySeconds: Number(s.FSTORE_WRITER_RETRY_SECONDS),
      topicNamespace: s.FSTORE_WRITER_TOPIC_NAMESPACE,
      deadLetterTopic: s.FSTORE_WRITER_DEAD_LETTER_TOPIC || undefined,
      replicaWait: writerReplicaWait(s),
    },
    flink: {
      restPort: Number(s.FSTORE_FLINK_REST_PORT),
      gatewayPort: Number(s.FSTORE_FLINK_GATEWAY_PORT),
      rpcPort: Number(s.FSTORE_FLINK_RPC_PORT),
      blobPort: Number(s.FSTORE_FLINK_BLOB_PORT),
      restUrl: s.FSTORE_FLINK_REST_URL.replace(/\/+$/, ''),
      gatewayUrl: s.FSTORE_FLINK_GATEWAY_URL.replace(/\/+$/, ''),
      tls: {
        caFile: expandPath(s.FSTORE_FLINK_TLS_CA),
        certFile: expandPath(s.FSTORE_FLINK_TLS_CERT),
        keyFile: expandPath(s.FSTORE_FLINK_TLS_KEY),
      },
      taskSlots: atLeastOne('FSTORE_FLINK_TASK_SLOTS', s.FSTORE_FLINK_TASK_SLOTS),
      taskManagers: atLeastOne('FSTORE_FLINK_TASKMANAGERS', s.FSTORE_FLINK_TASKMANAGERS),
      parallelism: atLeastOne('FSTORE_FLINK_PARALLELISM', s.FSTORE_FLINK_PARALLELISM),
      jobManagerMemory: s.FSTORE_FLINK_JOBMANAGER_MEMORY,
      taskManagerMemory: s.FSTORE_FLINK_TASKMANAGER_MEMORY,
      gatewayHeap: s.FSTORE_FLINK_GATEWAY_HEAP,
      checkpointInterval: s.FSTORE_FLINK_CHECKPOINT_INTERVAL,
      stateBackend: oneOf('FSTORE_FLINK_STATE_BACKEND', s.FSTORE_FLINK_STATE_BACKEND, [
        'rocksdb',
        'hashmap',
      ] as const),
      incrementalCheckpoints:
        oneOf('FSTORE_FLINK_INCREMENTAL_CHECKPOINTS', s.FSTORE_FLINK_INCREMENTAL_CHECKPOINTS, [
          'true',
          'false',
        ] as const) === 'true',
      managedMemoryFraction: fraction(
        'FSTORE_FLINK_MANAGED_MEMORY_FRACTION',
        s.FSTORE_FLINK_MANAGED_MEMORY_FRACTION,
      ),
      jvmOpts: s.FSTORE_FLINK_JVM_OPTS.trim(),
      javaHome: s.FSTORE_FLINK_JAVA_HOME,
      requestTimeoutMs: Number(s.FSTORE_FLINK_REQUEST_TIMEOUT_MS),
      kafkaGrants: {
        topics: kafkaGrantList('FSTORE_FLINK_KAFKA_TOPICS', s.FSTORE_FLINK_KAFKA_TOPICS),
        groups: kafkaGrantList('FSTORE_FLINK_KAFKA_GROUPS', s.FSTORE_FLINK_KAFKA_GROUPS),
      },
      dedupeHorizonMs: horizon('FSTORE_DEDUPE_HORIZON', s.FSTORE_DEDUPE_HORIZON),
      planDir: expandPath(s.FSTORE_FLINK_PLAN_DIR),
      checkpointDir: expandPath(s.FSTORE_FLINK_CHECKPOINT_DIR),
    },
    spark: {
      master: s.FSTORE_SPARK_MASTER,
      driverMemory: s.FSTORE_SPARK_DRIVER_MEMORY,
      javaHome: s.FSTORE_SPARK_JAVA_HOME,
      metastore: {
        database: s.FSTORE_HIVE_METASTORE_DATABASE,
        user: s.FSTORE_HIVE_METASTORE_USER,
        password: s.FSTORE_HIVE_METASTORE_PASSWORD,
      },
    },
    airflow: {
      port: Number(s.FSTORE_AIRFLOW_PORT),
      url: s.FSTORE_AIRFLOW_URL.replace(/\/+$/, ''),
      db: {
        database: s.FSTORE_AIRFLOW_DB_DATABASE,
        user: s.FSTORE_AIRFLOW_DB_USER,
        password: s.FSTORE_AIRFLOW_DB_PASSWORD,
      },
      admin: { user: s.FSTORE_AIRFLOW_ADMIN_USER, password: s.FSTORE_AIRFLOW_ADMIN_PASSWORD },
      jwtSecret: s.FSTORE_AIRFLOW_JWT_SECRET,
      fernetKey: s.FSTORE_AIRFLOW_FERNET_KEY,
      parallelism: Math.max(1, Number(s.FSTORE_AIRFLOW_PARALLELISM)),
      unpausedDags: s.FSTORE_AIRFLOW_UNPAUSED_DAGS.split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    },
    livy: {
      port: Number(s.FSTORE_LIVY_PORT),
      url: s.FSTORE_LIVY_URL.replace(/\/+$/, ''),
      heap: s.FSTORE_LIVY_HEAP,
      stateRetain: s.FSTORE_LIVY_STATE_RETAIN,
      requestTimeoutMs: Number(s.FSTORE_LIVY_REQUEST_TIMEOUT_MS),
      token: s.FSTORE_LIVY_TOKEN,
    },
    serving: {
      instancePorts: ports(s.FSTORE_SERVING_INSTANCE_PORTS),
      port: Number(s.FSTORE_SERVING_PORT),
      lbPort: Number(s.FSTORE_SERVING_LB_PORT),
      url: s.FSTORE_SERVING_URL.replace(/\/+$/, ''),
      maxBatch: Number(s.FSTORE_SERVING_MAX_BATCH),
      streamMaxAgeSeconds: Number(s.FSTORE_SERVING_STREAM_MAX_AGE_SECONDS),
      batchMaxAgeSeconds: Number(s.FSTORE_SERVING_BATCH_MAX_AGE_SECONDS),
      logSampleRate: sampleRate('FSTORE_SERVING_LOG_SAMPLE_RATE', s.FSTORE_SERVING_LOG_SAMPLE_RATE),
    },
    auth: {
      secret: s.FSTORE_AUTH_SECRET,
      accessTtlSeconds: Number(s.FSTORE_AUTH_ACCESS_TTL_SECONDS),
      refreshTtlSeconds: Number(s.FSTORE_AUTH_REFRESH_TTL_SECONDS),
      loginMaxFailures: Math.max(1, Number(s.FSTORE_AUTH_LOGIN_MAX_FAILURES)),
      loginIpMaxFailures: Math.max(1, Number(s.FSTORE_AUTH_LOGIN_IP_MAX_FAILURES)),
      loginWindowSeconds: Math.max(1, Number(s.FSTORE_AUTH_LOGIN_WINDOW_SECONDS)),
      loginLockoutSeconds: Math.max(1, Number(s.FSTORE_AUTH_LOGIN_LOCKOUT_SECONDS)),
      revocationCheckSeconds: Number(s.FSTORE_AUTH_REVOCATION_CHECK_SECONDS),
      lbAuthRate: Math.max(1, Number(s.FSTORE_SERVING_LB_AUTH_RATE)),
    },
    http: {
      maxBodyBytes: Math.max(1, Number(s.FSTORE_HTTP_MAX_BODY_BYTES)),
      maxJsonDepth: Math.max(1, Number(s.FSTORE_HTTP_MAX_JSON_DEPTH)),
      trustedProxies: s.FSTORE_HTTP_TRUSTED_PROXIES.split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    },
    bench: {
      feastPort: Number(s.FSTORE_BENCH_FEAST_PORT),
      feastWorkers: Number(s.FSTORE_BENCH_FEAST_WORKERS),
      connections: Number(s.FSTORE_BENCH_CONNECTIONS),
      durationSeconds: Number(s.FSTORE_BENCH_DURATION_SECONDS),
    },
    producer: {
      metricsPort: Number(s.FSTORE_PRODUCER_METRICS_PORT),
      connectTimeoutSeconds: Number(s.FSTORE_PRODUCER_CONNECT_TIMEOUT),
      batchSize: Number(s.FSTORE_PRODUCER_BATCH_SIZE),
      lanes: Math.max(1, Number(s.FSTORE_PRODUCER_LANES)),
      compression: s.FSTORE_PRODUCER_COMPRESSION,
      checkpointDir: expandPath(s.FSTORE_PRODUCER_CHECKPOINT_DIR),
      inputDir: s.FSTORE_PRODUCER_INPUT_DIR,
    },
    control: {
      port: Number(s.FSTORE_CONTROL_PORT),
      url: s.FSTORE_CONTROL_URL.replace(/\/+$/, ''),
      pgSchema: checkIdentifier('FSTORE_CONTROL_PG_SCHEMA', s.FSTORE_CONTROL_PG_SCHEMA),
      queue: s.FSTORE_CONTROL_QUEUE,
      workerConcurrency: Math.max(1, Number(s.FSTORE_CONTROL_WORKER_CONCURRENCY)),
      operationAttempts: Math.max(1, Number(s.FSTORE_CONTROL_OPERATION_ATTEMPTS)),
      lockSeconds: Math.max(1, Number(s.FSTORE_CONTROL_LOCK_SECONDS)),
      reconcileSeconds: Math.max(1, Number(s.FSTORE_CONTROL_RECONCILE_SECONDS)),
      batchJobDir: expandPath(s.FSTORE_CONTROL_BATCH_JOB_DIR),
      landingDir: expandPath(s.FSTORE_CONTROL_LANDING_DIR),
      apiKey: s.FSTORE_API_KEY,
      consoleSecret: s.FSTORE_CONSOLE_SECRET,
      consoleSessionTtlSeconds: Math.max(1, Number(s.FSTORE_CONSOLE_SESSION_TTL_SECONDS)),
    },
    tracing: {
      endpoint: tracingEndpoint(s.FSTORE_TRACING_OTLP_ENDPOINT),
      sampleRatio: sampleRate('FSTORE_TRACING_SAMPLE_RATIO', s.FSTORE_TRACING_SAMPLE_RATIO),
      servingSampleRatio: sampleRate(
        'FSTORE_TRACING_SERVING_SAMPLE_RATIO',
        s.FSTORE_TRACING_SERVING_SAMPLE_RATIO,
      ),
    },
    jaeger: {
      otlpPort: Number(s.FSTORE_JAEGER_OTLP_PORT),
      queryPort: Number(s.FSTORE_JAEGER_QUERY_PORT),
      queryGrpcPort: Number(s.FSTORE_JAEGER_QUERY_GRPC_PORT),
      url: `http://${s.FSTORE_HOST}:${s.FSTORE_JAEGER_QUERY_PORT}`,
      user: JAEGER_USER,
      password: s.FSTORE_JAEGER_PASSWORD,
      maxTraces: Math.max(1, Number(s.FSTORE_JAEGER_MAX_TRACES)),
    },
    monitoring: {
      port: Number(s.FSTORE_PROMETHEUS_PORT),
      url: `http://${s.FSTORE_HOST}:${s.FSTORE_PROMETHEUS_PORT}`,
      user: PROMETHEUS_USER,
      password: s.FSTORE_PROMETHEUS_PASSWORD,
      retention: s.FSTORE_PROMETHEUS_RETENTION,
      pushgatewayPort: Number(s.FSTORE_PUSHGATEWAY_PORT),
      redisExporterPort: Number(s.FSTORE_REDIS_EXPORTER_PORT),
      postgresExporterPort: Number(s.FSTORE_POSTGRES_EXPORTER_PORT),
      nginxStatusPort: Number(s.FSTORE_NGINX_STATUS_PORT),
      nginxExporterPort: Number(s.FSTORE_NGINX_EXPORTER_PORT),
    },
  };
}

/** Where the configuration reference lives (its table is generated: `fstore config --update-docs`). */
export const CONFIGURATION_DOC = 'docs/configuration.md';

/** The configuration table of CONFIGURATION_DOC, generated so that it cannot drift from SETTINGS. */
export function settingsMarkdownTable(): string {
  const rows = (Object.entries(SETTINGS) as [SettingName, SettingSpec][]).map(([name, spec]) => {
    let def: string;
    if (spec.kind === 'secret') def = '(generated locally)';
    else if (typeof spec.default === 'function') def = 'derived: `' + describeDerived(name) + '`';
    else def = '`' + spec.default + '`';
    return `| \`${name}\` | ${def} | ${spec.doc} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

function describeDerived(name: SettingName): string {
  const spec = SETTINGS[name] as SettingSpec;
  if (typeof spec.default !== 'function') return '';
  // Render the derivation with variable names in place of values.
  const names = Object.keys(SETTINGS);
  return spec.default(Object.fromEntries(names.map((n) => [n, '$' + n])));
}
