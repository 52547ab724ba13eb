import { FEATURE_TOPIC_PREFIX, FEATURES } from '@fstore/contracts';

/**
 * The values the control plane gives a job's `${NAME}` placeholders, besides the configured ones
 * (KAFKA_BROKERS, TRANSACTIONS_TOPIC, …): FEATURE_TOPIC = features.<feature the file is named after>,
 * CONSUMER_GROUP = one group per job. The version's parameters override any of them.
 */
export function placeholderValues(
  jobName: string,
  source: string,
  parameters: Record<string, string>,
): Record<string, string> {
  // A job file of one feature, named after it (flink-sql/<feature>.sql), writes that feature's
  // changelog; a generated job of a source writes several, under ${FEATURE_TOPIC_PREFIX}.
  const feature = FEATURES.find((f) => `flink-sql/${f.name}.sql` === source);
  const values: Record<string, string> = { CONSUMER_GROUP: `fstore-job-${jobName}` };
  if (feature) values.FEATURE_TOPIC = `${FEATURE_TOPIC_PREFIX}${feature.name}`;
  return { ...values, ...parameters };
}
