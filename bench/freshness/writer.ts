/**
 * bench:freshness's own feature writer, as its own process like the stack's (so that its CPU is
 * its own and the benchmark's event loop does not carry it): the stream features' changelogs
 * `<prefix><feature>` → Redis. Prints `started` once consuming; SIGTERM stops it.
 *
 *   writer.ts <consumer group> <changelog topic prefix> <dead-letter topic>
 */
import { kafkaClientConfig, loadConfig } from '@fstore/config';
import { STREAM_FEATURES } from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { WriterMetrics } from '../../apps/feature-writer/src/metrics';
import { FeatureWriter } from '../../apps/feature-writer/src/writer';

const [group, prefix, deadLetterTopic] = process.argv.slice(2);
const config = loadConfig();
const store = RedisClusterOnlineStore.fromConfig(config, 'feature-writer');
const writer = new FeatureWriter(
  {
    ...kafkaClientConfig(config, 'feature-writer'),
    groupId: group,
    features: STREAM_FEATURES,
    topicOf: (f) => `${prefix}${f.name}`,
    deadLetterTopic,
    retryForMs: config.writer.retrySeconds * 1000,
    log: (msg, fields) => process.stderr.write(`${msg} ${JSON.stringify(fields ?? {})}\n`),
  },
  store,
  new WriterMetrics(),
);
void writer.start().then(
  () => process.stdout.write('started\n'),
  (e: unknown) => {
    process.stderr.write(`writer failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
const stop = () =>
  void writer
    .stop()
    .then(() => store.close())
    .finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
