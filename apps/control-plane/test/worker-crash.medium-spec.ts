import { Harness, eventually, sleep } from './harness';

// The worker is killed (SIGKILL) in the middle of a deploy, after Flink accepted the job and
// before the operation was recorded as done; a new worker process resumes the operation and
// completes it exactly once: one Flink job, one deployment, one success.
jest.setTimeout(300000);

const h = new Harness();
const job = `crash-${h.id}`;

// The API here queues only; the workers are separate processes (node bin/app.js control-plane
// --worker-only) that the test kills and starts.
beforeAll(() => h.start({ worker: false, reconciler: false }));
afterAll(() => h.stop([job]));

it('a worker killed mid-operation and restarted completes the operation exactly once', async () => {
  const input = await h.topic();
  const output = await h.topic();
  const reg = await h.call('POST', '/v1/jobs', {
    body: {
      name: job,
      kind: 'flink-sql',
      source: 'flink-sql/last_purchase_amount.sql',
      parameters: { TRANSACTIONS_TOPIC: input, FEATURE_TOPIC: output },
    },
  });
  expect(reg.status).toBe(201);
  const first = h.spawnWorker();
  const exited = new Promise((r) => first.once('exit', r));

  const deploy = await h.call('POST', `/v1/jobs/${job}/deployments`, { body: { version: 1 } });
  expect(deploy.status).toBe(202);
  const opId: string = deploy.body.operation_id;
  const pipeline = `fstore/${job}/${opId}`;

  // Kill the worker as soon as Flink has the job (it is then waiting for the tasks to run).
  await eventually(
    'the job submitted by the first worker',
    async () => (await h.flinkJobs(job)).some((j) => j.name === pipeline),
    120000,
  );
  first.kill('SIGKILL');
  await exited;
  const during = (await h.call('GET', `/v1/operations/${opId}`)).body;
  expect(during.status).toBe('running');
  expect(during.attempts).toBe(1);

  // Nothing happens without a worker; a new one picks the stalled operation up.
  await sleep(1000);
  const t0 = Date.now();
  h.spawnWorker();
  const done = await h.operation(opId, 120000);
  const recoveryMs = Date.now() - t0;
  expect(done).toMatchObject({ status: 'succeeded', attempts: 2 });

  // Exactly once: one Flink job under the operation's name, the one the deployment records.
  const jobs = await h.flinkJobs(job);
  expect(jobs.map((j) => j.name)).toEqual([pipeline]);
  expect(jobs[0].state).toBe('RUNNING');
  const depId = String(done.target).replace('deployment:', '');
  const dep = (await h.call('GET', `/v1/deployments/${depId}`)).body;
  expect(dep).toMatchObject({
    flink_job_id: jobs[0].jid,
    observed_state: 'RUNNING',
    desired_state: 'running',
    pending_operation_id: null,
  });
  const audit = await h.sql(`SELECT action, outcome FROM audit_log WHERE target = $1 ORDER BY id`, [
    done.target,
  ]);
  expect(audit).toEqual([
    { action: 'deployment.deploy', outcome: 'accepted' },
    { action: 'operation.deploy', outcome: 'succeeded' },
  ]);
  console.log(
    `worker restarted: operation completed ${recoveryMs} ms after the new worker started`,
  );
});
