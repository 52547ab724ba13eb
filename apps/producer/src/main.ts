/**
 * The producer as a long-running service (e.g. a Kubernetes Deployment): watches the folder
 * FSTORE_PRODUCER_INPUT_DIR (or reads standard input when it is unset), serves /metrics, /health
 * and /health/ready, logs JSON, and stops cleanly on SIGTERM/SIGINT. `fstore produce --dir/--stdin`
 * runs the same code (libs/ingest).
 */
import { loadConfig } from '@fstore/config';
import { formatSummary, produce, ProducerError } from '@fstore/ingest';
import { createLogger } from '@fstore/observability';

const config = loadConfig();
const log = createLogger('producer', { level: config.logLevel });
const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log.info('stopping', { signal: sig });
    stop.abort();
  });
}
const dir = config.producer.inputDir || undefined;
produce({ dir, stdin: !dir, signal: stop.signal, log }).then(
  (summaries) => summaries.forEach((s) => log.info(formatSummary(s))),
  (e: unknown) => {
    if (e instanceof ProducerError) e.summaries.forEach((s) => log.info(formatSummary(s)));
    log.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
