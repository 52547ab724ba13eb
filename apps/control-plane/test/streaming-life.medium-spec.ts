import { Harness, Json, eventually, purchase, sleep } from './harness';

// A streaming job's whole life through the control plane's API, against the real PostgreSQL,
// queue Redis, Kafka and Flink: register, deploy, pause, resume, upgrade, cancel.
jest.setTimeout(600000);

const h = new Harness();
const job = `life-${h.id}`;

beforeAll(() => h.start());
afterAll(() => h.stop([job]));

it('registers, deploys, pauses, resumes without reprocessing, upgrades and cancels a Flink job', async () => {
  const input = await h.topic();
  const out1 = await h.topic();
  const out2 = await h.topic();
  const seen1 = await h.collect(out1);
  const seen2 = await h.collect(out2);
  const times: Record<string, number> = {};
  const timed = async <T>(step: string, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const r = await f();
    times[step] = Date.now() - t0;
    return r;
  };

  // Register: version 1 writes to out1, version 2 (the upgrade) to out2; same SQL file.
  const v1 = await h.call('POST', '/v1/jobs', {
    body: {
      name: job,
      kind: 'flink-sql',
      source: 'flink-sql/last_purchase_amount.sql',
      parameters: { TRANSACTIONS_TOPIC: input, FEATURE_TOPIC: out1 },
    },
  });
  expect(v1.status).toBe(201);
  expect(v1.body).toMatchObject({ job, version: 1, created_by: 'key:test-operator' });
  expect(v1.body.sha256).toMatch(/^[0-9a-f]{64}$/);
  const v2 = await h.call('POST', `/v1/jobs/${job}/versions`, {
    body: {
      source: 'flink-sql/last_purchase_amount.sql',
      parameters: { TRANSACTIONS_TOPIC: input, FEATURE_TOPIC: out2 },
    },
  });
  expect(v2.status).toBe(201);
  expect(v2.body.version).toBe(2);
  // Versions are immutable, even for the database's own users.
  await expect(
    h.sql(`UPDATE job_versions SET source = 'x' WHERE job_name = $1`, [job]),
  ).rejects.toThrow(/immutable/);

  const N = 20;
  const M = 10;
  const customers = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => `c-${h.id}-${from + i}`);
  await h.produce(
    input,
    customers(0, N).map((c, i) => purchase(c, i, '2026-01-01 10:00:00')),
  );

  // Deploy (idempotent: the same key gives the same operation).
  const key = `deploy-${h.id}`;
  const deploy = await h.call('POST', `/v1/jobs/${job}/deployments`, {
    body: { version: 1 },
    headers: { 'idempotency-key': key },
  });
  expect(deploy.status).toBe(202);
  const again = await h.call('POST', `/v1/jobs/${job}/deployments`, {
    body: { version: 1 },
    headers: { 'idempotency-key': key },
  });
  expect(again.body).toMatchObject({ operation_id: deploy.body.operation_id, created: false });
  const depId = String(deploy.body.target).replace('deployment:', '');
  const deployed = await timed('deploy', () => h.operation(deploy.body.operation_id));
  expect(deployed).toMatchObject({ status: 'succeeded', attempts: 1 });
  let dep = (await h.call('GET', `/v1/deployments/${depId}`)).body;
  expect(dep).toMatchObject({
    job,
    version: 1,
    desired_state: 'running',
    observed_state: 'RUNNING',
    pending_operation_id: null,
    stale: false,
  });
  const firstJob: string = dep.flink_job_id;
  expect((await h.flink.status(firstJob)).state).toBe('RUNNING');
  await eventually(`${N} changelog records`, () => seen1.length >= N);

  // Pause: stop with a savepoint, recorded.
  const pause = await h.call('POST', `/v1/deployments/${depId}/pause`, { body: {} });
  expect(pause.status).toBe(202);
  expect(await timed('pause', () => h.operation(pause.body.operation_id))).toMatchObject({
    status: 'succeeded',
  });
  dep = (await h.call('GET', `/v1/deployments/${depId}`)).body;
  expect(dep).toMatchObject({ desired_state: 'paused', observed_state: 'FINISHED' });
  expect(dep.last_savepoint).toMatch(/savepoint-/);
  expect((await h.flink.status(firstJob)).state).toBe('FINISHED');

  // Illegal: pause a paused deployment.
  const pauseAgain = await h.call('POST', `/v1/deployments/${depId}/pause`, { body: {} });
  expect(pauseAgain.status).toBe(409);
  expect(pauseAgain.body).toMatchObject({
    error_code: 1410,
    error_message: `Cannot pause deployment:${depId}: it is paused`,
  });

  // Resume from the savepoint: the new job reads only what came after it.
  await h.produce(
    input,
    customers(N, M).map((c, i) => purchase(c, N + i, '2026-01-01 11:00:00')),
  );
  const resume = await h.call('POST', `/v1/deployments/${depId}/resume`, { body: {} });
  const resumed = await timed('resume', () => h.operation(resume.body.operation_id));
  expect(resumed).toMatchObject({ status: 'succeeded' });
  expect(resumed.result.from_savepoint).toBe(dep.last_savepoint);
  dep = (await h.call('GET', `/v1/deployments/${depId}`)).body;
  expect(dep).toMatchObject({ desired_state: 'running', observed_state: 'RUNNING' });
  const secondJob: string = dep.flink_job_id;
  expect(secondJob).not.toBe(firstJob);
  await eventually(`${N + M} changelog records`, () => seen1.length >= N + M);
  const sourceOut = async () => (await h.flink.status(secondJob)).vertices[0].recordsOut;
  // The resumed job's source emitted the M new events, not the N before the savepoint.
  await eventually(
    'source metrics of the resumed job',
    async () => (await sourceOut()) >= M,
    60000,
  );
  await sleep(3000);
  expect(await sourceOut()).toBe(M);
  expect(seen1).toHaveLength(N + M);
  expect(new Set(seen1.map((r) => r.key)).size).toBe(N + M);
  expect((await h.call('POST', `/v1/deployments/${depId}/resume`, { body: {} })).status).toBe(409);

  // Upgrade to version 2 through a savepoint: the state carries over (an older event of a known
  // customer changes nothing), new results go to version 2's topic.
  const upgrade = await h.call('POST', `/v1/deployments/${depId}/upgrade`, {
    body: { version: 2 },
  });
  expect(upgrade.status).toBe(202);
  const upgraded = await timed('upgrade', () => h.operation(upgrade.body.operation_id));
  expect(upgraded).toMatchObject({
    status: 'succeeded',
    result: { version: 2, previous_version: 1 },
  });
  dep = (await h.call('GET', `/v1/deployments/${depId}`)).body;
  expect(dep).toMatchObject({ version: 2, desired_state: 'running', observed_state: 'RUNNING' });
  const thirdJob: string = dep.flink_job_id;
  expect(thirdJob).not.toBe(secondJob);
  expect((await h.flink.status(secondJob)).state).toBe('FINISHED');
  const K = 5;
  await h.produce(input, [
    ...customers(N + M, K).map((c, i) => purchase(c, N + M + i, '2026-01-01 12:00:00')),
    purchase(customers(0, 1)[0], 999, '2025-12-31 09:00:00', '999.00'),
  ]);
  await eventually(`${K} records on version 2's topic`, () => seen2.length >= K);
  await sleep(3000);
  expect(seen2).toHaveLength(K);
  expect(seen1).toHaveLength(N + M);

  // Cancel.
  const cancel = await h.call('POST', `/v1/deployments/${depId}/cancel`, { body: {} });
  expect(await timed('cancel', () => h.operation(cancel.body.operation_id))).toMatchObject({
    status: 'succeeded',
  });
  dep = (await h.call('GET', `/v1/deployments/${depId}`)).body;
  expect(dep).toMatchObject({ desired_state: 'cancelled', observed_state: 'CANCELED' });
  expect((await h.flink.status(thirdJob)).state).toBe('CANCELED');
  expect((await h.call('POST', `/v1/deployments/${depId}/cancel`, { body: {} })).status).toBe(409);

  // Every state change persisted and audited.
  const ops = await h.sql(
    `SELECT kind, status FROM operations WHERE target = $1 ORDER BY created_at`,
    [`deployment:${depId}`],
  );
  expect(ops).toEqual(
    ['deploy', 'pause', 'resume', 'upgrade', 'cancel'].map((kind) => ({
      kind,
      status: 'succeeded',
    })),
  );
  const audit = (
    await h.call('GET', `/v1/audit?target=deployment:${depId}&limit=100`, { key: h.keys.viewer })
  ).body.entries as Json[];
  const trail = audit
    .reverse()
    .map((e) => `${e.action} ${e.outcome}`)
    .filter((line) => !line.startsWith('operation.') || line.endsWith('succeeded'));
  expect(trail).toEqual([
    'deployment.deploy accepted',
    'operation.deploy succeeded',
    'deployment.pause accepted',
    'operation.pause succeeded',
    'deployment.pause refused 409',
    'deployment.resume accepted',
    'operation.resume succeeded',
    'deployment.resume refused 409',
    'deployment.upgrade accepted',
    'operation.upgrade succeeded',
    'deployment.cancel accepted',
    'operation.cancel succeeded',
    'deployment.cancel refused 409',
  ]);
  expect(audit.every((e) => e.actor === 'key:test-operator')).toBe(true);
  console.log(`control-plane streaming life, ms per operation: ${JSON.stringify(times)}`);
});
