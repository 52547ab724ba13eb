import { randomBytes, randomUUID } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { Pool } from 'pg';
import { UsersRepository } from '@fstore/auth';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { featureByName, FEATURES } from '@fstore/contracts';
import { createControlApiKey } from '@fstore/control-store';
import { RedisClusterOnlineStore } from '@fstore/online-store';

// The contract: every documented route of the running services is called with good and bad
// inputs, and every real answer must be documented (its status) and match its schema in
// docs/openapi/*.json (ajv, JSON Schema 2020-12, as OpenAPI 3.1 schemas are). Raw fetch on
// purpose: the clients are typed by these documents, so they must not stand between.
jest.setTimeout(300000);
const config = loadConfig();
const run = randomBytes(4).toString('hex');

type Json = Record<string, unknown>;
type Api = 'feature-server' | 'control-plane';
const DOCS: Record<Api, Json> = {
  'feature-server': JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'docs/openapi/feature-server.json'), 'utf8'),
  ) as Json,
  'control-plane': JSON.parse(
    readFileSync(join(PROJECT_ROOT, 'docs/openapi/control-plane.json'), 'utf8'),
  ) as Json,
};
const BASE: Record<Api, string> = {
  'feature-server': config.serving.url,
  'control-plane': config.control.url,
};

// OpenAPI's `example` is not a JSON Schema keyword: strict mode off; formats (uuid, date-time) on.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
for (const [api, doc] of Object.entries(DOCS)) ajv.addSchema(doc, `https://fstore.local/${api}`);
const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Every documented operation, and which statuses the test saw for it. */
const seen = new Map<string, Set<number>>();
for (const [api, doc] of Object.entries(DOCS)) {
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const method of Object.keys(item as Json)) seen.set(`${api} ${method} ${path}`, new Set());
  }
}
const problems: string[] = [];

/**
 * Sends one request and checks the answer against the document: the operation exists, the status
 * is one of its responses, the body matches that response's schema. Returns status and body.
 */
async function call(
  api: Api,
  method: string,
  template: string,
  options: {
    params?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    rawBody?: string;
    auth?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(options.params?.[name] ?? ''),
  );
  const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth) headers.authorization = `Bearer ${options.auth}`;
  const payload =
    options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${BASE[api]}${path}${query}`, { method, headers, body: payload });
  const text = await res.text();
  const body = (text ? JSON.parse(text) : undefined) as Json;
  const key = `${api} ${method.toLowerCase()} ${template}`;
  const where = `${method} ${template} → ${res.status}`;
  const operation = ((DOCS[api].paths as Json)[template] as Json | undefined)?.[
    method.toLowerCase()
  ] as Json | undefined;
  if (!operation) {
    problems.push(`${api}: ${method} ${template} is not documented`);
    return { status: res.status, body, headers: res.headers };
  }
  seen.get(key)!.add(res.status);
  const response = (operation.responses as Json)[String(res.status)] as Json | undefined;
  if (!response) {
    problems.push(`${api}: ${where} is not a documented status (${text.slice(0, 200)})`);
  } else if (res.status === 204) {
    if (text) problems.push(`${api}: ${where} has a body`);
  } else {
    const ref = `https://fstore.local/${api}#/${pointer('paths', template, method.toLowerCase(), 'responses', String(res.status), 'content', 'application/json', 'schema')}`;
    const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    if (!validate(body)) {
      problems.push(
        `${api}: ${where}: ${ajv.errorsText(validate.errors)} in ${text.slice(0, 300)}`,
      );
    }
  }
  return { status: res.status, body, headers: res.headers };
}

const fs = (method: string, template: string, options?: Parameters<typeof call>[3]) =>
  call('feature-server', method, template, options);
const cp = (method: string, template: string, options?: Parameters<typeof call>[3]) =>
  call('control-plane', method, template, options);

const pool = new Pool(config.postgres);
const email = `contract-${run}@example.com`;
/** A serving user with the viewer role: signs in to the console with e-mail and password. */
const viewerEmail = `contract-viewer-${run}@example.com`;
const password = `${randomUUID()}-Aa1`;
const product = `contract-${run}`;
const keys = { admin: '', viewer: '' };
let token = '';

