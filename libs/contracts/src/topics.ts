import { KAFKA_SCRATCH, type FstoreConfig, type KafkaAclTopics } from '@fstore/config';
import { STREAM_FEATURES } from './features';

/** Kafka topic names fixed by docs/design.md §4. */
export const TOPICS = {
  transactions: 'ecommerce.transactions',
  deadLetter: 'ecommerce.transactions.dlq',
  /** A sample of what the feature server served (FSTORE_SERVING_LOG_SAMPLE_RATE; docs/consistency.md). */
  servingLog: 'fstore.serving-log',
} as const;

/** How long the serving log keeps its records: a week, the span a consistency run may look back. */
export const SERVING_LOG_RETENTION_MS = 7 * 24 * 3_600_000;

/** Prefix of the Flink jobs' consumer groups: `fstore-job-<job>[-<version hash>]`. */
export const FLINK_GROUP_PREFIX = 'fstore-job-';

/** Prefix of the feature changelog topics written by the Flink jobs. */
export const FEATURE_TOPIC_PREFIX = 'features.';

/** The changelog topic of a stream feature: `features.<name>`. */
export const featureTopic = (featureName: string) => `${FEATURE_TOPIC_PREFIX}${featureName}`;

export interface TopicSpec {
  name: string;
  /** Topic-level Kafka configuration. */
  config: Readonly<Record<string, string>>;
  /** A feature changelog: FSTORE_KAFKA_CHANGELOG_PARTITIONS partitions instead of …_PARTITIONS. */
  changelog?: true;
}

/** The partitions a topic is created with. */
export function partitionsOf(
  topic: TopicSpec,
  kafka: Pick<FstoreConfig['kafka'], 'partitions' | 'changelogPartitions'>,
): number {
  return topic.changelog ? kafka.changelogPartitions : kafka.partitions;
}

/**
 * A changelog's configuration. One value per key: log compaction keeps the latest record of each.
 * A time window's records are keyed by tile, and a tile older than its window plus two tiles is
 * no reader's, so those records are also deleted by age: the topic stays as small as the window.
 */
function changelogConfig(f: (typeof STREAM_FEATURES)[number]): Record<string, string> {
  if (!f.tiles) return { 'cleanup.policy': 'compact' };
  return {
    'cleanup.policy': 'compact,delete',
    'retention.ms': String(f.tiles.windowMs + 2 * f.tiles.granularityMs),
  };
}

/** Topics the local stack creates up front. */
export const STACK_TOPICS: readonly TopicSpec[] = [
  { name: TOPICS.transactions, config: {} },
  { name: TOPICS.deadLetter, config: {} },
  {
    name: TOPICS.servingLog,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(SERVING_LOG_RETENTION_MS) },
  },
  ...STREAM_FEATURES.map((f) => ({
    name: featureTopic(f.name),
    config: changelogConfig(f),
    changelog: true as const,
  })),
];

/**
 * The topics and groups the Kafka ACLs name (libs/config/src/kafka-acl.ts). `scratch`: the local
 * stack's test and benchmark namespace (Kubernetes has none).
 */
export function kafkaAclTopics(writerGroup: string, scratch: boolean): KafkaAclTopics {
  return {
    source: TOPICS.transactions,
    deadLetter: TOPICS.deadLetter,
    featurePrefix: FEATURE_TOPIC_PREFIX,
    servingLog: TOPICS.servingLog,
    writerGroup,
    flinkGroupPrefix: FLINK_GROUP_PREFIX,
    ...(scratch ? { scratch: KAFKA_SCRATCH } : {}),
  };
}
