import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { IncomingMessage } from 'http';

/** The TypeScript services that trace; each one's name is its traces' `service.name`. */
export type TracedService = 'feature-server' | 'control-plane' | 'feature-writer' | 'producer';

export interface TracingSettings {
  /** OTLP/HTTP traces URL; undefined: tracing off (FSTORE_TRACING_OTLP_ENDPOINT empty). */
  endpoint: string | undefined;
  /** Share of new traces recorded (FSTORE_TRACING_SAMPLE_RATIO). */
  sampleRatio: number;
}

export interface Tracing {
  enabled: boolean;
  /** Sends the spans still buffered, then stops (call before the process exits). */
  shutdown(): Promise<void>;
}

/** The longest a process waits for its last spans to be sent when it stops. */
const SHUTDOWN_MS = 2000;

const OFF: Tracing = { enabled: false, shutdown: () => Promise.resolve() };

/** Paths scraped or probed every few seconds: a span for each would be noise (and cost). */
const UNTRACED_PATHS = /^\/(metrics|health)(\/|\?|$)/;

/**
 * Where traces start, the ratio decides (by trace id, so every service of a trace agrees); where
 * a caller sent a `traceparent`, its sampled flag decides, so a trace is never cut in the middle.
 */
export async function tracingSampler(ratio: number): Promise<Sampler> {
  const { ParentBasedSampler, TraceIdRatioBasedSampler } =
    await import('@opentelemetry/sdk-trace-base');
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
}

/**
 * Starts OpenTelemetry tracing for one service: spans of HTTP (server and client, axios and
 * fetch), Fastify and Nest, ioredis, pg and kafkajs, batched to the OTLP endpoint. Must run before
 * the instrumented modules are loaded (main.ts imports the app only after it). With no endpoint
 * nothing is loaded or registered: no instrumentation costs the requests anything.
 *
 * Client spans (Redis, PostgreSQL, outgoing HTTP) are made only inside a span (a request, an
 * operation, a Kafka batch): the background polls of BullMQ, the reconciler and the exporter
 * itself would otherwise each start a trace of their own.
 */
export async function startTracing(
  service: TracedService,
  settings: TracingSettings,
): Promise<Tracing> {
  if (!settings.endpoint) return OFF;
  const [
    { NodeTracerProvider },
    { BatchSpanProcessor },
    { OTLPTraceExporter },
    { resourceFromAttributes },
    { ATTR_SERVICE_NAME },
    { registerInstrumentations },
    { HttpInstrumentation },
    { UndiciInstrumentation },
    { IORedisInstrumentation },
    { PgInstrumentation },
    { KafkaJsInstrumentation },
    { NestInstrumentation },
    { FastifyOtelInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-ioredis'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-kafkajs'),
    import('@opentelemetry/instrumentation-nestjs-core'),
    import('@fastify/otel'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
    sampler: await tracingSampler(settings.sampleRatio),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.endpoint }))],
  });
  // The global provider, W3C trace context (+ baggage) propagation, AsyncLocalStorage context.
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.test(req.url ?? ''),
        requireParentforOutgoingSpans: true,
      }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
      // The request and its route handler; not a span per hook (Nest adds five onRequest
      // hooks): eight spans more a request, in the serving budget, for nothing a trace needs.
      new FastifyOtelInstrumentation({ registerOnInitialization: true, instrumentHooks: false }),
      new NestInstrumentation(),
      // The command's name only: the default would record EVAL's arguments (the writer's whole
      // batch of values) and the keys (entity ids).
      new IORedisInstrumentation({
        requireParentSpan: true,
        dbStatementSerializer: (command: string) => command,
      }),
      new PgInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation(),
    ],
  });
  return {
    enabled: true,
    // At most 2 s: a stopping process must not wait out the exporter's timeout (10 s) when the
    // trace store is down; the spans still buffered are lost then.
    shutdown: () =>
      Promise.race([
        provider.shutdown(),
        new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_MS).unref()),
      ]),
  };
}

/**
 * The current trace context as W3C headers (`traceparent`, `tracestate`), to carry it where no
 * instrumentation does (a queued job's data). Empty when nothing is traced.
 */
export function traceContextCarrier(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Runs `work` inside a span named `name`, the child of the context a carrier holds (see
 * traceContextCarrier), or of the active span when it holds none; ends it with the outcome.
 * Without tracing the span is a no-op.
 */
export async function inSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  carrier: Record<string, string> | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const parent = carrier ? propagation.extract(context.active(), carrier) : context.active();
  const tracer = trace.getTracer('fstore');
  return tracer.startActiveSpan(
    name,
    { kind: SpanKind.INTERNAL, attributes },
    parent,
    async (span) => {
      try {
        return await work();
      } catch (e) {
        span.recordException(e instanceof Error ? e : String(e));
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(e) });
        throw e;
      } finally {
        span.end();
      }
    },
  );
}

/** Adds attributes to the active span (what a span's work learns once started); none: nothing. */
export function annotateSpan(attributes: Record<string, string | number>): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}