beforeAll(async () => {
  const users = new UsersRepository(pool);
  await users.upsert(email, password, 'reader');
  await users.upsert(viewerEmail, password, 'viewer');
  keys.admin = await createControlApiKey(config, `contract-admin-${run}`, 'admin');
  keys.viewer = await createControlApiKey(config, `contract-viewer-${run}`, 'viewer');
  // A value of every plain feature for one product (and the entities of the original API's
  // routes), and one tile of a time window (its answer carries the window's bounds).
  const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
  const windowed = featureByName('units_sold_7d')!.tiles!.granularityMs;
  try {
    await store.write([
      ...FEATURES.filter((f) => !f.tiles).map((f) => ({
        feature: f.name,
        keyParts: f.entity === 'customer_product' ? [product, product] : [product],
        value: 3,
        eventTime: Date.now(),
      })),
      {
        feature: 'units_sold_7d',
        keyParts: [product],
        tile: {
          end: Math.ceil(Date.now() / windowed) * windowed,
          events: 1,
          aggregate: '4',
          eventTime: Date.now(),
        },
      },
    ]);
  } finally {
    await store.close();
  }
});

afterAll(async () => {
  await new UsersRepository(pool).remove(email).catch(() => undefined);
  await new UsersRepository(pool).remove(viewerEmail).catch(() => undefined);
  await pool.end();
});

