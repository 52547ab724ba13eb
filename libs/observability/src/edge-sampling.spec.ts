import { propagation, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { connect } from 'net';
import Fastify, { FastifyInstance, FastifyRequest } from 'fastify';
import { edgeSampler, headSampled, requestSpan, traceFastifyRequests } from './index';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const ENDPOINT = 'http://127.0.0.1:4318/v1/traces';

describe('headSampled', () => {
  const never = () => 0.999;
  const always = () => 0;

  it("follows a caller's valid traceparent, whatever the ratio", () => {
    expect(headSampled(`00-${TRACE_ID}-${PARENT_ID}-01`, 0, never)).toBe(true);
    expect(headSampled(`00-${TRACE_ID}-${PARENT_ID}-00`, 1, always)).toBe(false);
    // Only the sampled bit counts among the flags.
    expect(headSampled(`00-${TRACE_ID}-${PARENT_ID}-03`, 0, never)).toBe(true);
  });

  it('leaves it to the ratio without one, or with one that is not valid', () => {
    for (const header of [
      undefined,
      `00-${'0'.repeat(32)}-${PARENT_ID}-01`, // an all-zero trace id is invalid
      `00-${TRACE_ID}-${PARENT_ID}`,
      'garbage',
      [`00-${TRACE_ID}-${PARENT_ID}-01`], // sent twice: not one header
    ]) {
      expect(headSampled(header, 0.1, () => 0.05)).toBe(true);
      expect(headSampled(header, 0.1, () => 0.1)).toBe(false);
      expect(headSampled(header, 0, always)).toBe(false);
    }
  });
});

describe('edgeSampler', () => {
  it('records every root (already chosen at the edge) and follows a parent', async () => {
    expect((await edgeSampler()).toString()).toBe(
      'ParentBased{root=AlwaysOnSampler, remoteParentSampled=AlwaysOnSampler, ' +
        'remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, ' +
        'localParentNotSampled=AlwaysOffSampler}',
    );
  });
});

describe('traceFastifyRequests', () => {
  const exporter = new InMemorySpanExporter();
  let app: FastifyInstance;
  /** What each handler saw: its request's span id, or none. */
  let seen: (string | undefined)[];
  let coin: number;

  beforeAll(async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({
        sampler: await edgeSampler(),
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      }),
    );
    app = Fastify();
    traceFastifyRequests(app, { endpoint: ENDPOINT, sampleRatio: 0.5 }, () => coin);
    const handler = async (request: FastifyRequest) => {
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(requestSpan(request)?.spanContext().spanId);
      // No context manager: nothing is ever active (the span goes where it is needed by hand).
      expect(trace.getActiveSpan()).toBeUndefined();
      return { ok: true };
    };
    app.get('/v1/features/:entity/:id', handler);
    app.get('/metrics', handler);
    app.get('/boom', () => Promise.reject(new Error('boom')));
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    trace.disable();
    propagation.disable();
  });

  beforeEach(() => {
    exporter.reset();
    seen = [];
  });

  it('gives a request the ratio chose a SERVER span, its handler the span', async () => {
    coin = 0.2;
    const res = await app.inject({ url: '/v1/features/product/p-1?names=a' });
    expect(res.statusCode).toBe(200);
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('GET /v1/features/:entity/:id');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes).toEqual({
      'http.request.method': 'GET',
      'http.route': '/v1/features/:entity/:id',
      'url.path': '/v1/features/product/p-1',
      'http.response.status_code': 200,
    });
    expect(span.status.code).toBe(0);
    expect(seen).toEqual([span.spanContext().spanId]);
  });

  it('makes no span and no context for a request the ratio passed over', async () => {
    coin = 0.7;
    await app.inject({ url: '/v1/features/product/p-1' });
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(seen).toEqual([undefined]);
  });

  it("continues a caller's sampled trace, and skips an unsampled one, whatever the ratio", async () => {
    coin = 0.9;
    await app.inject({
      url: '/v1/features/product/p-2',
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    });
    const [span] = exporter.getFinishedSpans();
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_ID);
    exporter.reset();
    coin = 0;
    await app.inject({
      url: '/v1/features/product/p-2',
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` },
    });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('never traces the scrape and probe paths', async () => {
    coin = 0;
    await app.inject({ url: '/metrics' });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('marks a 5xx answer as an error', async () => {
    coin = 0;
    const res = await app.inject({ url: '/boom' });
    expect(res.statusCode).toBe(500);
    const [span] = exporter.getFinishedSpans();
    expect(span.attributes['http.response.status_code']).toBe(500);
    expect(span.status.code).toBe(2);
  });

  it('ends the span of a request whose client went away before the answer as aborted', async () => {
    coin = 0;
    const server = Fastify();
    traceFastifyRequests(server, { endpoint: ENDPOINT, sampleRatio: 0.5 }, () => 0);
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let answer!: () => void;
    server.get('/slow', async () => {
      entered();
      await new Promise<void>((resolve) => (answer = resolve));
      return { ok: true };
    });
    const address = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = new URL(address);
      const socket = connect(Number(port), '127.0.0.1');
      socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
      await inHandler;
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [span] = exporter.getFinishedSpans();
      expect(span.name).toBe('GET /slow');
      expect(span.status).toEqual({ code: 2, message: 'aborted' });
      expect(span.attributes['http.response.status_code']).toBeUndefined();
    } finally {
      answer();
      await server.close();
    }
  });
});
