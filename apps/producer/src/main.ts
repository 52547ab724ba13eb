/**
 * The producer as a long-running service (e.g. a Kubernetes Deployment): watches the folder
 * FSTORE_PRODUCER_INPUT_DIR (or reads standard input when it is unset), serves /metrics, /health
 * and /health/ready, logs JSON, and stops cleanly on SIGTERM/SIGINT. `fstore produce --dir/--stdin`
 * runs the same code (libs/ingest).
 */
import { loadConfig } from '@fstore/config';
import { createLogger, startTracing } from '@fstore/observability';

const config = loadConfig();
const log = createLogger('producer', { level: config.logLevel });
const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log.info('stopping', { signal: sig });
    stop.abort();
  });
}

async function main(): Promise<void> {
  // Before kafkajs loads: its instrumentation puts each record's trace context in its headers.
  const tracing = await startTracing('producer', config.tracing);
  const { formatSummary, produce, ProducerError } = await import('@fstore/ingest');
  const dir = config.producer.inputDir || undefined;
  try {
    const summaries = await produce({ dir, stdin: !dir, signal: stop.signal, log });
    summaries.forEach((s) => log.info(formatSummary(s)));
  } catch (e) {
    if (e instanceof ProducerError) e.summaries.forEach((s) => log.info(formatSummary(s)));
    throw e;
  } finally {
    await tracing.shutdown();
  }
}

main().catch((e: unknown) => {
  log.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
