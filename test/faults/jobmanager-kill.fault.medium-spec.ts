import { spawnSync } from 'child_process';
import { rmSync } from 'fs';
import { join } from 'path';
import { FstoreConfig, loadConfig, PROJECT_ROOT } from '@fstore/config';
import { STREAM_FEATURES } from '@fstore/contracts';
import { StackContext } from '../../apps/cli/src/stack/component';
import { runningPid, StackPaths } from '../../apps/cli/src/stack/processes';
import { ensureSupervisor, stopSupervisor } from '../../apps/cli/src/stack/supervisor';
import { eventually, Harness, Json, sleep } from '../../apps/control-plane/test/harness';

/**
 * Recovery without a human: the local stack's Flink has no high availability, so a JobManager
 * that dies forgets every job. SIGKILLs the JobManager (the supervisor restarts it, as in
 * taskmanager-kill) with two deployments running and checkpointed:
 *
 * 1. a job of a control plane of this test's own (its reconciler every 2 s), on topics of its own:
 *    the reconciler sees it vanished and queues `recover` itself (audited as system:reconciler),
 *    which resubmits it from the newest retained checkpoint of the vanished Flink job; a
 *    per-customer count of purchases_1h continues from its pre-kill value (3 → 5, a redelivered
 *    pre-kill event still counted once: the dedupe state came back too) instead of restarting;
 * 2. the stack's own pipeline (`features-transactions` on the stack's control plane): `fstore
 *    pipeline up` recovers it at once, or finds the stack's reconciler did; either way it runs a
 *    new Flink job restored from a checkpoint of the old one, and the stack is as before.
 *
 * Needs the stack's control plane to run this checkout's code (the recover route).
 */
jest.setTimeout(300000);

// The stack's own settings, before the harness points this process at its own schema and queue.
const stackEnv = { ...process.env };
const config: FstoreConfig = loadConfig();
const ctx: StackContext = { config, paths: new StackPaths(config.stackDir), log: () => undefined };
const h = new Harness();
const job = `recover-${h.id}`;
const customer = `c-${h.id}`;
let startedSupervisor = false;
let vanishedJobId: string | undefined;

/** The real `fstore` of this checkout, with the stack's settings. */
function fstore(...args: string[]) {
  const res = spawnSync('node', [join(PROJECT_ROOT, 'bin/fstore.js'), ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 240000,
    env: stackEnv,
  });
  if (res.status !== 0) throw new Error(`fstore ${args.join(' ')}: ${res.status} ${res.stderr}`);
  return res.stdout;
}

/** The stack's control plane (FSTORE_API_KEY of the stack). */
async function stackControlPlane(path: string): Promise<Json> {
  const res = await fetch(`${config.control.url}${path}`, {
    headers: { authorization: `Bearer ${config.control.apiKey}` },
  });
  expect(res.status).toBe(200);
  return res.json();
}

const stackDeployment = async (): Promise<Json> =>
  ((await stackControlPlane('/v1/deployments?live=true')).deployments as Json[]).find(
    (d) => d.job === 'features-transactions',
  );

/** A purchase of the test's customer (design §2 columns the transactions job reads). */
const purchase = (seq: number) => ({
  event_id: `e-${h.id}-${seq}`,
  customer_id: customer,
  product_id: `p-${h.id}`,
  category: `cat-${h.id}`,
  price: '10.00',
  quantity: 1,
  // One 1-minute tile: its count is the customer's count.
  transaction_date: '2026-01-01 10:00:30',
  review_rating: null,
});

beforeAll(async () => {
  // The stack's pipeline runs (a no-op when it already does).
  fstore('pipeline', 'up', '--quiet');
  process.env.FSTORE_SUPERVISOR_INTERVAL_SECONDS ??= '2';
  startedSupervisor = ensureSupervisor(ctx) !== undefined;
  await h.start();
});

