import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  TraceFlags,
  type SpanContext,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  inBatchSpan,
  inClientSpan,
  inSpan,
  startTracing,
  traceContextCarrier,
  tracingSampler,
} from './index';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

function remoteParent(sampled: boolean): SpanContext {
  return {
    traceId: TRACE_ID,
    spanId: PARENT_ID,
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
}

describe('tracingSampler', () => {
  const decide = async (ratio: number, parent?: SpanContext, traceId = TRACE_ID) => {
    const ctx = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    const sampler = await tracingSampler(ratio);
    return sampler.shouldSample(ctx, traceId, 'GET', SpanKind.SERVER, {}, []).decision;
  };

  it('is parent-based, with the ratio deciding only where a trace starts', async () => {
    expect((await tracingSampler(0.1)).toString()).toBe(
      'ParentBased{root=TraceIdRatioBased{0.1}, remoteParentSampled=AlwaysOnSampler, ' +
        'remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, ' +
        'localParentNotSampled=AlwaysOffSampler}',
    );
  });

  it("follows a caller's sampled flag whatever the ratio", async () => {
    expect(await decide(0, remoteParent(true))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(await decide(1, remoteParent(false))).toBe(SamplingDecision.NOT_RECORD);
  });

  it('records every new trace at 1, none at 0, and decides by trace id in between', async () => {
    expect(await decide(1)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(await decide(0)).toBe(SamplingDecision.NOT_RECORD);
    // The ratio compares the trace id's low 32 bits with ratio × 2^32: the same id gets the same
    // decision in every service of the trace.
    expect(await decide(0.5, undefined, '00000000000000000000000000000001')).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
    expect(await decide(0.5, undefined, '000000000000000000000000ffffffff')).toBe(
      SamplingDecision.NOT_RECORD,
    );
  });
});

describe('startTracing without an endpoint', () => {
  it('registers nothing: spans are no-ops and no context is carried', async () => {
    const tracing = await startTracing('feature-server', { endpoint: undefined, sampleRatio: 1 });
    expect(tracing.enabled).toBe(false);
    await tracing.shutdown();
    const span = trace.getTracer('test').startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(traceContextCarrier()).toEqual({});
  });
});

describe('inSpan, inBatchSpan and traceContextCarrier', () => {
  const exporter = new InMemorySpanExporter();
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
  });

  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });

  beforeEach(() => exporter.reset());

  it("makes the carrier's context the span's parent (a queued job of a traced request)", async () => {
    const carrier = { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` };
    const inner = await inSpan('operation deploy', { 'fstore.operation.id': 'op-1' }, carrier, () =>
      Promise.resolve(traceContextCarrier()),
    );
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('operation deploy');
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(span.attributes).toEqual({ 'fstore.operation.id': 'op-1' });
    // Inside the span, the carrier names the span itself: what the work passes on.
    expect(inner).toEqual({ traceparent: `00-${TRACE_ID}-${span.spanContext().spanId}-01` });
  });

  it('ends the span as an error when the work fails, and passes the error on', async () => {
    await expect(
      inSpan('operation pause', {}, undefined, () => Promise.reject(new Error('flink down'))),
    ).rejects.toThrow('flink down');
    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: 2, message: 'Error: flink down' });
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
    expect(span.parentSpanContext).toBeUndefined();
  });

  it("makes one CONSUMER span per Kafka batch, a trace of its own, the parent of the batch's work", async () => {
    const outer = { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` };
    await inSpan('caller', {}, outer, () =>
      inBatchSpan({ topic: 'features.units_sold_7d', partition: 3, messages: 1000 }, async () => {
        trace.getTracer('test').startSpan('evalsha').end();
      }),
    );
    const [write, batch] = exporter.getFinishedSpans();
    expect(batch.name).toBe('process features.units_sold_7d');
    expect(batch.kind).toBe(SpanKind.CONSUMER);
    expect(batch.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'features.units_sold_7d',
      'messaging.destination.partition.id': '3',
      'messaging.batch.message_count': 1000,
    });
    // Not under whatever was active when kafkajs called it: a batch starts its trace.
    expect(batch.parentSpanContext).toBeUndefined();
    expect(batch.spanContext().traceId).not.toBe(TRACE_ID);
    expect(write.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
  });

  it("makes one CLIENT span for a batch's Redis writes, and no active span below it for an instrumentation to hang its own on", async () => {
    let below: unknown = 'not run';
    await inBatchSpan({ topic: 'features.spend_24h', partition: 0, messages: 500 }, () =>
      inClientSpan('redis write', { 'db.system.name': 'redis', 'fstore.writes': 500 }, async () => {
        below = trace.getActiveSpan();
      }),
    );
    const [write, batch] = exporter.getFinishedSpans();
    expect(below).toBeUndefined();
    expect(write.name).toBe('redis write');
    expect(write.kind).toBe(SpanKind.CLIENT);
    expect(write.attributes).toEqual({ 'db.system.name': 'redis', 'fstore.writes': 500 });
    expect(write.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
  });

  it('ends the client span as an error when the writes fail', async () => {
    await expect(
      inClientSpan('redis write', {}, () => Promise.reject(new Error('CLUSTERDOWN'))),
    ).rejects.toThrow('CLUSTERDOWN');
    const [write] = exporter.getFinishedSpans();
    expect(write.status).toEqual({ code: 2, message: 'Error: CLUSTERDOWN' });
  });
});
