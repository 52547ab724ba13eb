import { STREAM_FEATURES } from './features';

/** Kafka topic names fixed by docs/design.md §4. */
export const TOPICS = {
  transactions: 'ecommerce.transactions',
  deadLetter: 'ecommerce.transactions.dlq',
} as const;

/** Prefix of the feature changelog topics written by the Flink jobs. */
export const FEATURE_TOPIC_PREFIX = 'features.';

/** The changelog topic of a stream feature: `features.<name>`. */
export const featureTopic = (featureName: string) => `${FEATURE_TOPIC_PREFIX}${featureName}`;

export interface TopicSpec {
  name: string;
  /** Changelogs keep the latest record per key (log compaction). */
  compacted: boolean;
}

/** Topics the local stack creates up front. */
export const STACK_TOPICS: readonly TopicSpec[] = [
  { name: TOPICS.transactions, compacted: false },
  { name: TOPICS.deadLetter, compacted: false },
  ...STREAM_FEATURES.map((f) => ({
    name: featureTopic(f.name),
    compacted: true,
  })),
];
