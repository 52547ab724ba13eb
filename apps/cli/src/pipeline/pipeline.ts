import { existsSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { FEATURES, FeatureDefinition, featureTopic } from '@fstore/contracts';
import { FlinkJobs, JobSummary, TERMINAL_STATES } from '@fstore/flink';
import { StackContext } from '../stack/component';
import { ensureDir } from '../stack/processes';
import { formatTable, stackDown, stackUp } from '../stack/stack';

/** The stream features, each computed by its own Flink SQL job. */
export const STREAM_JOBS: readonly FeatureDefinition[] = FEATURES.filter(
  (f) => f.engine === 'stream',
);

/** The Flink job name of a feature's job: how a second `pipeline up` recognises it. */
export const jobName = (f: FeatureDefinition) => `feature ${f.name}`;

export interface JobRow {
  feature: string;
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

function liveJob(jobs: JobSummary[], f: FeatureDefinition): JobSummary | undefined {
  return jobs.find((j) => j.name === jobName(f) && !TERMINAL_STATES.includes(j.state));
}

export function jobValues(f: FeatureDefinition): Record<string, string> {
  return { FEATURE_TOPIC: featureTopic(f.name), CONSUMER_GROUP: `fstore-flink-${f.name}` };
}

/**
 * Brings up the streaming pipeline: the services it needs, the feature writer, and the four
 * Flink SQL jobs. Idempotent: a job already running under its name is left alone; a job stopped
 * by `pipeline down` resumes from its savepoint.
 */
export async function pipelineUp(ctx: StackContext): Promise<JobRow[]> {
  await stackUp(ctx, ['redis', 'kafka', 'flink', 'writer']);
  const flink = FlinkJobs.fromConfig(ctx.config);
  const jobs = await flink.jobManager.jobs();
  const savepoints = readSavepoints(ctx);
  const rows: JobRow[] = [];
  for (const f of STREAM_JOBS) {
    const live = liveJob(jobs, f);
    if (live) {
      rows.push({ feature: f.name, jobId: live.jid, state: live.state, action: 'already running' });
      continue;
    }
    const script = readFileSync(join(PROJECT_ROOT, f.producedBy), 'utf8');
    const savepoint = savepoints[f.name];
    ctx.log(`pipeline: ${savepoint ? 'resuming' : 'submitting'} ${f.producedBy}`);
    const jobId = await flink.submitScript(script, {
      jobName: jobName(f),
      values: jobValues(f),
      savepointPath: savepoint,
    });
    await flink.waitUntilRunning(jobId, 120000);
    if (savepoint) {
      delete savepoints[f.name];
      writeSavepoints(ctx, savepoints);
    }
    rows.push({
      feature: f.name,
      jobId,
      state: 'RUNNING',
      action: savepoint ? 'resumed from savepoint' : 'submitted',
    });
  }
  return rows;
}

/** Stops the four jobs with savepoints (kept for the next `pipeline up`) and the writer. */
export async function pipelineDown(ctx: StackContext): Promise<JobRow[]> {
  const flink = FlinkJobs.fromConfig(ctx.config);
  const jobs = await flink.jobManager.jobs();
  const savepoints = readSavepoints(ctx);
  const rows: JobRow[] = [];
  for (const f of STREAM_JOBS) {
    const live = liveJob(jobs, f);
    if (!live) continue;
    const location = await flink.stopWithSavepoint(live.jid);
    savepoints[f.name] = location;
    writeSavepoints(ctx, savepoints);
    rows.push({
      feature: f.name,
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
    STREAM_JOBS.map(async (f) => {
      const live = liveJob(jobs, f);
      if (!live) {
        const detail = savepoints[f.name] ? `savepoint ${savepoints[f.name]}` : 'not deployed';
        return { feature: f.name, jobId: '-', state: 'STOPPED', action: '-' as const, detail };
      }
      const s = await flink.status(live.jid);
      const read = s.vertices[0]?.recordsOut ?? 0;
      const wrote = s.vertices.at(-1)?.recordsIn ?? 0;
      const detail = s.failure ?? `records read ${read}, changelog records written ${wrote}`;
      return { feature: f.name, jobId: live.jid, state: s.state, action: '-' as const, detail };
    }),
  );
}

export function formatJobRows(rows: JobRow[]): string {
  return formatTable(
    ['feature', 'flink job', 'state', 'action', 'detail'],
    rows.map((r) => [r.feature, r.jobId, r.state, r.action, r.detail ?? '']),
  );
}
