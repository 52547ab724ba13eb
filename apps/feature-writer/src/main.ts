import { kafkaClientConfig, loadConfig } from '@fstore/config';
import { createLogger, serveOps, startTracing } from '@fstore/observability';

// Until the configuration is read (its errors are logged too), at the default level.
let logger = createLogger('feature-writer');

async function main(): Promise<void> {
  const config = loadConfig();
  logger = createLogger('feature-writer', { level: config.logLevel });
  // Before kafkajs and ioredis load: the instrumentations patch them as they are required.
  const tracing = await startTracing('feature-writer', config.tracing);
  const { STREAM_FEATURES, TOPICS } = await import('@fstore/contracts');
  const { RedisClusterOnlineStore } = await import('@fstore/online-store');
  const { changelogTopic } = await import('./changelog');
  const { WriterMetrics } = await import('./metrics');
  const { FeatureWriter } = await import('./writer');
  const store = RedisClusterOnlineStore.fromConfig(config, 'feature-writer');
  const metrics = new WriterMetrics();
  const writer = new FeatureWriter(
    {
      ...kafkaClientConfig(config, 'feature-writer'),
      groupId: config.writer.groupId,
      features: STREAM_FEATURES,
      topicOf: (f) => `${config.writer.topicNamespace}${changelogTopic(f)}`,
      deadLetterTopic: config.writer.deadLetterTopic ?? TOPICS.deadLetter,
      retryForMs: config.writer.retrySeconds * 1000,
      replicaWait: config.writer.replicaWait,
      log: logger,
    },
    store,
    metrics,
  );
  let started = false;
  // /health/ready: consuming, and Redis takes the writes (or has failed only briefly).
  const { server } = await serveOps({
    host: config.host,
    port: config.writer.metricsPort,
    registry: metrics.registry,
    readiness: () => {
      const health = writer.health();
      const ready = started && health.ready;
      const status = !started ? 'starting' : ready ? 'ok' : 'redis unavailable';
      return { ready, status, detail: health.detail };
    },
  });
  // Windows of the old layout (hashes) read as absent until packed: before the first write.
  const packed = await store.packFormat0Windows(STREAM_FEATURES);
  if (packed > 0) logger.info('time windows packed into the current layout', { keys: packed });
  await writer.start();
  started = true;
  const shutdown = async (signal: string) => {
    logger.info('stopping', { signal });
    await writer.stop();
    await store.close();
    server.close();
    await tracing.shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main().catch((e: unknown) => {
  logger.error('feature-writer failed', { error: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});
