import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class WriterMetrics {
  readonly registry = new Registry();
  readonly recordsIn = new Counter({
    name: 'fstore_writer_records_in_total',
    help: 'Changelog records consumed',
    labelNames: ['feature'],
    registers: [this.registry],
  });
  readonly written = new Counter({
    name: 'fstore_writer_written_total',
    help: 'Feature values written to Redis',
    registers: [this.registry],
  });
  readonly skippedOlder = new Counter({
    name: 'fstore_writer_skipped_older_total',
    help: 'Updates not applied because Redis held a newer value',
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'fstore_writer_dead_lettered_total',
    help: 'Changelog records sent to the dead-letter topic',
    labelNames: ['feature'],
    registers: [this.registry],
  });
  readonly writeErrors = new Counter({
    name: 'fstore_writer_redis_errors_total',
    help: 'Failed Redis write attempts (each retried)',
    registers: [this.registry],
  });
  readonly commitErrors = new Counter({
    name: 'fstore_writer_commit_errors_total',
    help: 'Offset commits that failed (not retried: the next commit carries the partition further; the records are replayed and skipped if it never comes)',
    registers: [this.registry],
  });
  readonly redisAvailable = new Gauge({
    name: 'fstore_writer_redis_available',
    help: '1 while Redis takes writes, 0 while they fail (the writer holds its batch and retries)',
    registers: [this.registry],
  });
  readonly replicaWaitShortfall = new Counter({
    name: 'fstore_writer_replica_wait_shortfall_total',
    help: 'Batches whose writes to a master fewer replicas than FSTORE_WRITER_WAIT_REPLICAS confirmed within FSTORE_WRITER_WAIT_TIMEOUT_MS (offsets committed anyway), per master',
    labelNames: ['node'],
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: 'fstore_writer_consumer_lag',
    help: 'Records behind the end of each changelog partition after the last batch',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });
  readonly batchLatency = new Histogram({
    name: 'fstore_writer_batch_seconds',
    help: 'Time to apply one batch, from fetch to Redis (and the replicas) holding it; its offset commit follows',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly batchWait = new Histogram({
    name: 'fstore_writer_batch_wait_seconds',
    help: "How long a batch's oldest record waited in its changelog partition before the writer took the batch: then minus the record's Kafka timestamp (the broker's append time on a LogAppendTime topic, else the time Flink's producer created it; another host's clock adds its skew)",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
    registers: [this.registry],
  });
  readonly eventAge = new Histogram({
    name: 'fstore_writer_event_age_seconds',
    help: 'Age (now minus event time) of the values written, per feature: freshness of the stream features',
    labelNames: ['feature'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 60, 600, 3600, 86400],
    registers: [this.registry],
  });

  readonly newestEventTime = new Gauge({
    name: 'fstore_writer_newest_event_time_seconds',
    help: 'Event time (epoch seconds) of the newest value the writer has written, per feature: now minus it is how old the freshest stored value is',
    labelNames: ['feature'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
