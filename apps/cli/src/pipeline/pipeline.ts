import { existsSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { REGISTRY } from '@fstore/contracts';
import { CompiledStreamJob, compileStreamJobs } from '@fstore/definitions';
import { FlinkJobs, JobSummary, TERMINAL_STATES } from '@fstore/flink';
import { StackContext } from '../stack/component';
import { ensureDir } from '../stack/processes';
import { formatTable, stackDown, stackUp } from '../stack/stack';

/** The streaming jobs the definitions compile to: one per source (flink-sql/<source>.sql). */
const streamJobs = (): CompiledStreamJob[] => compileStreamJobs(REGISTRY);

export interface JobRow {
  /** The job's name; how a second `pipeline up` recognises it. */
  job: string;
  jobId: string;
  state: string;
  action:
    'already running' | 'submitted' | 'resumed from savepoint' | 'stopped with savepoint' | '-';
  detail?: string;
}

/** Where `pipeline down` leaves each job's savepoint for the next `pipeline up`. */
function savepointsFile(ctx: StackContext): string {
  return join(ensureDir(join(ctx.paths.root, 'pipeline')), 'savepoints.json');
}

function readSavepoints(ctx: StackContext): Record<string, string> {
  const file = savepointsFile(ctx);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}

function writeSavepoints(ctx: StackContext, savepoints: Record<string, string>): void {
  const file = savepointsFile(ctx);
  if (Object.keys(savepoints).length === 0) rmSync(file, { force: true });
  else writeFileSync(file, JSON.stringify(savepoints, null, 2));
}

function liveJob(jobs: JobSummary[], job: CompiledStreamJob): JobSummary | undefined {
  return jobs.find((j) => j.name === job.jobName && !TERMINAL_STATES.includes(j.state));
}

export function jobValues(job: CompiledStreamJob): Record<string, string> {
  return { ...job.values, CONSUMER_GROUP: `fstore-flink-${job.source}` };
}

/**
 * Brings up the streaming pipeline: the services it needs, the feature writer, and the Flink
 * SQL jobs the definitions compile to. Idempotent: a job already running under its name is left alone; a job stopped
 * by `pipeline down` resumes from its savepoint.
 */
export async function pipelineUp(ctx: StackContext): Promise<JobRow[]> {
  await stackUp(ctx, ['redis', 'kafka', 'flink', 'writer']);
  const flink = FlinkJobs.fromConfig(ctx.config);
  const jobs = await flink.jobManager.jobs();
  const savepoints = readSavepoints(ctx);
  const rows: JobRow[] = [];
  for (const job of streamJobs()) {
    const live = liveJob(jobs, job);
    if (live) {
      rows.push({
        job: job.jobName,
        jobId: live.jid,
        state: live.state,
        action: 'already running',
      });
      continue;
    }
    const savepoint = savepoints[job.jobName];
    ctx.log(`pipeline: ${savepoint ? 'resuming' : 'submitting'} ${job.file}`);
    const jobId = await flink.submitScript(job.sql, {
      jobName: job.jobName,
      values: jobValues(job),
      savepointPath: savepoint,
    });
    await flink.waitUntilRunning(jobId, 120000);
    if (savepoint) {
      delete savepoints[job.jobName];
      writeSavepoints(ctx, savepoints);
    }
    rows.push({
      job: job.jobName,
      jobId,
      state: 'RUNNING',
      action: savepoint ? 'resumed from savepoint' : 'submitted',
    });
  }
  return rows;
}

/** Stops the streaming jobs with savepoints (kept for the next `pipeline up`) and the writer. */
export async function pipelineDown(ctx: StackContext): Promise<JobRow[]> {
  const flink = FlinkJobs.fromConfig(ctx.config);
  const jobs = await flink.jobManager.jobs();
  const savepoints = readSavepoints(ctx);
  const rows: JobRow[] = [];
  for (const job of streamJobs()) {
    const live = liveJob(jobs, job);
    if (!live) continue;
    const location = await flink.stopWithSavepoint(live.jid);
    savepoints[job.jobName] = location;
    writeSavepoints(ctx, savepoints);
    rows.push({
      job: job.jobName,
      jobId: live.jid,
      state: 'FINISHED',
      action: 'stopped with savepoint',
      detail: location,
    });
  }
  await stackDown(ctx, ['writer']);
  return rows;
}

export async function pipelineStatus(ctx: StackContext): Promise<JobRow[]> {
  const flink = FlinkJobs.fromConfig(ctx.config);
  const jobs = await flink.jobManager.jobs();
  const savepoints = readSavepoints(ctx);
  return Promise.all(
    streamJobs().map(async (job) => {
      const live = liveJob(jobs, job);
      if (!live) {
        const saved = savepoints[job.jobName];
        const detail = saved ? `savepoint ${saved}` : 'not deployed';
        return { job: job.jobName, jobId: '-', state: 'STOPPED', action: '-' as const, detail };
      }
      const s = await flink.status(live.jid);
      const read = s.vertices[0]?.recordsOut ?? 0;
      const wrote = s.vertices.at(-1)?.recordsIn ?? 0;
      const detail = s.failure ?? `records read ${read}, changelog records written ${wrote}`;
      return { job: job.jobName, jobId: live.jid, state: s.state, action: '-' as const, detail };
    }),
  );
}

export function formatJobRows(rows: JobRow[]): string {
  return formatTable(
    ['job', 'flink job', 'state', 'action', 'detail'],
    rows.map((r) => [r.job, r.jobId, r.state, r.action, r.detail ?? '']),
  );
}
