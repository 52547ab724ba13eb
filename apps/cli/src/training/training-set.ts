import { createHash, randomUUID } from 'crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync } from 'fs';
import { basename, extname, join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { call, ControlPlaneError, Json } from '../control/jobs-command';
import { formatTable } from '../format-table';

/** The control-plane job that runs spark-jobs/training_set.py (registered on first use). */
export const TRAINING_SET_JOB_NAME = 'training-set';
const TRAINING_SET_SOURCE = 'spark-jobs/training_set.py';
/** The landing folder's subfolder entity rows are placed in. */
const LANDING_SUBDIR = 'training-sets';
/** What spark-jobs/training_set.py reads when no --timestamp-column is given. */
export const DEFAULT_TIMESTAMP_COLUMN = 'event_timestamp';

export interface TrainingSetOptions {
  entities: string;
  features?: string;
  entity?: string;
  timestampColumn?: string;
  out: string;
  outDatabase?: string;
  table?: string;
  historyTable?: string;
  /** Progress lines (the job's steps) as they appear. */
  progress?: (line: string) => void;
  timeoutMs?: number;
}

export interface TrainingSetSummary {
  rows: number;
  features: string[];
  nulls: Record<string, number>;
  table: string;
  path: string;
  timestamp_column: string;
  snapshots_used: string[];
  events_read: number;
  partitions_read: number;
  duration_s: number;
}

export interface TrainingSetResult {
  run_id: string;
  summary: TrainingSetSummary;
}

/** A bad input found before anything was sent (the message names it). */
export class TrainingSetInputError extends Error {
  override name = 'TrainingSetInputError';
}

// The forms the job parses (Spark's timestamp cast), as documented: date, optional time with
// optional fraction, optional Z or offset.
const TIMESTAMP =
  /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

/** One of TIMESTAMP's forms, naming a day and a time that exist (no 2024-02-30, no 25:00). */
function isTimestamp(value: string): boolean {
  if (!TIMESTAMP.test(value)) return false;
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return false;
  const time = /[ T](\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  return !time || (Number(time[1]) < 24 && Number(time[2]) < 60 && Number(time[3] ?? 0) < 60);
}

/** Splits one CSV record (RFC 4180 quotes inside the line). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/**
 * A CSV of entity rows checked as the job would: the timestamp column is there and every value
 * in it parses (line numbers are the file's, the header is line 1). The key columns are checked
 * by the control plane against its registry.
 */
export function checkEntityCsv(text: string, timestampColumn: string): { rows: number } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvCells(lines[0]).map((c) => c.trim());
  const at = header.indexOf(timestampColumn);
  if (at === -1) {
    throw new TrainingSetInputError(
      `--timestamp-column ${timestampColumn}: the file has no such column (columns: ${header.join(', ')})`,
    );
  }
  let rows = 0;
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    rows++;
    const value = (csvCells(lines[i])[at] ?? '').trim();
    if (!isTimestamp(value)) {
      throw new TrainingSetInputError(
        `--timestamp-column ${timestampColumn}: line ${i + 1}: ${JSON.stringify(value)} is not a timestamp (ISO-8601 or YYYY-MM-DD HH:MM:SS[.fff], UTC unless an offset is given)`,
      );
    }
  }
  return { rows };
}

/** The job registered on the control plane, in a version whose source is today's file. */
export function ensureTrainingSetJob(): Promise<void> {
  return ensureBatchJob(
    TRAINING_SET_JOB_NAME,
    TRAINING_SET_SOURCE,
    'Point-in-time correct training sets (fstore training-set)',
  );
}

