/**
 * A feature writer on test topics, as its own process (so that a test can SIGKILL it):
 * run-writer.ts <group> <scenario id> [dead-letter topic]; changelogs `test.<id>.features.<name>`
 */
import { kafkaClientConfig, loadConfig } from '@fstore/config';
import { FEATURE_TOPIC_PREFIX, STREAM_FEATURES } from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { WriterMetrics } from '../../apps/feature-writer/src/metrics';
import { FeatureWriter } from '../../apps/feature-writer/src/writer';

const [group, suffix, dlq] = process.argv.slice(2);
const config = loadConfig();
const store = RedisClusterOnlineStore.fromConfig(config, 'feature-writer');
const writer = new FeatureWriter(
  {
    ...kafkaClientConfig(config, 'feature-writer'),
    groupId: group,
    features: STREAM_FEATURES,
    topicOf: (f) => `test.${suffix}.${FEATURE_TOPIC_PREFIX}${f.name}`,
    deadLetterTopic: dlq ?? `test.writer-dlq.${suffix}`,
    retryForMs: 30000,
    log: () => undefined,
  },
  store,
  new WriterMetrics(),
);
void writer.start().then(() => process.stdout.write('started\n'));
process.once('SIGTERM', () => void writer.stop().then(() => process.exit(0)));