afterAll(async () => {
  // The stack as before: the JobManager and the stack's pipeline back (if a check failed early).
  if (runningPid(ctx.paths, 'jobmanager') === undefined) fstore('stack', 'up', 'flink');
  await eventually(
    "the stack's pipeline running",
    async () => {
      const d = await stackDeployment().catch(() => undefined);
      if (d?.observed_state === 'RUNNING' && !d.pending_operation_id) return true;
      if (d && !d.pending_operation_id) fstore('pipeline', 'up', '--quiet');
      return false;
    },
    180000,
  ).catch((e: Error) => console.error(e.message));
  if (startedSupervisor) await stopSupervisor(ctx);
  await h.stop([job]);
  // Flink forgot the vanished job: the harness cannot find it to remove its checkpoints.
  if (vanishedJobId) {
    rmSync(join(config.flink.checkpointDir, vanishedJobId), { recursive: true, force: true });
  }
});

it('a killed JobManager forgets the jobs; the control plane recovers them from their checkpoints', async () => {
  // The compiled features job, on topics of the test's own.
  const input = await h.topic();
  const prefix = `test.${h.id}.features.`;
  for (const f of STREAM_FEATURES) await h.topic(1, `${prefix}${f.name}`);
  const counts = await h.collect(`${prefix}purchases_1h`);
  /** The customer's tile counts, in the order the job wrote them. */
  const countsOf = (records: { value: string | null }[]) =>
    records
      .filter((r) => r.value !== null)
      .map((r) => JSON.parse(r.value!) as { customer_id: string; events: number })
      .filter((v) => v.customer_id === customer)
      .map((v) => Number(v.events));
  expect(
    (
      await h.call('POST', '/v1/jobs', {
        body: {
          name: job,
          kind: 'flink-sql',
          source: 'flink-sql/transactions.sql',
          parameters: { TRANSACTIONS_TOPIC: input, FEATURE_TOPIC_PREFIX: prefix },
        },
      })
    ).status,
  ).toBe(201);
  const deploy = await h.call('POST', `/v1/jobs/${job}/deployments`, { body: { version: 1 } });
  expect((await h.operation(deploy.body.operation_id)).status).toBe('succeeded');
  const depId = String(deploy.body.target).replace('deployment:', '');
  const get = async () => (await h.call('GET', `/v1/deployments/${depId}`)).body;
  const before = await get();
  expect(before).toMatchObject({ observed_state: 'RUNNING', drift: null, last_savepoint: null });
  vanishedJobId = String(before.flink_job_id);

  // Three purchases, counted; then a checkpoint completed after they were: its state holds them.
  await h.produce(input, [purchase(1), purchase(2), purchase(3)]);
  await eventually('the count of 3', () => countsOf(counts).at(-1) === 3, 60000);
  const counted = Date.now();
  const checkpoint = await eventually(
    'a checkpoint after the count',
    async () => {
      const stats = await h.flink.jobManager.checkpoints(vanishedJobId!);
      const latest = stats.latest.completed;
      return stats.counts.completed >= 1 && latest && latest.latest_ack_timestamp > counted
        ? latest
        : undefined;
    },
    60000,
  );
  const stackBefore = await stackDeployment();
  expect(stackBefore).toMatchObject({ desired_state: 'running', observed_state: 'RUNNING' });

  // The JobManager dies; the supervisor restarts it, without the jobs.
  const pid = runningPid(ctx.paths, 'jobmanager');
  expect(pid).toBeDefined();
  const killedAt = Date.now();
  const seenBeforeKill = counts.length;
  process.kill(pid!, 'SIGKILL');
  await eventually(
    'a new JobManager',
    async () => {
      const p = runningPid(ctx.paths, 'jobmanager');
      return p !== undefined && p !== pid;
    },
    60000,
  ).catch(() => fstore('stack', 'up', 'flink'));

  // This control plane's reconciler: vanished, then its own recover operation.
  const recover = await eventually(
    'the reconciler to queue a recover operation',
    async () => {
      const [row] = await h.sql(`SELECT id FROM operations WHERE kind = 'recover'`);
      return row?.id as string | undefined;
    },
    120000,
  );
  const recovered = await h.operation(recover, 180000);
  const restoredFrom = String(recovered.result?.restored_from);
  expect(recovered).toMatchObject({
    kind: 'recover',
    status: 'succeeded',
    target: `deployment:${depId}`,
    result: { previous_flink_job_id: vanishedJobId, restored_kind: 'checkpoint' },
  });
  // The newest complete checkpoint of the vanished job: the one seen, or a later one.
  const dir = join(config.flink.checkpointDir, vanishedJobId).replace(
    /[.*+?^${}()|[\]\\]/g,
    '\\$&',
  );
  const restored = new RegExp(`^file://${dir}/chk-(\\d+)$`);
  expect(restoredFrom).toMatch(restored);
  expect(Number(restored.exec(restoredFrom)![1])).toBeGreaterThanOrEqual(checkpoint.id);
  const after = await eventually(
    'observed running again',
    async () => {
      const d = await get();
      return d.observed_state === 'RUNNING' && !d.pending_operation_id && d;
    },
    30000,
  );
  expect(after).toMatchObject({ desired_state: 'running', version: 1, drift: null });
  expect(after.flink_job_id).toBe(recovered.result.flink_job_id);
  expect(after.flink_job_id).not.toBe(vanishedJobId);
  expect((await h.flink.status(after.flink_job_id)).state).toBe('RUNNING');
  const audit = await h.call('GET', `/v1/audit?target=deployment:${depId}`, { key: h.keys.admin });
  expect(audit.body.entries).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        actor: 'system:reconciler',
        action: 'deployment.recover',
        outcome: 'accepted',
      }),
      expect.objectContaining({
        actor: 'system:reconciler',
        action: 'operation.recover',
        outcome: 'succeeded',
      }),
    ]),
  );

  // The count goes on from 3: two new purchases and a redelivery of a counted one make 5.
  await h.produce(input, [purchase(4), purchase(5), purchase(2)]);
  await eventually('the count of 5', () => countsOf(counts).at(-1) === 5, 60000);
  await sleep(3000); // a late record of a restarted count would show here
  const sinceKill = countsOf(counts.slice(seenBeforeKill));
  expect(sinceKill.at(-1)).toBe(5);
  expect(Math.min(...sinceKill)).toBeGreaterThanOrEqual(3);

  // The stack's pipeline: `pipeline up` recovers it (or follows/finds the stack's reconciler's).
  const up = fstore('pipeline', 'up', '--quiet');
  expect(up).toMatch(/features-transactions .* (recovered from checkpoint|already running)/);
  const stackAfter = await stackDeployment();
  expect(stackAfter).toMatchObject({
    id: stackBefore.id,
    desired_state: 'running',
    observed_state: 'RUNNING',
    pending_operation_id: null,
  });
  expect(stackAfter.flink_job_id).not.toBe(stackBefore.flink_job_id);
  const stackAudit = await stackControlPlane(
    `/v1/audit?target=deployment:${String(stackBefore.id)}`,
  );
  const stackOp = (stackAudit.entries as Json[]).find(
    (e) => e.action === 'operation.recover' && e.outcome === 'succeeded',
  );
  expect(stackOp?.detail).toMatchObject({
    previous_flink_job_id: stackBefore.flink_job_id,
    flink_job_id: stackAfter.flink_job_id,
    restored_kind: 'checkpoint',
  });
  expect(String(stackOp.detail.restored_from)).toMatch(
    new RegExp(`/${String(stackBefore.flink_job_id)}/chk-\\d+$`),
  );
  console.log(
    `recovered ${((Date.now() - killedAt) / 1000).toFixed(1)}s after the JobManager kill ` +
      `from ${restoredFrom}`,
  );
});
