import { randomBytes, randomUUID } from 'crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { UsersRepository } from '@fstore/auth';
import { JAEGER_USER, kafkaClientConfig, loadConfig } from '@fstore/config';
import { featureKey } from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';

// Traces of the stack's own services (issue 18) in the stack's Jaeger: a feature read through
// nginx, and a deploy through the control plane with its calls to Flink. Each request carries a
// sampled `traceparent` of the test's, so the services' parent-based sampler records it whatever
// FSTORE_TRACING_SAMPLE_RATIO says, and the test looks its trace up by that id.
const config = loadConfig();
const jaeger = config.jaeger.url;
const auth = `Basic ${Buffer.from(`${JAEGER_USER}:${config.jaeger.password}`).toString('base64')}`;
jest.setTimeout(240000);

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string; traceID: string }[];
  processID: string;
  tags: { key: string; value: unknown }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** A span as the assertions read it: service, name, parent's span id, tags. */
interface Span {
  id: string;
  service: string;
  name: string;
  parent?: string;
  tags: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A new sampled W3C trace context: the trace id to look for and the header that starts it. */
function newTrace(): { traceId: string; traceparent: string; rootSpanId: string } {
  const traceId = randomBytes(16).toString('hex');
  const rootSpanId = randomBytes(8).toString('hex');
  return { traceId, rootSpanId, traceparent: `00-${traceId}-${rootSpanId}-01` };
}

/** The trace's spans, once `done` says they are all there (spans arrive in batches). */
async function traceSpans(traceId: string, done: (spans: Span[]) => boolean): Promise<Span[]> {
  const deadline = Date.now() + 60000;
  let spans: Span[] = [];
  for (;;) {
    const res = await fetch(`${jaeger}/api/traces/${traceId}`, {
      headers: { authorization: auth },
    });
    if (res.status === 200) {
      const { data } = (await res.json()) as { data: JaegerTrace[] };
      spans = data.flatMap((t) =>
        t.spans.map((s) => ({
          id: s.spanID,
          service: t.processes[s.processID].serviceName,
          name: s.operationName,
          parent: s.references.find((r) => r.refType === 'CHILD_OF')?.spanID,
          tags: Object.fromEntries(s.tags.map((tag) => [tag.key, tag.value])),
        })),
      );
      if (done(spans)) return spans;
    } else {
      expect(res.status).toBe(404); // not (yet) there
    }
    if (Date.now() > deadline) {
      throw new Error(
        `trace ${traceId} incomplete: ${JSON.stringify(spans.map((s) => `${s.service} ${s.name}`))}`,
      );
    }
    await sleep(1000);
  }
}

/** The chain of spans from `span` up to the trace's first recorded one. */
function ancestors(spans: Span[], span: Span): Span[] {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const chain: Span[] = [];
  for (let p = span.parent && byId.get(span.parent); p; p = p.parent && byId.get(p.parent)) {
    chain.push(p);
  }
  return chain;
}

describe('tracing', () => {
  it('refuses the query API without the password', async () => {
    expect((await fetch(`${jaeger}/api/services`)).status).toBe(401);
    const wrong = `Basic ${Buffer.from(`${JAEGER_USER}:nope`).toString('base64')}`;
    expect(
      (await fetch(`${jaeger}/api/services`, { headers: { authorization: wrong } })).status,
    ).toBe(401);
  });

  it('follows a feature read through nginx: the server span and its Redis reads', async () => {
    const pool = new Pool(config.postgres);
    const users = new UsersRepository(pool);
    const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
    const email = `tracing-${randomUUID()}@example.com`;
    const password = `tracing-${randomUUID()}`;
    const product = `tracing-${randomUUID()}`;
    try {
      await users.upsert(email, password, 'reader');
      await store.write([
        { feature: 'units_sold', keyParts: [product], value: 7, eventTime: Date.now() },
      ]);
      const login = await fetch(`${config.serving.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      expect(login.status).toBe(200);
      const { access_token: token } = (await login.json()) as { access_token: string };

      const { traceId, traceparent, rootSpanId } = newTrace();
      const read = await fetch(`${config.serving.url}/v1/features/product/${product}`, {
        headers: { authorization: `Bearer ${token}`, traceparent },
      });
      expect(read.status).toBe(200);
      expect(
        ((await read.json()) as { features: Record<string, { value: unknown } | null> }).features
          .units_sold,
      ).toMatchObject({ value: 7 });

      const spans = await traceSpans(traceId, (all) =>
        all.some((s) => s.service === 'feature-server' && s.name === 'mget'),
      );
      // The server span continues the caller's trace (nginx passes traceparent on).
      const server = spans.find((s) => s.service === 'feature-server' && s.parent === rootSpanId);
      expect(server).toMatchObject({
        name: 'GET /v1/features/:entity/:id',
        tags: {
          'http.request.method': 'GET',
          'http.route': '/v1/features/:entity/:id',
          'url.path': `/v1/features/product/${product}`,
          'http.response.status_code': 200,
        },
      });
      // Every span is the feature server's, and every Redis read descends from the server span.
      expect([...new Set(spans.map((s) => s.service))]).toEqual(['feature-server']);
      // One MGET of the features' keys (a window's tiles are one string): the command's name
      // only, no key or value recorded.
      const redis = spans.filter((s) => s.name === 'mget');
      expect(redis.map((s) => s.name)).toContain('mget');
      for (const r of redis) {
        expect(r.tags).toMatchObject({
          'db.system.name': 'redis',
          'db.query.text': r.name,
          'span.kind': 'client',
        });
        expect(ancestors(spans, r).map((s) => s.id)).toContain(server!.id);
      }
    } finally {
      await store.client.del(featureKey('units_sold', [product])).catch(() => undefined);
      await store.close();
      await users.remove(email).catch(() => undefined);
      await pool.end();
    }
  });

  it('follows a deploy through the control plane to the Flink SQL Gateway in one trace', async () => {
    const key = { authorization: `Bearer ${config.control.apiKey}` };
    const call = async (method: string, path: string, body?: unknown, headers = {}) => {
      const res = await fetch(`${config.control.url}${path}`, {
        method,
        headers: { ...key, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const kafka = new Kafka({
      clientId: 'tracing-test',
      ...kafkaClientConfig(config, 'fstore-admin'),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const topics = [`test.${randomUUID()}`, `test.${randomUUID()}`];
    const job = `trace-${randomUUID().slice(0, 8)}`;
    let deployment: string | undefined;
    try {
      await admin.createTopics({
        topics: topics.map((topic) => ({ topic, numPartitions: 1 })),
        waitForLeaders: true,
      });
      const registered = await call('POST', '/v1/jobs', {
        name: job,
        kind: 'flink-sql',
        source: 'flink-sql/last_purchase_amount.sql',
        parameters: { TRANSACTIONS_TOPIC: topics[0], FEATURE_TOPIC: topics[1] },
      });
      expect(registered.status).toBe(201);

      const { traceId, traceparent, rootSpanId } = newTrace();
      const deploy = await call(
        'POST',
        `/v1/jobs/${job}/deployments`,
        { version: 1 },
        { traceparent },
      );
      expect(deploy.status).toBe(202);
      deployment = String(deploy.body.target).replace('deployment:', '');
      const deadline = Date.now() + 180000;
      let operation: Record<string, unknown> = {};
      while (Date.now() < deadline) {
        operation = (await call('GET', `/v1/operations/${String(deploy.body.operation_id)}`)).body;
        if (operation.status === 'succeeded' || operation.status === 'failed') break;
        await sleep(500);
      }
      expect(operation.status).toBe('succeeded');

      const gateway = String(config.flink.gatewayPort);
      const toGateway = (s: Span) =>
        s.service === 'control-plane' && String(s.tags['server.port']) === gateway;
      const spans = await traceSpans(traceId, (all) =>
        all.some((s) => s.name === 'operation' && all.some((g) => toGateway(g))),
      );
      expect([...new Set(spans.map((s) => s.service))]).toEqual(['control-plane']);
      const server = spans.find((s) => s.parent === rootSpanId);
      expect(server).toMatchObject({
        name: 'POST /v1/jobs/:name/deployments',
        tags: {
          'http.route': '/v1/jobs/:name/deployments',
          'url.path': `/v1/jobs/${job}/deployments`,
          'http.response.status_code': 202,
        },
      });
      // The worker's span of the operation is the request's descendant (carried through BullMQ).
      const op = spans.find((s) => s.name === 'operation');
      expect(op!.tags).toMatchObject({
        'fstore.operation.id': String(deploy.body.operation_id),
        'fstore.operation.kind': 'deploy',
        'fstore.operation.attempt': 1,
      });
      expect(ancestors(spans, op!).map((s) => s.id)).toContain(server!.id);
      // Its calls to the SQL Gateway are its descendants.
      const calls = spans.filter(toGateway);
      expect(calls.length).toBeGreaterThan(0);
      for (const c of calls) expect(ancestors(spans, c).map((s) => s.id)).toContain(op!.id);
    } finally {
      if (deployment) {
        const cancel = await call('POST', `/v1/deployments/${deployment}/cancel`, {});
        expect(cancel.status).toBe(202);
      }
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
