import { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The control plane's Prometheus metrics. */
export class ControlMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'fstore_control_http_requests_total',
    help: 'HTTP requests answered',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'fstore_control_http_request_duration_seconds',
    help: 'Time from request received to response sent',
    labelNames: ['method', 'route'],
    registers: [this.registry],
  });
  readonly operations = new Counter({
    name: 'fstore_control_operations_total',
    help: 'Operations finished by this process, by kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [this.registry],
  });
  readonly reconciled = new Counter({
    name: 'fstore_control_reconcile_passes_total',
    help: 'Reconciler passes completed',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  attach(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.requests.inc({ method: request.method, route, status: reply.statusCode });
      this.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
  }
}
