import { Harness } from './harness';

// Credentials, roles, validation and conflicts over HTTP, against the real PostgreSQL and queue
// Redis. No operation here needs Flink to finish.
jest.setTimeout(120000);

const h = new Harness();
const job = `api-${h.id}`;

beforeAll(async () => {
  await h.start({ worker: false, reconciler: false });
  const reg = await h.call('POST', '/v1/jobs', {
    body: { name: job, kind: 'flink-sql', source: 'flink-sql/avg_review.sql' },
  });
  expect(reg.status).toBe(201);
});
afterAll(() => h.stop([job]));

describe('authentication and roles', () => {
  it('401 without a key, with a malformed header, or with an unknown key', async () => {
    const cases: Record<string, string>[] = [
      {},
      { authorization: 'Basic abc' },
      { authorization: 'Bearer fsk_nope' },
    ];
    for (const headers of cases) {
      const res = await h.call('GET', '/v1/jobs', { key: null, headers });
      expect(res.status).toBe(401);
      expect(res.body.error_code).toBe(1200);
      expect(res.body.error_message).toMatch(/^Not authenticated: /);
    }
  });

  it('a viewer reads but may not act (403); an operator acts; keys work as X-API-Key too', async () => {
    expect((await h.call('GET', '/v1/jobs', { key: h.keys.viewer })).status).toBe(200);
    const viaHeader = await h.call('GET', `/v1/jobs/${job}`, {
      key: null,
      headers: { 'x-api-key': h.keys.viewer },
    });
    expect(viaHeader.status).toBe(200);
    const denied = await h.call('POST', `/v1/jobs/${job}/deployments`, {
      key: h.keys.viewer,
      body: { version: 1 },
    });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({
      error_code: 1201,
      error_message: 'Permission denied: role viewer may not do this (needs operator)',
    });
    const refused = await h.sql(
      `SELECT actor, action, target, outcome FROM audit_log WHERE outcome = 'refused 403'`,
    );
    expect(refused).toEqual([
      {
        actor: 'key:test-viewer',
        action: 'deployment.deploy',
        target: `job:${job}`,
        outcome: 'refused 403',
      },
    ]);
    const version = await h.call('POST', `/v1/jobs/${job}/versions`, {
      key: h.keys.admin,
      body: { source: 'flink-sql/avg_review.sql' },
    });
    expect(version.status).toBe(201);
  });

  it('public: /health, /health/ready, /metrics, /docs', async () => {
    expect((await h.call('GET', '/health', { key: null })).body).toEqual({ status: 'ok' });
    const ready = await h.call('GET', '/health/ready', { key: null });
    expect([200, 503]).toContain(ready.status);
    expect((await fetch(`${h.base}/metrics`)).status).toBe(200);
    const docs = await fetch(`${h.base}/docs-json`);
    const spec = (await docs.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/deployments/{id}/pause', '/v1/jobs/{name}/runs']),
    );
  });
});

describe('validation (400 naming the field)', () => {
  it.each([
    ['a wrong type', { version: 'one' }, ['body', 'version']],
    ['a missing field', {}, ['body', 'version']],
    ['an unknown field', { version: 1, force: true }, ['body', 'force']],
  ])('deploy with %s', async (_, body, loc) => {
    const res = await h.call('POST', `/v1/jobs/${job}/deployments`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe(1000);
    expect(res.body.error_detail[0].loc).toEqual(loc);
  });

  it.each([
    ['outside the job folders', '../etc/passwd'],
    ['escaping by ..', 'flink-sql/../package.json'],
    ['of the wrong kind', 'spark-jobs/x.sql'],
    ['absolute', '/etc/passwd'],
    ['missing', 'flink-sql/no_such_job.sql'],
  ])('register a source %s', async (_, source) => {
    const res = await h.call('POST', '/v1/jobs', {
      body: { name: `bad-${h.id}`, kind: 'flink-sql', source },
    });
    expect(res.status).toBe(400);
    expect(res.body.error_detail[0].loc).toEqual(['body', 'source']);
  });

  it('a path id that is not a UUID', async () => {
    const res = await h.call('POST', '/v1/deployments/42/pause', { body: {} });
    expect(res.status).toBe(400);
    expect(res.body.error_detail[0].loc).toEqual(['path', 'id']);
  });
});

describe('conflicts (409)', () => {
  it('a second live deployment of a job, resume of a running one, and a reused idempotency key', async () => {
    const first = await h.call('POST', `/v1/jobs/${job}/deployments`, {
      body: { version: 1 },
      headers: { 'idempotency-key': `k-${h.id}` },
    });
    expect(first.status).toBe(202);
    const depId = String(first.body.target).replace('deployment:', '');
    const second = await h.call('POST', `/v1/jobs/${job}/deployments`, { body: { version: 2 } });
    expect(second.status).toBe(409);
    expect(second.body.error_detail[0]).toMatchObject({ loc: ['deployment_id'], msg: depId });
    // The deployment is owned by its (queued) deploy operation: no other action meanwhile.
    const busy = await h.call('POST', `/v1/deployments/${depId}/pause`, { body: {} });
    expect(busy.status).toBe(409);
    expect(busy.body.error_code).toBe(1411);
    // Pretend the deploy finished (the worker is off here) and try to resume a running job.
    await h.sql(
      `UPDATE deployments SET pending_operation_id = NULL, observed_state = 'RUNNING' WHERE id = $1`,
      [depId],
    );
    const resume = await h.call('POST', `/v1/deployments/${depId}/resume`, { body: {} });
    expect(resume.status).toBe(409);
    expect(resume.body).toEqual({
      error_code: 1410,
      error_message: `Cannot resume deployment:${depId}: it is running`,
      error_detail: [
        {
          loc: ['state'],
          msg: 'only a paused deployment can be resumed',
          type: 'state_error.illegal_transition',
        },
      ],
    });
    const reused = await h.call('POST', `/v1/jobs/${job}/deployments`, {
      body: { version: 2 },
      headers: { 'idempotency-key': `k-${h.id}` },
    });
    expect(reused.status).toBe(409);
    expect(reused.body.error_code).toBe(1412);
    const audit = await h.call('GET', `/v1/audit?target=deployment:${depId}`, {
      key: h.keys.viewer,
    });
    expect(audit.body.entries.map((e: { outcome: string }) => e.outcome)).toEqual(
      expect.arrayContaining(['accepted', 'refused 409']),
    );
  });
});