/** A PySpark job registered under `name`, in a version whose source is today's file. */
export async function ensureBatchJob(
  name: string,
  source: string,
  description: string,
): Promise<void> {
  const content = readFileSync(join(PROJECT_ROOT, source), 'utf8');
  const sha = createHash('sha256').update(content).digest('hex');
  let job: Json | undefined;
  try {
    job = await call('GET', `/v1/jobs/${name}`);
  } catch (e) {
    if (!(e instanceof ControlPlaneError && e.message.startsWith('404'))) throw e;
  }
  if (!job) {
    await call('POST', '/v1/jobs', { name, kind: 'pyspark', source, description });
    return;
  }
  const versions = job.versions as Json[];
  if (!versions.some((v) => v.sha256 === sha)) {
    await call('POST', `/v1/jobs/${name}/versions`, { source });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Places the entity rows in the landing folder, runs spark-jobs/training_set.py through the
 * control plane (job `training-set`), follows the run (its progress lines) and returns the
 * summary. A bad input the control plane can see (unknown feature, missing key column of a CSV)
 * is refused before any run; one only the job sees fails the run with the job's message.
 */
export async function trainingSet(opts: TrainingSetOptions): Promise<TrainingSetResult> {
  const config = loadConfig();
  const ext = extname(opts.entities).toLowerCase();
  if (!['.csv', '.parquet'].includes(ext)) {
    throw new TrainingSetInputError(`--entities ${opts.entities}: a .csv or .parquet file`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(opts.entities);
  } catch (e) {
    throw new TrainingSetInputError(`--entities ${opts.entities}: ${(e as Error).message}`);
  }
  if (ext === '.csv') {
    checkEntityCsv(bytes.toString('utf8'), opts.timestampColumn ?? DEFAULT_TIMESTAMP_COLUMN);
  }
  const dir = join(config.control.landingDir, LANDING_SUBDIR);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const name = `${opts.out}-${randomUUID().slice(0, 8)}-${basename(opts.entities)}`;
  const placed = join(dir, name);
  copyFileSync(opts.entities, placed);
  chmodSync(placed, 0o644); // Spark may run as another user
  const args = ['--entities', `${LANDING_SUBDIR}/${name}`, '--out', opts.out];
  if (opts.features) args.push('--features', opts.features);
  if (opts.entity) args.push('--entity', opts.entity);
  if (opts.timestampColumn) args.push('--timestamp-column', opts.timestampColumn);
  if (opts.outDatabase) args.push('--out-database', opts.outDatabase);
  if (opts.table) args.push('--table', opts.table);
  if (opts.historyTable) args.push('--history-table', opts.historyTable);
  let accepted: Json;
  try {
    await ensureTrainingSetJob();
    accepted = await call('POST', `/v1/jobs/${TRAINING_SET_JOB_NAME}/runs`, { args }, true);
  } catch (e) {
    rmSync(placed, { force: true }); // refused: nothing will read it
    throw e;
  }
  const { runId, summary } = await followRun(accepted, 'training_set [', {
    what: 'training set',
    progress: opts.progress,
    timeoutMs: opts.timeoutMs,
  });
  return { run_id: runId, summary: summary as unknown as TrainingSetSummary };
}

/**
 * Follows a run the control plane accepted until its operation ends: the job's progress lines
 * (those starting with `progressPrefix`) as they appear, then the run's summary; a failed run
 * throws with the control plane's error.
 */
export async function followRun(
  accepted: Json,
  progressPrefix: string,
  opts: { what: string; progress?: (line: string) => void; timeoutMs?: number },
): Promise<{ runId: string; summary: Json }> {
  const runId = String(accepted.target).replace(/^run:/, '');
  const deadline = Date.now() + (opts.timeoutMs ?? 1_800_000);
  const seen = new Set<string>();
  for (;;) {
    const op = await call('GET', `/v1/operations/${String(accepted.operation_id)}`);
    const run = await call('GET', `/v1/runs/${runId}`);
    for (const line of String(run.log_tail ?? '').split('\n')) {
      if (line.startsWith(progressPrefix) && !seen.has(line)) {
        seen.add(line);
        opts.progress?.(line);
      }
    }
    if (op.status === 'succeeded') {
      if (!run.summary) throw new ControlPlaneError(`run ${runId} printed no summary`);
      return { runId, summary: run.summary as Json };
    }
    if (op.status === 'failed') {
      throw new ControlPlaneError(`${opts.what} run ${runId} failed: ${String(op.error)}`);
    }
    if (Date.now() > deadline) {
      throw new ControlPlaneError(`${opts.what} run ${runId} still ${String(run.state)}`);
    }
    await sleep(2000);
  }
}

/** The summary for people: where the set is, then per feature its nulls. */
export function formatTrainingSummary({ run_id, summary: s }: TrainingSetResult): string {
  const rows = s.features.map((f) => [
    f,
    String(s.nulls[f]),
    s.rows === 0 ? '-' : `${((100 * s.nulls[f]) / s.rows).toFixed(1)} %`,
  ]);
  return [
    `training set ${s.table}: ${s.rows} rows, ${s.features.length} features in ${s.duration_s} s (run ${run_id})`,
    `path: ${s.path}`,
    `batch snapshots used: ${s.snapshots_used.length === 0 ? 'none' : s.snapshots_used.join(', ')}`,
    `events read: ${s.events_read} (${s.partitions_read} partitions)`,
    '',
    formatTable(['feature', 'nulls', 'share'], rows),
  ].join('\n');
}
