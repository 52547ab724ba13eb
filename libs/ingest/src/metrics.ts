import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The producer's Prometheus metrics (served by @fstore/observability's serveOps in service mode). */
export class ProducerMetrics {
  readonly registry = new Registry();
  readonly read = new Counter({
    name: 'fstore_producer_records_read_total',
    help: 'Input records read',
    registers: [this.registry],
  });
  readonly produced = new Counter({
    name: 'fstore_producer_records_produced_total',
    help: 'Records acknowledged on the main topic',
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'fstore_producer_records_dead_lettered_total',
    help: 'Records acknowledged on the dead-letter topic, by rule',
    labelNames: ['field', 'rule'],
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'fstore_producer_batch_send_seconds',
    help: 'Time from sending a batch to its acknowledgement',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly connected = new Gauge({
    name: 'fstore_producer_kafka_connected',
    help: '1 while connected to Kafka',
    registers: [this.registry],
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'fstore_producer_' });
  }
}
