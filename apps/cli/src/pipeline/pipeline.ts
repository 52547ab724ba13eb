import { createHash } from 'crypto';
import { REGISTRY } from '@fstore/contracts';
import { CompiledStreamJob, compileStreamJobs } from '@fstore/definitions';
import { FlinkJobNotFoundError, FlinkJobs } from '@fstore/flink';
import { call, ControlPlaneError, follow, Json } from '../control/jobs-command';
import { compileDrift } from '../features/compile-drift';
import { StackContext } from '../stack/component';
import { formatTable, stackDown, stackUp } from '../stack/stack';

/**
 * The streaming pipeline through the control plane, the one path that deploys jobs: each job the
 * definitions compile to (flink-sql/<source>.sql) is a control-plane job whose versions follow
 * the file, with one deployment. So `fstore jobs list`, the audit log and the reconciler see every
 * streaming job, and `pipeline down`/`up` are the control plane's pause (stop with a savepoint)
 * and resume.
 */
const streamJobs = (): CompiledStreamJob[] => compileStreamJobs(REGISTRY);

/** How long one deploy/pause/resume/upgrade may take before the command gives up waiting. */
const OPERATION_TIMEOUT_MS = 300000;

export interface JobRow {
  job: string;
  version: string;
  state: string;
  action:
    | 'already running'
    | 'deployed'
    | 'resumed from savepoint'
    | 'upgraded from savepoint'
    | 'recovered from checkpoint'
    | 'stopped with savepoint'
    | '-';
  detail?: string;
}

const enc = encodeURIComponent;
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function findJob(name: string): Promise<Json | undefined> {
  try {
    return await call('GET', `/v1/jobs/${enc(name)}`);
  } catch (e) {
    if (e instanceof ControlPlaneError && e.message.startsWith('404')) return undefined;
    throw e;
  }
}

/**
 * Registers the job, or a new version when the compiled SQL changed; returns the latest version.
 * `parameters` go with a new version (e.g. a consumer group of its own, to recompute).
 */
export async function registerLatest(
  ctx: StackContext,
  job: CompiledStreamJob,
  parameters: Record<string, string> = {},
): Promise<number> {
  const existing = await findJob(job.jobName);
  if (!existing) {
    ctx.log(`pipeline: registering ${job.jobName} (${job.file})`);
    await call('POST', '/v1/jobs', {
      name: job.jobName,
      kind: 'flink-sql',
      source: job.file,
      parameters,
    });
    return 1;
  }
  const versions = existing.versions as Json[];
  const latest = versions.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
  if (latest.sha256 === sha256(job.sql)) return Number(latest.version);
  ctx.log(`pipeline: ${job.file} changed: registering version ${Number(latest.version) + 1}`);
  const created = await call('POST', `/v1/jobs/${enc(job.jobName)}/versions`, {
    source: job.file,
    parameters,
  });
  return Number(created.version);
}

export async function liveDeployment(name: string): Promise<Json | undefined> {
  const job = await findJob(name);
  if (!job?.live_deployment_id) return undefined;
  return call('GET', `/v1/deployments/${enc(String(job.live_deployment_id))}`);
}

/** One operation, followed to its end; its step lines go to the context's log (none: --quiet). */
export const operate = async (ctx: StackContext, path: string, body: Json = {}) =>
  follow(await call('POST', path, body, true), true, OPERATION_TIMEOUT_MS, ctx.log);

/**
 * Whether Flink no longer knows the deployment's job (a JobManager restarted without high
 * availability forgets every job). Asked of Flink itself: right after `stack up` the control
 * plane's last observation may predate the restart.
 */
async function flinkForgot(ctx: StackContext, dep: Json): Promise<boolean> {
  if (dep.observed_state === 'VANISHED') return true;
  if (!dep.flink_job_id) return false;
  try {
    await FlinkJobs.fromConfig(ctx.config).status(String(dep.flink_job_id));
    return false;
  } catch (e) {
    if (e instanceof FlinkJobNotFoundError) return true;
    throw e;
  }
}

/**
 * Recovers a deployment meant to run whose job Flink forgot (from the newest retained checkpoint
 * or savepoint), or follows the operation that already does: the reconciler queues one itself
 * when it sees the job vanished, and may be first.
 */
async function recoverVanished(ctx: StackContext, job: string, dep: Json): Promise<boolean> {
  const id = enc(String(dep.id));
  let pending = dep.pending_operation_id ? String(dep.pending_operation_id) : undefined;
  if (!pending) {
    if (!(await flinkForgot(ctx, dep))) return false;
    ctx.log(
      `pipeline: Flink no longer knows job ${String(dep.flink_job_id)} of ${job}: ` +
        'recovering it from its newest checkpoint',
    );
    try {
      await operate(ctx, `/v1/deployments/${id}/recover`);
      return true;
    } catch (e) {
      // 409: the reconciler's recovery took the deployment first.
      if (!(e instanceof ControlPlaneError && e.message.startsWith('409'))) throw e;
      pending = String((await call('GET', `/v1/deployments/${id}`)).pending_operation_id ?? '');
      if (!pending) throw e;
    }
  }
  const op = await follow({ operation_id: pending }, true, OPERATION_TIMEOUT_MS, ctx.log);
  return op.kind === 'recover';
}

