import {
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TracingSettings } from './tracing';

/** Paths scraped or probed every few seconds: a span for each would be noise (and cost). */
export const UNTRACED_PATHS = /^\/(metrics|health)(\/|\?|$)/;

/** A W3C `traceparent` (version 00 layout): its trace id and flags are what the decision reads. */
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-([\da-f]{2})$/;
const INVALID_TRACE_ID = '0'.repeat(32);

/**
 * Whether a request is traced, decided before anything else looks at it: a caller's valid
 * `traceparent` decides by its sampled flag (a trace is never cut in the middle); otherwise the
 * ratio does.
 */
export function headSampled(
  traceparent: string | string[] | undefined,
  ratio: number,
  random: () => number = Math.random,
): boolean {
  const m = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  if (m && m[1] !== INVALID_TRACE_ID) return (parseInt(m[2], 16) & 1) === 1;
  return random() < ratio;
}

/** The server span of each traced request (traceFastifyRequests); an untraced one has none. */
const requestSpans = new WeakMap<FastifyRequest, Span>();

/**
 * The server span of a request traceFastifyRequests chose, for the code that reads for it to
 * make its client spans children of (the online store's reads take it as their parent); undefined
 * for a request it passed over.
 */
export function requestSpan(request: FastifyRequest): Span | undefined {
  return requestSpans.get(request);
}

/**
 * Server spans for a Fastify app whose requests are decided at the edge: an onRequest hook
 * decides (headSampled) and an unsampled request meets no tracing code at all, no span object,
 * no context. A sampled one gets a SERVER span named by its route, ended with the response's
 * status, and kept for the request (requestSpan): the code that reads for it passes it on as the
 * parent of its client spans, explicitly.
 *
 * Why explicitly, with no OTel context manager in the process: on Node 20 an AsyncLocalStorage
 * runs a hook on every promise of the process while it is enabled, and switching it on only
 * while a traced request was in flight still cost the feature server 2.4 % of its single-GET
 * throughput at a sampling of 0.001 (4.1 % against 1.7 % at 0; `npm run bench:serving --
 * --tracing-only`, both settings loaded together). Plan to remove: Node 24 keeps the context in
 * the async context frame, without promise hooks; there the context manager and the client
 * instrumentations can come back.
 *
 * Why not the generic HTTP and Fastify instrumentations: they build attributes, a span and two
 * bound contexts for every request before the sampler is asked. On the feature server's single
 * read (~80 µs of CPU) that was +55 µs a request at ratio 0 and ~40 % of its throughput at the
 * default 0.1 (`npm run bench:serving -- --tracing-only`); the budget is 5 %.
 *
 * Roots come only from here, so the service's sampler must record them (startTracing's
 * `edgeSampled` services use ParentBased with an AlwaysOn root).
 */
export function traceFastifyRequests(
  fastify: FastifyInstance,
  settings: TracingSettings,
  random: () => number = Math.random,
): void {
  if (!settings.endpoint) return;
  const tracer = trace.getTracer('fstore');
  // One hook, onRequest: Fastify runs every other hook kind for every request once one is added
  // (an onRequestAbort hook also costs each request a listener); a sampled request instead ends
  // its span on its own response's 'close'.
  fastify.addHook('onRequest', (request, reply, done) => {
    if (
      UNTRACED_PATHS.test(request.url) ||
      !headSampled(request.headers.traceparent, settings.sampleRatio, random)
    ) {
      done();
      return;
    }
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url;
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?', 1)[0],
          ...(route ? { 'http.route': route } : {}),
        },
      },
      parent,
    );
    requestSpans.set(request, span);
    // 'finish' when the last byte was handed to the socket; 'close' after it, or alone when the
    // connection went away first (aborted: no status was sent).
    let sent = false;
    reply.raw.once('finish', () => (sent = true));
    reply.raw.once('close', () => {
      if (sent) span.setAttribute('http.response.status_code', reply.raw.statusCode);
      if (!sent || reply.raw.statusCode >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: sent ? undefined : 'aborted' });
      }
      span.end();
    });
    done();
  });
}
