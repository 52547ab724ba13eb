import { FEATURE_TOPIC_PREFIX, FEATURES } from '@fstore/contracts';

/**
 * The values the control plane gives a job's `${NAME}` placeholders, besides the configured ones
 * (KAFKA_BROKERS, TRANSACTIONS_TOPIC, …): FEATURE_TOPIC = features.<feature the file produces>,
 * CONSUMER_GROUP = one group per job. The version's parameters override any of them.
 */
export function placeholderValues(
  jobName: string,
  source: string,
  parameters: Record<string, string>,
): Record<string, string> {
  const feature = FEATURES.find((f) => f.producedBy === source);
  const values: Record<string, string> = { CONSUMER_GROUP: `fstore-job-${jobName}` };
  if (feature) values.FEATURE_TOPIC = `${FEATURE_TOPIC_PREFIX}${feature.name}`;
  return { ...values, ...parameters };
}