describe('the feature server answers as docs/openapi/feature-server.json says', () => {
  it('health', async () => {
    expect((await fs('GET', '/health')).status).toBe(200);
    expect((await fs('GET', '/health/ready')).status).toBe(200);
    expect((await fs('GET', '/api/health-check')).status).toBe(200);
  });

  it('login, refresh, logout', async () => {
    expect(
      (await fs('POST', '/api/auth/login', { body: { email: 'not-an-email', password } })).status,
    ).toBe(400);
    const wrong = await fs('POST', '/api/auth/login', {
      body: { email, password: 'wrong-password' },
    });
    expect([wrong.status, wrong.body.error_code]).toEqual([401, 1200]);
    const login = await fs('POST', '/api/auth/login', { body: { email, password } });
    expect(login.status).toBe(200);
    expect((await fs('POST', '/api/auth/refresh', { body: {} })).status).toBe(400);
    expect(
      (await fs('POST', '/api/auth/refresh', { body: { refresh_token: 'x.y.z' } })).status,
    ).toBe(401);
    const refreshed = await fs('POST', '/api/auth/refresh', {
      body: { refresh_token: login.body.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const ended = String(refreshed.body.access_token);
    expect((await fs('POST', '/api/auth/logout', { auth: ended })).status).toBe(204);
    expect((await fs('POST', '/api/auth/logout', { auth: ended })).status).toBe(401);
    const again = await fs('POST', '/api/auth/login', { body: { email, password } });
    token = String(again.body.access_token);
  });

  it('features of one entity and of a batch', async () => {
    const route = '/v1/features/{entity}/{id}';
    const one = await fs('GET', route, { params: { entity: 'product', id: product }, auth: token });
    expect(one.status).toBe(200);
    expect((one.body.features as Json).avg_review).toMatchObject({ value: 3, stale: false });
    expect((one.body.features as Json).units_sold_7d).toMatchObject({
      value: 4,
      window: { start: expect.any(String), end: expect.any(String) },
    });
    expect((await fs('GET', route, { params: { entity: 'product', id: product } })).status).toBe(
      401,
    );
    const missing = await fs('GET', route, {
      params: { entity: 'product', id: `${product}-none` },
      auth: token,
    });
    expect([missing.status, missing.body.error_code]).toEqual([404, 2000]);
    const bad = await fs('GET', route, { params: { entity: 'planet', id: product }, auth: token });
    expect([bad.status, bad.body.error_code]).toEqual([400, 1000]);
    const names = await fs('GET', route, {
      params: { entity: 'product', id: product },
      query: { names: 'no_such_feature' },
      auth: token,
    });
    expect(names.status).toBe(400);

    const batch = await fs('POST', '/v1/features/batch', {
      body: { entity: 'product', ids: [product, `${product}-none`], features: ['avg_review'] },
      auth: token,
    });
    expect(batch.status).toBe(200);
    expect((batch.body.results as Json[])[1]).toEqual({
      entity: 'product',
      id: `${product}-none`,
      features: { avg_review: null },
    });
    expect(
      (
        await fs('POST', '/v1/features/batch', {
          body: { entity: 'product', ids: [] },
          auth: token,
        })
      ).status,
    ).toBe(400);
    expect(
      (await fs('POST', '/v1/features/batch', { body: { entity: 'product', ids: [product] } }))
        .status,
    ).toBe(401);
    const ids = Array.from({ length: config.serving.maxBatch + 1 }, (_, i) => `p${i}`);
    const large = await fs('POST', '/v1/features/batch', {
      body: { entity: 'product', ids },
      auth: token,
    });
    expect([large.status, large.body.error_code]).toEqual([413, 1002]);
  });

  it('the original API: a value, its 404 code, a bad or missing parameter, no token', async () => {
    const legacy = Object.keys(DOCS['feature-server'].paths as Json).filter((p) =>
      p.startsWith('/api/v1/'),
    );
    expect(legacy).toHaveLength(8);
    for (const path of legacy) {
      const params = (
        (DOCS['feature-server'].paths as Json)[path] as { get: { parameters: { name: string }[] } }
      ).get.parameters.map((p) => p.name);
      const query = (id: string) => Object.fromEntries(params.map((n) => [n, id]));
      expect((await fs('GET', path, { query: query(product), auth: token })).status).toBe(200);
      const none = await fs('GET', path, { query: query(`${product}-none`), auth: token });
      expect(none.status).toBe(404);
      expect(none.body.error_code).toBeGreaterThan(2000);
      expect((await fs('GET', path, { query: query('{braces}'), auth: token })).status).toBe(400);
      expect((await fs('GET', path, { auth: token })).status).toBe(400);
      expect((await fs('GET', path, { query: query(product) })).status).toBe(401);
    }
  });
});

describe('the control plane answers as docs/openapi/control-plane.json says', () => {
  const job = `contract-${run}`;
  const operator = () => config.control.apiKey;

  it('health', async () => {
    expect((await cp('GET', '/health')).status).toBe(200);
    expect((await cp('GET', '/health/ready')).status).toBe(200);
  });

  it('jobs and versions', async () => {
    expect((await cp('GET', '/v1/jobs')).status).toBe(401);
    expect((await cp('GET', '/v1/jobs', { auth: 'no-such-key' })).status).toBe(401);
    expect((await cp('GET', '/v1/jobs', { auth: keys.viewer })).status).toBe(200);
    const register = { name: job, kind: 'pyspark', source: 'spark-jobs/load_raw_events.py' };
    const refused = await cp('POST', '/v1/jobs', { body: register, auth: keys.viewer });
    expect([refused.status, refused.body.error_code]).toEqual([403, 1201]);
    const invalid = await cp('POST', '/v1/jobs', {
      body: { ...register, name: 'Bad Name' },
      auth: operator(),
    });
    expect([invalid.status, invalid.body.error_code]).toEqual([400, 1000]);
    expect((await cp('POST', '/v1/jobs', { body: register, auth: operator() })).status).toBe(201);
    const twice = await cp('POST', '/v1/jobs', { body: register, auth: operator() });
    expect([twice.status, twice.body.error_code]).toEqual([409, 1409]);
    expect(
      (await cp('GET', '/v1/jobs/{name}', { params: { name: job }, auth: keys.viewer })).status,
    ).toBe(200);
    expect(
      (await cp('GET', '/v1/jobs/{name}', { params: { name: `${job}-none` }, auth: keys.viewer }))
        .status,
    ).toBe(404);
    const version = await cp('POST', '/v1/jobs/{name}/versions', {
      params: { name: job },
      body: { source: 'spark-jobs/load_raw_events.py' },
      auth: operator(),
    });
    expect([version.status, version.body.version]).toEqual([201, 2]);
    const outside = await cp('POST', '/v1/jobs/{name}/versions', {
      params: { name: job },
      body: { source: '../etc/passwd' },
      auth: operator(),
    });
    expect(outside.status).toBe(400);
    const v1 = '/v1/jobs/{name}/versions/{version}';
    expect(
      (await cp('GET', v1, { params: { name: job, version: '1' }, auth: keys.viewer })).status,
    ).toBe(200);
    expect(
      (await cp('GET', v1, { params: { name: job, version: '9' }, auth: keys.viewer })).status,
    ).toBe(404);
    expect(
      (await cp('GET', v1, { params: { name: job, version: 'one' }, auth: keys.viewer })).status,
    ).toBe(400);
  });

  it('deployments', async () => {
    const deploy = '/v1/jobs/{name}/deployments';
    expect(
      (await cp('POST', deploy, { params: { name: job }, body: { version: 1 }, auth: keys.viewer }))
        .status,
    ).toBe(403);
    const batchJob = await cp('POST', deploy, {
      params: { name: job },
      body: { version: 1 },
      auth: operator(),
    });
    expect([batchJob.status, batchJob.body.error_code]).toEqual([400, 1000]);
    expect(
      (
        await cp('POST', deploy, {
          params: { name: `${job}-none` },
          body: { version: 1 },
          auth: operator(),
        })
      ).status,
    ).toBe(404);
    expect(
      (await cp('POST', deploy, { params: { name: job }, body: { version: 0 }, auth: operator() }))
        .status,
    ).toBe(400);
    const list = await cp('GET', '/v1/deployments', { query: { live: 'true' }, auth: keys.viewer });
    expect(list.status).toBe(200);
    expect(
      (await cp('GET', '/v1/deployments', { query: { job: 'Not A Name' }, auth: keys.viewer }))
        .status,
    ).toBe(400);
    const unknown = randomUUID();
    expect(
      (await cp('GET', '/v1/deployments/{id}', { params: { id: unknown }, auth: keys.viewer }))
        .status,
    ).toBe(404);
    expect(
      (await cp('GET', '/v1/deployments/{id}', { params: { id: 'not-a-uuid' }, auth: keys.viewer }))
        .status,
    ).toBe(400);
    for (const action of ['pause', 'resume', 'cancel', 'recover']) {
      const route = `/v1/deployments/{id}/${action}`;
      expect(
        (await cp('POST', route, { params: { id: unknown }, body: {}, auth: keys.viewer })).status,
      ).toBe(403);
      expect(
        (await cp('POST', route, { params: { id: unknown }, body: {}, auth: operator() })).status,
      ).toBe(404);
    }
    const upgrade = '/v1/deployments/{id}/upgrade';
    expect(
      (
        await cp('POST', upgrade, {
          params: { id: unknown },
          body: { version: 2 },
          auth: operator(),
        })
      ).status,
    ).toBe(404);
    expect(
      (await cp('POST', upgrade, { params: { id: unknown }, body: {}, auth: operator() })).status,
    ).toBe(400);
    // A running deployment (the stack's pipeline, when it runs) cannot be resumed: 409.
    const running = (list.body.deployments as Json[]).find((d) => d.desired_state === 'running');
    if (running) {
      const resume = await cp('POST', '/v1/deployments/{id}/resume', {
        params: { id: String(running.id) },
        body: {},
        auth: operator(),
      });
      expect(resume.status).toBe(409);
      expect(
        (
          await cp('GET', '/v1/deployments/{id}', {
            params: { id: String(running.id) },
            auth: keys.viewer,
          })
        ).status,
      ).toBe(200);
    }
  });

  it('runs and operations', async () => {
    const trigger = '/v1/jobs/{name}/runs';
    expect(
      (await cp('POST', trigger, { params: { name: job }, body: {}, auth: keys.viewer })).status,
    ).toBe(403);
    const noVersion = await cp('POST', trigger, {
      params: { name: job },
      body: { version: 9 },
      auth: operator(),
    });
    expect(noVersion.status).toBe(400);
    const arg = await cp('POST', trigger, {
      params: { name: job },
      body: { args: ['--brokers', 'x:1'] },
      auth: operator(),
    });
    expect([arg.status, arg.body.error_code]).toEqual([400, 1421]);
    expect(
      (await cp('POST', trigger, { params: { name: `${job}-none` }, body: {}, auth: operator() }))
        .status,
    ).toBe(404);
    // Accepted (the run itself fails at once: load_raw_events needs --input; not this test's subject).
    const key = `contract-${run}`;
    const accepted = await cp('POST', trigger, {
      params: { name: job },
      body: {},
      auth: operator(),
      headers: { 'idempotency-key': key },
    });
    expect(accepted.status).toBe(202);
    const reused = await cp('POST', trigger, {
      params: { name: job },
      body: { version: 1 },
      auth: operator(),
      headers: { 'idempotency-key': key },
    });
    expect([reused.status, reused.body.error_code]).toEqual([409, 1412]);
    const op = '/v1/operations/{id}';
    expect(
      (
        await cp('GET', op, {
          params: { id: String(accepted.body.operation_id) },
          auth: keys.viewer,
        })
      ).status,
    ).toBe(200);
    expect((await cp('GET', op, { params: { id: randomUUID() }, auth: keys.viewer })).status).toBe(
      404,
    );
    expect((await cp('GET', op, { params: { id: 'x' }, auth: keys.viewer })).status).toBe(400);
    // The run record is written by the worker when it takes the operation.
    let runs: Json[] = [];
    for (let i = 0; i < 60 && runs.length === 0; i++) {
      runs = (await cp('GET', '/v1/runs', { query: { job, limit: '5' }, auth: keys.viewer })).body
        .runs as Json[];
      if (runs.length === 0) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(runs).toHaveLength(1);
    expect(
      (await cp('GET', '/v1/runs/{id}', { params: { id: String(runs[0].id) }, auth: keys.viewer }))
        .status,
    ).toBe(200);
    expect(
      (await cp('GET', '/v1/runs/{id}', { params: { id: randomUUID() }, auth: keys.viewer }))
        .status,
    ).toBe(404);
    expect((await cp('GET', '/v1/runs', { query: { limit: '0' }, auth: keys.viewer })).status).toBe(
      400,
    );
    // Backfills: refused ones only (an accepted one would add runs; runs.medium-spec runs them).
    const backfill = '/v1/jobs/{name}/backfills';
    const range = { from: '2026-01-01', to: '2026-01-02' };
    expect(
      (await cp('POST', backfill, { params: { name: job }, body: range, auth: keys.viewer }))
        .status,
    ).toBe(403);
    const reversed = await cp('POST', backfill, {
      params: { name: job },
      body: { from: '2026-01-02', to: '2026-01-01' },
      auth: operator(),
    });
    expect([reversed.status, reversed.body.error_detail]).toEqual([
      400,
      [
        {
          loc: ['body', 'to'],
          msg: '2026-01-01 is before "from" (2026-01-02)',
          type: 'value_error',
        },
      ],
    ]);
    expect(
      (
        await cp('POST', backfill, {
          params: { name: `${job}-none` },
          body: range,
          auth: operator(),
        })
      ).status,
    ).toBe(404);
  });

  it('features, plan and apply', async () => {
    const listed = await cp('GET', '/v1/features', { auth: keys.viewer });
    expect(listed.status).toBe(200);
    const versions = '/v1/features/{name}/versions';
    expect(
      (await cp('GET', versions, { params: { name: 'no_such_feature' }, auth: keys.viewer }))
        .status,
    ).toBe(404);
    // A feature `fstore apply` recorded (when the stack's registry has one): its versions' schema.
    const applied = (listed.body.features as Json[]).find((f) => f.registry_version !== null);
    if (applied) {
      const answer = await cp('GET', versions, {
        params: { name: String(applied.name) },
        auth: keys.viewer,
      });
      expect([answer.status, (answer.body.versions as Json[])[0].version]).toEqual([
        200,
        applied.registry_version,
      ]);
    }
    const one = '/v1/features/{name}';
    expect(
      (await cp('GET', one, { params: { name: 'avg_review' }, auth: keys.viewer })).status,
    ).toBe(200);
    const value = await cp('GET', one, {
      params: { name: 'avg_review' },
      query: { entity_id: product },
      auth: keys.viewer,
    });
    expect([value.status, value.body.value]).toEqual([200, 3]);
    expect(
      (
        await cp('GET', one, {
          params: { name: 'avg_review' },
          query: { entity_id: 'a:b' },
          auth: keys.viewer,
        })
      ).status,
    ).toBe(400);
    expect(
      (await cp('GET', one, { params: { name: 'no_such_feature' }, auth: keys.viewer })).status,
    ).toBe(404);
    const empty = { definitions: { format: 1, features: [] }, jobs: [] };
    expect((await cp('POST', '/v1/features/plan', { body: empty, auth: keys.viewer })).status).toBe(
      200,
    );
    expect(
      (
        await cp('POST', '/v1/features/plan', {
          body: { ...empty, definitions: { format: 99 } },
          auth: keys.viewer,
        })
      ).status,
    ).toBe(400);
    expect(
      (await cp('POST', '/v1/features/apply', { body: empty, auth: keys.viewer })).status,
    ).toBe(403);
    expect(
      (
        await cp('POST', '/v1/features/apply', {
          body: { ...empty, definitions: { format: 99 } },
          auth: operator(),
        })
      ).status,
    ).toBe(400);
  });

  it('the web console: session sign-in, its cookie, sign-out, health', async () => {
    expect((await cp('POST', '/v1/session', { body: { api_key: '' } })).status).toBe(400);
    expect((await cp('POST', '/v1/session', { body: { api_key: 'no-such-key' } })).status).toBe(
      401,
    );
    const signIn = await cp('POST', '/v1/session', { body: { api_key: keys.viewer } });
    expect(signIn.status).toBe(200);
    expect(signIn.body).toMatchObject({ role: 'viewer' });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/=./);
    expect((await cp('GET', '/v1/session', { headers: { cookie } })).body).toMatchObject({
      role: 'viewer',
      csrf_token: signIn.body.csrf_token,
    });
    // The key alone is no console session.
    expect((await cp('GET', '/v1/session', { auth: keys.viewer })).status).toBe(401);
    expect((await cp('DELETE', '/v1/session', { headers: { cookie } })).status).toBe(204);
    expect((await cp('GET', '/v1/console/health')).status).toBe(401);
    expect((await cp('GET', '/v1/console/health', { auth: keys.viewer })).status).toBe(200);
    const history = (minutes: string) =>
      cp('GET', '/v1/console/health/history', { query: { minutes }, auth: keys.viewer });
    expect((await history('30')).status).toBe(200);
    const tooShort = await history('2');
    expect(tooShort.status).toBe(400);
    expect(JSON.stringify(tooShort.body)).toContain('minutes');
  });

  it("the web console: a serving user's sign-in with e-mail and password", async () => {
    const signIn = (body: unknown) => cp('POST', '/v1/session', { body });
    // Which credential: one kind, and all of it.
    expect(await signIn({ api_key: keys.viewer, email: viewerEmail, password })).toMatchObject({
      status: 400,
      body: {
        error_code: 1000,
        error_message: 'Request validation error',
        error_detail: [
          {
            loc: ['body', 'email'],
            msg: 'give either api_key, or email and password, not both',
            type: 'value_error.conflict',
          },
          {
            loc: ['body', 'password'],
            msg: 'give either api_key, or email and password, not both',
            type: 'value_error.conflict',
          },
        ],
      },
    });
    expect(await signIn({ email: viewerEmail })).toMatchObject({
      status: 400,
      body: {
        error_code: 1000,
        error_detail: [
          { loc: ['body', 'password'], msg: 'field required', type: 'value_error.missing' },
        ],
      },
    });
    expect((await signIn({})).body.error_detail).toEqual([
      {
        loc: ['body', 'api_key'],
        msg: 'field required (or email and password)',
        type: 'value_error.missing',
      },
    ]);
    expect((await signIn({ email: 'not-an-email', password })).status).toBe(400);
    // Wrong credentials: 401 naming the field, the same words for an unknown e-mail.
    const wrong = {
      status: 401,
      body: {
        error_code: 1200,
        error_message: 'Not authenticated: wrong e-mail or password',
        error_detail: [
          {
            loc: ['body', 'password'],
            msg: 'wrong e-mail or password',
            type: 'value_error.credentials',
          },
        ],
      },
    };
    expect(await signIn({ email: viewerEmail, password: `${password}x` })).toMatchObject(wrong);
    expect(await signIn({ email: `nobody-${run}@example.com`, password })).toMatchObject(wrong);
    expect(await signIn({ api_key: 'fsk_no-such-key' })).toMatchObject({
      status: 401,
      body: {
        error_code: 1200,
        error_message: 'Not authenticated: unknown, revoked or expired API key',
        error_detail: [
          {
            loc: ['body', 'api_key'],
            msg: 'unknown, revoked or expired API key',
            type: 'value_error.credentials',
          },
        ],
      },
    });
    // A reader may only read features: the right password, refused 403.
    expect(await signIn({ email, password })).toMatchObject({
      status: 403,
      body: {
        error_code: 1201,
        error_message: 'Permission denied: role reader may not use the console (needs viewer)',
        error_detail: [
          {
            loc: ['body', 'email'],
            msg: 'a reader may only read features; the console needs a viewer, operator or admin',
            type: 'value_error.role',
          },
        ],
      },
    });
    // The viewer: a session as user:<e-mail>, in any case of the e-mail.
    const before = Date.now();
    const opened = await signIn({ email: viewerEmail.toUpperCase(), password, ttl_seconds: 120 });
    expect(opened.status).toBe(200);
    expect(opened.body).toEqual({
      actor: `user:${viewerEmail}`,
      role: 'viewer',
      expires_at: expect.any(String),
      csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/),
    });
    const expires = Date.parse(String(opened.body.expires_at));
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 120000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 120000);
    const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0];
    expect((await cp('GET', '/v1/session', { headers: { cookie } })).body).toEqual(opened.body);
    expect((await cp('GET', '/v1/jobs', { headers: { cookie } })).status).toBe(200);
    const audit = await cp('GET', '/v1/audit', {
      query: { actor: `user:${viewerEmail}`, limit: '5' },
      auth: keys.admin,
    });
    expect((audit.body.entries as Json[]).map((e) => [e.action, e.outcome, e.detail])).toEqual([
      [
        'console.sign_in',
        'succeeded',
        { signed_in_with: 'password', expires_at: opened.body.expires_at },
      ],
    ]);
    const readerAudit = await cp('GET', '/v1/audit', {
      query: { actor: `user:${email}`, limit: '5' },
      auth: keys.admin,
    });
    expect((readerAudit.body.entries as Json[]).map((e) => [e.action, e.outcome])).toEqual([
      ['console.sign_in', 'refused 403'],
    ]);
    // Removing the user ends the session at its next request.
    expect(await new UsersRepository(pool).remove(viewerEmail)).toBe(true);
    expect(await cp('GET', '/v1/session', { headers: { cookie } })).toMatchObject({
      status: 401,
      body: {
        error_code: 1200,
        error_message:
          'Not authenticated: the user of the session was removed or may no longer use the console',
        error_detail: null,
      },
    });
  });

  it('audit and API keys', async () => {
    expect(
      (await cp('GET', '/v1/audit', { query: { limit: '5' }, auth: keys.viewer })).status,
    ).toBe(200);
    expect(
      (await cp('GET', '/v1/audit', { query: { limit: '0' }, auth: keys.viewer })).status,
    ).toBe(400);
    expect((await cp('GET', '/v1/apikeys', { auth: operator() })).status).toBe(403);
    const list = await cp('GET', '/v1/apikeys', { auth: keys.admin });
    expect(list.status).toBe(200);
    const viewer = (list.body.keys as Json[]).find((k) => k.name === `contract-viewer-${run}`)!;
    const revoke = '/v1/apikeys/{id}/revoke';
    expect(
      (await cp('POST', revoke, { params: { id: randomUUID() }, auth: keys.admin })).status,
    ).toBe(404);
    expect(
      (await cp('POST', revoke, { params: { id: String(viewer.id) }, auth: keys.admin })).status,
    ).toBe(200);
    expect((await cp('GET', '/v1/jobs', { auth: keys.viewer })).status).toBe(401);
    const admin = (list.body.keys as Json[]).find((k) => k.name === `contract-admin-${run}`)!;
    expect(
      (await cp('POST', revoke, { params: { id: String(admin.id) }, auth: keys.admin })).status,
    ).toBe(200);
  });
});

// Last (jest runs a file's tests in order): every documented route was called, and every answer
// was documented and matched its schema.
it('called every documented route; every answer was documented and valid', () => {
  const uncalled = [...seen].filter(([, statuses]) => statuses.size === 0).map(([k]) => k);
  expect({ uncalled, problems }).toEqual({ uncalled: [], problems: [] });
});
