import { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { HttpMetrics } from '@fstore/rest-api';

/** The server's Prometheus metrics: requests and latency (shared) plus Redis failures and the serving log. */
export class ServingMetrics extends HttpMetrics {
  readonly storeErrors = new Counter({
    name: 'fstore_redis_errors_total',
    help: 'Feature reads that failed because Redis did not answer',
    registers: [this.registry],
  });

  readonly servingLogRecords = new Counter({
    name: 'fstore_serving_log_records_total',
    help: 'Served values sent to the serving-log topic (FSTORE_SERVING_LOG_SAMPLE_RATE)',
    registers: [this.registry],
  });
  readonly servingLogDropped = new Counter({
    name: 'fstore_serving_log_dropped_total',
    help: 'Sampled served values not logged: the Kafka send failed or the buffer was full',
    registers: [this.registry],
  });

  constructor() {
    super([0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
  }

  override attach(fastify: FastifyInstance): void {
    super.attach(fastify, (status) => {
      if (status === 503) this.storeErrors.inc();
    });
  }
}