/**
 * Brings up the streaming pipeline: the services it needs (the control plane among them), the
 * feature writer, and through the control plane one deployment per compiled job. Idempotent: a
 * job running its latest version is left alone; one whose Flink job vanished (a JobManager
 * restart forgets its jobs) is recovered from its newest checkpoint; a paused one (`pipeline
 * down`) resumes from its savepoint; one running an older version is upgraded through a
 * savepoint.
 */
export async function pipelineUp(ctx: StackContext): Promise<JobRow[]> {
  await stackUp(ctx, ['redis', 'kafka', 'flink', 'writer', 'control-plane']);
  const drift = compileDrift(REGISTRY);
  if (drift.length > 0) {
    throw new ControlPlaneError(
      `the generated SQL is out of date with features/: ${drift.join(', ')} ` +
        '(run: npx fstore features compile)',
    );
  }
  const rows: JobRow[] = [];
  for (const job of streamJobs()) {
    const version = await registerLatest(ctx, job);
    let dep = await liveDeployment(job.jobName);
    let action: JobRow['action'] = 'already running';
    if (!dep) {
      ctx.log(`pipeline: deploying ${job.jobName} version ${version}`);
      await operate(ctx, `/v1/jobs/${enc(job.jobName)}/deployments`, { version });
      action = 'deployed';
    } else {
      if (dep.desired_state === 'running' && (await recoverVanished(ctx, job.jobName, dep))) {
        action = 'recovered from checkpoint';
        dep = await liveDeployment(job.jobName);
      }
      if (dep?.desired_state === 'paused') {
        ctx.log(`pipeline: resuming ${job.jobName} from ${String(dep.last_savepoint)}`);
        await operate(ctx, `/v1/deployments/${enc(String(dep.id))}/resume`);
        action = 'resumed from savepoint';
      }
      if (dep && Number(dep.version) !== version) {
        ctx.log(`pipeline: upgrading ${job.jobName} to version ${version}`);
        await operate(ctx, `/v1/deployments/${enc(String(dep.id))}/upgrade`, { version });
        action = 'upgraded from savepoint';
      }
    }
    dep = await liveDeployment(job.jobName);
    rows.push({
      job: job.jobName,
      version: String(dep?.version ?? version),
      state: String(dep?.observed_state ?? '-'),
      action,
      detail: dep ? `deployment ${String(dep.id)}, flink job ${String(dep.flink_job_id)}` : '',
    });
  }
  return rows;
}

/** Pauses every streaming job (stop with a savepoint, kept for `pipeline up`) and the writer. */
export async function pipelineDown(ctx: StackContext): Promise<JobRow[]> {
  const rows: JobRow[] = [];
  for (const job of streamJobs()) {
    const dep = await liveDeployment(job.jobName);
    if (!dep || dep.desired_state !== 'running') continue;
    ctx.log(`pipeline: pausing ${job.jobName} (stop with savepoint)`);
    await operate(ctx, `/v1/deployments/${enc(String(dep.id))}/pause`);
    const after = await liveDeployment(job.jobName);
    rows.push({
      job: job.jobName,
      version: String(dep.version),
      state: String(after?.observed_state ?? '-'),
      action: 'stopped with savepoint',
      detail: String(after?.last_savepoint ?? ''),
    });
  }
  await stackDown(ctx, ['writer']);
  return rows;
}

export async function pipelineStatus(_ctx: StackContext): Promise<JobRow[]> {
  return Promise.all(
    streamJobs().map(async (job) => {
      const dep = await liveDeployment(job.jobName);
      if (!dep) {
        return { job: job.jobName, version: '-', state: 'NOT DEPLOYED', action: '-' as const };
      }
      const detail =
        dep.desired_state === 'paused'
          ? `paused, savepoint ${String(dep.last_savepoint)}`
          : `desired ${String(dep.desired_state)}, flink job ${String(dep.flink_job_id)}` +
            (dep.drift ? `, drift: ${String(dep.drift)}` : '');
      return {
        job: job.jobName,
        version: String(dep.version),
        state: String(dep.observed_state),
        action: '-' as const,
        detail,
      };
    }),
  );
}

export function formatJobRows(rows: JobRow[]): string {
  return formatTable(
    ['job', 'version', 'state', 'action', 'detail'],
    rows.map((r) => [r.job, r.version, r.state, r.action, r.detail ?? '']),
  );
}
