/**
 * Every environment variable the project reads, with its default and meaning: the one source of
 * truth for ports, addresses and tunables. The local stack, the apps, the tests and the README's
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
  FSTORE_CACHE_DIR: {
    kind: 'string',
    default: '~/.cache/fstore',
    doc: 'Downloaded artifacts (Kafka jars, …), shared by every clone',
  },

  FSTORE_PG_HOST: { kind: 'string', default: (r) => r.FSTORE_HOST, doc: 'PostgreSQL host' },
  FSTORE_PG_PORT: { kind: 'port', default: '5432', doc: 'PostgreSQL port' },
  FSTORE_PG_DATABASE: { kind: 'string', default: 'fstore', doc: "The project's database" },
  FSTORE_PG_USER: { kind: 'string', default: 'fstore', doc: "The project's role" },
  FSTORE_PG_PASSWORD: {
    kind: 'secret',
    doc: "Password of the project's role (local stack: generated into <stack>/secrets.env)",
  },

  FSTORE_REDIS_CLUSTER_PORTS: {
    kind: 'ports',
    default: '7001,7002,7003,7004,7005,7006',
    doc: 'Redis Cluster nodes (3 masters + 3 replicas locally); clients use them as seeds',
  },
  FSTORE_REDIS_QUEUE_PORT: {
    kind: 'port',
    default: '6390',
    doc: 'Plain Redis instance for job queues',
  },
  FSTORE_REDIS_PASSWORD: {
    kind: 'secret',
    doc: 'Password of every Redis node (local stack: generated into <stack>/secrets.env)',
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
    doc: 'Partitions of each topic the stack creates',
  },
  FSTORE_KAFKA_HEAP: { kind: 'string', default: '768m', doc: 'Kafka broker JVM heap (-Xmx)' },

  FSTORE_PRODUCER_METRICS_PORT: {
    kind: 'port',
    default: '9464',
    doc: 'Producer service: Prometheus /metrics and /healthz',
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
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;
