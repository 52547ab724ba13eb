import { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * A server's Prometheus registry with the request count and latency every fstore API exports,
 * recorded from a Fastify hook (cheap on the hot path). Apps add their own metrics to `registry`.
 * The names are the same in every service (`fstore_http_*`): the scrape's `job` label says which
 * service answered, so one query or dashboard panel serves them all.
 */
export class HttpMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;

  constructor(buckets?: number[]) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'fstore_http_requests_total',
      help: 'HTTP requests answered',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'fstore_http_request_duration_seconds',
      help: 'Time from request received to response sent',
      labelNames: ['method', 'route'],
      ...(buckets ? { buckets } : {}),
      registers: [this.registry],
    });
  }

  /** Records every response; `also` sees each one too (e.g. to count dependency failures). */
  attach(fastify: FastifyInstance, also?: (status: number) => void): void {
    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.requests.inc({ method: request.method, route, status: reply.statusCode });
      this.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      also?.(reply.statusCode);
    });
  }
}
