import { createServer } from 'http';
import { kafkaClientConfig, loadConfig } from '@fstore/config';
import { STREAM_FEATURES, TOPICS } from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { changelogTopic } from './changelog';
import { WriterMetrics } from './metrics';
import { FeatureWriter } from './writer';

const log = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(
    JSON.stringify({ ts: new Date().toISOString(), service: 'feature-writer', msg, ...fields }) +
      '\n',
  );

async function main(): Promise<void> {
  const config = loadConfig();
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
      log,
    },
    store,
    metrics,
  );
  let started = false;
  // /metrics for Prometheus; /health is liveness, /health/ready says the consumer runs and Redis
  // takes its writes.
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      void metrics.registry.metrics().then((body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
      });
    } else if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok' }));
    } else if (req.url === '/health/ready') {
      // Ready once consuming, and while Redis takes writes (or has failed only briefly).
      const health = writer.health();
      const ok = started && health.ready;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: !started ? 'starting' : ok ? 'ok' : 'redis unavailable',
          detail: health.detail,
        }),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(config.writer.metricsPort, config.host);
  await writer.start();
  started = true;
  const shutdown = async (signal: string) => {
    log('stopping', { signal });
    await writer.stop();
    await store.close();
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main().catch((e: unknown) => {
  log('feature-writer failed', { error: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});
