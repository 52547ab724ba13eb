/** Kafka topic names fixed by DESIGN §4. */
export const TOPICS = {
  transactions: 'ecommerce.transactions',
  deadLetter: 'ecommerce.transactions.dlq',
} as const;

/** Prefix of the feature changelog topics written by the Flink jobs. */
export const FEATURE_TOPIC_PREFIX = 'features.';

/** Topics the local stack creates up front. */
export const STACK_TOPICS: readonly string[] = [TOPICS.transactions, TOPICS.deadLetter];
