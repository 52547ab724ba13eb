import type { IngestSummary } from './ingest.service';

/** A failure the producer reports to the user with a clear message (exit code 1, no stack). */
export class ProducerError extends Error {
  /**
   * One summary per input the run had started, counting what Kafka acknowledged before the
   * failure: `fstore produce` prints them (`read N, produced P, dead-lettered D`) even then.
   */
  summaries: IngestSummary[] = [];

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProducerError';
  }
}

/** `e` as a ProducerError (its message kept, the original as cause). */
export function asProducerError(e: unknown): ProducerError {
  if (e instanceof ProducerError) return e;
  return new ProducerError(e instanceof Error ? e.message : String(e), { cause: e });
}

/** The counts of an input that ended in a failure before anything was acknowledged. */
export function nothingAcknowledged(source: string): IngestSummary {
  return {
    source,
    read: 0,
    produced: 0,
    dead_lettered: 0,
    resumed_after_line: 0,
    produced_bytes: 0,
    elapsed_ms: 0,
    complete: false,
    failed: true,
  };
}
