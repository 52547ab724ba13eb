import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { IncomingMessage } from 'http';
import { UNTRACED_PATHS } from './edge-sampling';

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

/**
 * Services whose server spans come from traceFastifyRequests, decided before any other tracing
 * code runs: the feature server, whose reads have a 5 % budget for tracing (edge-sampling.ts).
 */
const EDGE_SAMPLED: ReadonlySet<TracedService> = new Set(['feature-server']);

/**
 * Services that consume Kafka in batches and make one span per batch themselves (inBatchSpan),
 * without kafkajs's instrumentation: the feature writer. The instrumentation makes a span per
 * consumed record besides the batch's, and extracts each record's headers: measured with
 * `bench:writer --cpu-prof`, 25 % of the writer's busy CPU (its `_startConsumerSpan` alone 8 % of
 * every sample, plus the spans' garbage), and a sampled batch of 1,000 records sent 1,001 spans
 * to Jaeger. The writer's records are Flink's changelogs, which carry no trace context to link
 * to (docs/monitoring.md, Across services).
 */
const BATCH_CONSUMERS: ReadonlySet<TracedService> = new Set(['feature-writer']);

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
 * An edge-sampled service's sampler: its only roots are the server spans of requests that
 * traceFastifyRequests already chose by the ratio, so a root is always recorded; a caller's
 * sampled flag still decides for the rest.
 */
export async function edgeSampler(): Promise<Sampler> {
  const { AlwaysOnSampler, ParentBasedSampler } = await import('@opentelemetry/sdk-trace-base');
  return new ParentBasedSampler({ root: new AlwaysOnSampler() });
}

/**
 * Starts OpenTelemetry tracing for one service: spans of HTTP (server and client, axios and
 * fetch), Fastify and Nest, ioredis, pg and kafkajs, batched to the OTLP endpoint. Must run before
 * the instrumented modules are loaded (main.ts imports the app only after it). With no endpoint
 * nothing is loaded or registered: no instrumentation costs the requests anything.
 *
 * An edge-sampled service (the feature server) gets no instrumentation and no context manager:
 * its app adds its server spans with traceFastifyRequests, and its online store makes the Redis
 * spans of a traced read, their parent passed explicitly (requestSpan).
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
  const edge = EDGE_SAMPLED.has(service);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service }),
    sampler: edge ? await edgeSampler() : await tracingSampler(settings.sampleRatio),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.endpoint }))],
  });
  // The global provider, W3C trace context (+ baggage) propagation, and the OTel context in an
  // AsyncLocalStorage, except for an edge-sampled service: it has none (null), and passes its
  // spans to where it makes client spans (edge-sampling.ts says why).
  provider.register({ contextManager: edge ? null : undefined });
  // Client spans: made only inside a span (see above).
  const clients = [
    // The command's name only: the default would record EVAL's arguments (the writer's whole
    // batch of values) and the keys (entity ids).
    new IORedisInstrumentation({
      requireParentSpan: true,
      dbStatementSerializer: (command: string) => command,
    }),
    new PgInstrumentation({ requireParentSpan: true }),
  ];
  registerInstrumentations({
    tracerProvider: provider,
    // An edge-sampled service has no context for an instrumentation to find its parent in.
    instrumentations: edge
      ? []
      : [
          new HttpInstrumentation({
            ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.test(req.url ?? ''),
            requireParentforOutgoingSpans: true,
          }),
          new UndiciInstrumentation({ requireParentforSpans: true }),
          // The request and its route handler; not a span per hook (Nest adds five onRequest
          // hooks): eight spans more a request, for nothing a trace needs.
          new FastifyOtelInstrumentation({
            registerOnInitialization: true,
            instrumentHooks: false,
          }),
          new NestInstrumentation(),
          ...clients,
          ...(BATCH_CONSUMERS.has(service) ? [] : [new KafkaJsInstrumentation()]),
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
  return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent, (span) =>
    withOutcome(span, work),
  );
}

/**
 * Runs the handling of one consumed Kafka batch inside a `process <topic>` span (CONSUMER, a trace
 * of its own, with the attributes kafkajs's instrumentation gives its batch span), so that the
 * batch's client spans (its Redis writes) are its children. Without tracing: a no-op span.
 */
export async function inBatchSpan<T>(
  batch: { topic: string; partition: number; messages: number },
  work: () => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer('fstore');
  return tracer.startActiveSpan(
    `process ${batch.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': batch.topic,
        'messaging.destination.partition.id': String(batch.partition),
        'messaging.batch.message_count': batch.messages,
      },
    },
    ROOT_CONTEXT,
    (span) => withOutcome(span, work),
  );
}

/**
 * Runs `work` inside one CLIENT span `name`, the child of the active span, with no active span
 * below it: the ioredis instrumentation (requireParentSpan) makes no span of its own per command
 * then. For a pipeline of hundreds of commands, such as a writer batch's value and tile writes: a
 * span per command gave the writer's traces ~360 spans each, and 2,000 of them held 0.6 GB of
 * Jaeger's memory (the soak of 2026-12-02, docs/monitoring.md).
 */
export async function inClientSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  work: () => Promise<T>,
): Promise<T> {
  const span = trace
    .getTracer('fstore')
    .startSpan(name, { kind: SpanKind.CLIENT, attributes }, context.active());
  return withOutcome(span, () => context.with(ROOT_CONTEXT, work));
}

/** Runs `work`, records its error on `span` if it fails, and ends the span. */
async function withOutcome<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    span.recordException(e instanceof Error ? e : String(e));
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(e) });
    throw e;
  } finally {
    span.end();
  }
}

/** Adds attributes to the active span (what a span's work learns once started); none: nothing. */
export function annotateSpan(attributes: Record<string, string | number>): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}
