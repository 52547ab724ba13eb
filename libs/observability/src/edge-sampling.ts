import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Context, ContextManager } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { TracingSettings } from './tracing';

/** The context manager startTracing registered for an edge-sampled service, if any. */
let onDemandContext: OnDemandContextManager | undefined;

/** The context manager traceFastifyRequests holds for each traced request (startTracing). */
export function useOnDemandContext(manager: OnDemandContextManager): void {
  onDemandContext = manager;
}

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

/**
 * The OTel context in an AsyncLocalStorage that is switched on only while a traced request is in
 * flight. Why: on Node 20 an enabled AsyncLocalStorage runs a hook on every promise created in
 * the process, traced or not (~6 % of the feature server's CPU a request, measured with
 * --cpu-prof); at the default sampling most requests are not traced and should not pay for it.
 * Plan to remove: Node 24 keeps the context in the async context frame, without promise hooks;
 * on it the plain AsyncLocalStorageContextManager costs nothing untraced requests would notice.
 */
export class OnDemandContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorageContextManager();
  private inFlight = 0;

  active(): Context {
    return this.storage.active();
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    // AsyncLocalStorage.run enables the storage again after disable().
    return this.storage.with(ctx, fn, thisArg, ...args);
  }

  bind<T>(ctx: Context, target: T): T {
    return this.storage.bind(ctx, target);
  }

  enable(): this {
    this.storage.enable();
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }

  /** A traced request is in flight until the returned function is called (once is enough). */
  hold(): () => void {
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The last one out switches the storage off: no promise hook until the next traced request.
      if (--this.inFlight === 0) this.storage.disable();
    };
  }
}

/**
 * Server spans for a Fastify app whose requests are decided at the edge: an onRequest hook
 * decides (headSampled) and an unsampled request meets no tracing code at all, no span object,
 * no context switch. A sampled one gets a SERVER span named by its route, active (as the OTel
 * context) for the rest of the request, so the Redis and PostgreSQL instrumentations add its
 * client spans, and ended with the response's status.
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
  contextManager: OnDemandContextManager | undefined = onDemandContext,
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
    const release = contextManager?.hold();
    // 'finish' when the last byte was handed to the socket; 'close' after it, or alone when the
    // connection went away first (aborted: no status was sent).
    let sent = false;
    reply.raw.once('finish', () => (sent = true));
    reply.raw.once('close', () => {
      release?.();
      if (sent) span.setAttribute('http.response.status_code', reply.raw.statusCode);
      if (!sent || reply.raw.statusCode >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: sent ? undefined : 'aborted' });
      }
      span.end();
    });
    context.with(trace.setSpan(parent, span), done);
  });
}
