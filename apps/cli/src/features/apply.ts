import { writeFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { FLINK_GROUP_PREFIX, REGISTRY } from '@fstore/contracts';
import { CompiledStreamJob, compileStreamJobs, exportDefinitions } from '@fstore/definitions';
import { call, ControlPlaneError, follow, Json } from '../control/jobs-command';
import { findJob, liveDeployment, operate, registerLatest, sha256 } from '../pipeline/pipeline';
import { StackContext } from '../stack/component';
import { ServingComponent } from '../stack/serving';
import { stackContext, stackDown, stackUp } from '../stack/stack';
import { formatTable } from '../format-table';
import { compileDrift } from './compile-drift';

/** The batch job that computes every batch feature (registered by the stack or the DAG). */
const BATCH_JOB = 'batch-features';

interface PlanAnswer {
  features: {
    name: string;
    engine: string;
    change: string;
    from_version: number | null;
    detail: string;
  }[];
  jobs: { job: string; file: string | null; action: string; state: string; reason: string }[];
  backfills: { feature: string; reason: string }[];
  nothing_to_do: boolean;
  applied?: { name: string; version: number }[];
}

/** A line on stderr: the progress of `apply` (unless --quiet), and what it must always say. */
const stderrLine = (m: string) => process.stderr.write(`[fstore] ${m}\n`);

function request(jobs: CompiledStreamJob[]): Json {
  return {
    definitions: exportDefinitions(REGISTRY),
    jobs: jobs.map((j) => ({
      name: j.jobName,
      source: j.source,
      file: j.file,
      sha256: sha256(j.sql),
      features: j.features,
    })),
  };
}

export function formatPlan(plan: PlanAnswer, drift: string[]): string {
  if (plan.nothing_to_do && drift.length === 0 && plan.backfills.length === 0) {
    return 'Nothing to do: the registry and the running jobs match features/.';
  }
  const out: string[] = [];
  const changed = plan.features.filter((f) => f.change !== 'none');
  out.push(
    changed.length === 0
      ? 'Features: no change.'
      : formatTable(
          ['feature', 'engine', 'change', 'registry version', 'detail'],
          changed.map((f) => [
            f.name,
            f.engine,
            f.change,
            f.from_version === null ? '-' : String(f.from_version),
            f.detail,
          ]),
        ),
  );
  out.push('');
  out.push(
    formatTable(
      ['job', 'action', 'state', 'why'],
      plan.jobs.map((j) => [j.job, j.action, j.state, j.reason]),
    ),
  );
  if (drift.length > 0) out.push('', `Generated SQL to rewrite: ${drift.join(', ')}`);
  if (plan.backfills.length > 0) {
    out.push(
      '',
      `Batch backfills (${BATCH_JOB} as of now): ${plan.backfills.map((b) => b.feature).join(', ')}`,
    );
  }
  return out.join('\n');
}

/** A consumer group of the version's own: a recomputed job reads the topic from its start. */
const freshGroup = (job: CompiledStreamJob) =>
  `${FLINK_GROUP_PREFIX}${job.jobName}-${sha256(job.sql).slice(0, 12)}`;

async function applyJob(ctx: StackContext, job: CompiledStreamJob, action: string): Promise<void> {
  const enc = encodeURIComponent;
  const log = ctx.log;
  if (action === 'none') return;
  if (action === 'resume') {
    const dep = await liveDeployment(job.jobName);
    log(`${job.jobName}: resuming from its savepoint`);
    await operate(ctx, `/v1/deployments/${enc(String(dep!.id))}/resume`);
    return;
  }
  if (action === 'recompute') {
    const dep = await liveDeployment(job.jobName);
    if (dep) {
      log(`${job.jobName}: cancelling deployment ${String(dep.id)} (its state cannot carry over)`);
      await operate(ctx, `/v1/deployments/${enc(String(dep.id))}/cancel`);
    }
  }
  const version = await registerLatest(ctx, job, { CONSUMER_GROUP: freshGroup(job) });
  if (action === 'upgrade') {
    const dep = await liveDeployment(job.jobName);
    log(`${job.jobName}: upgrading to version ${version} through a savepoint`);
    await operate(ctx, `/v1/deployments/${enc(String(dep!.id))}/upgrade`, { version });
    return;
  }
  log(`${job.jobName}: deploying version ${version} (reads ${job.source} from its beginning)`);
  await operate(ctx, `/v1/jobs/${enc(job.jobName)}/deployments`, { version });
}

/** `fstore plan`: what `apply` would change. */
export async function plan(opts: { json?: boolean }): Promise<void> {
  const jobs = compileStreamJobs(REGISTRY);
  const plan = (await call('POST', '/v1/features/plan', request(jobs))) as unknown as PlanAnswer;
  const drift = compileDrift(REGISTRY);
  // --json: one compact line, like every --json of the CLI (a script reads a line per document)
  console.log(opts.json ? JSON.stringify({ ...plan, drift }) : formatPlan(plan, drift));
}

/** `fstore apply`: the registry and the running jobs made to match features/. */
export async function apply(opts: { backfill: boolean; quiet?: boolean }): Promise<void> {
  // --quiet: no progress (the steps, the operations followed, the stack's lines); the files
  // rewritten, a backfill that cannot run, errors and the result are said all the same.
  const log = opts.quiet ? () => undefined : stderrLine;
  const ctx = stackContext(log);
  const jobs = compileStreamJobs(REGISTRY);
  for (const file of compileDrift(REGISTRY)) {
    const job = jobs.find((j) => j.file === file);
    if (!job) continue;
    writeFileSync(join(PROJECT_ROOT, file), job.sql);
    stderrLine(`wrote ${file}`);
  }
  const plan = (await call('POST', '/v1/features/apply', request(jobs))) as unknown as PlanAnswer;
  for (const a of plan.applied ?? []) log(`registry: ${a.name} version ${a.version}`);
  const served = plan.features.some((f) => f.change === 'add' || f.change === 'remove');
  const streamed = plan.features.some(
    (f) => f.engine === 'stream' && (f.change === 'add' || f.change === 'remove'),
  );
  if (served) {
    // Each Redis user's key patterns name the features (libs/config/src/redis-acl.ts): the
    // nodes reload their users before the writer and the readers touch the new keys.
    log("stack: reloading the Redis users' rights (feature key patterns)");
    await stackUp(ctx, ['redis']);
  }
  if (streamed) {
    // The local stack's part of the definitions: the new changelog topics (Kafka creates
    // none by itself) and a feature writer that subscribes to them.
    log('stack: creating changelog topics, restarting the feature writer');
    await stackUp(ctx, ['kafka']);
    await stackDown(ctx, ['writer']);
    await stackUp(ctx, ['writer']);
  }
  for (const step of plan.jobs) {
    const job = jobs.find((j) => j.jobName === step.job);
    if (step.action === 'cancel') {
      const dep = await liveDeployment(step.job);
      if (dep) {
        log(`${step.job}: cancelling (${step.reason})`);
        await operate(ctx, `/v1/deployments/${encodeURIComponent(String(dep.id))}/cancel`);
      }
      continue;
    }
    if (job) await applyJob(ctx, job, step.action);
  }
  if (served) {
    log('stack: restarting the feature-server instances one at a time (new feature names)');
    await new ServingComponent().rollingRestart(ctx);
  }
  if (plan.backfills.length > 0 && !opts.backfill) {
    log(
      `backfills left to the schedule (--no-backfill): ${plan.backfills.map((b) => b.feature).join(', ')}`,
    );
  } else if (plan.backfills.length > 0) {
    if (!(await findJob(BATCH_JOB))) {
      stderrLine(
        `backfills skipped: no job ${BATCH_JOB} is registered (fstore jobs register ${BATCH_JOB} spark-jobs/batch_features.py)`,
      );
    } else {
      log(`${BATCH_JOB}: a run as of now for ${plan.backfills.map((b) => b.feature).join(', ')}`);
      const accepted = await call(
        'POST',
        `/v1/jobs/${BATCH_JOB}/runs`,
        { args: [], as_of: new Date().toISOString() },
        true,
      );
      const done = await follow(accepted, true, 1_800_000, log);
      log(`${BATCH_JOB}: ${String(done.status)}`);
    }
  }
  const after = (await call('POST', '/v1/features/plan', request(jobs))) as unknown as PlanAnswer;
  if (!after.nothing_to_do) {
    throw new ControlPlaneError(
      `applied, but the plan is not empty yet:\n${formatPlan(after, [])}`,
    );
  }
  console.log(formatPlan(plan, []).replace(/^Nothing to do.*$/, 'Nothing was to do.'));
  console.log('\nApplied: the registry and the running jobs match features/.');
}
