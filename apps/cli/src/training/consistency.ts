import { call, Json } from '../control/jobs-command';
import { formatTable } from '../format-table';
import { ensureBatchJob, followRun } from './training-set';

/** The control-plane job that runs spark-jobs/consistency.py (registered on first use). */
export const CONSISTENCY_JOB_NAME = 'consistency';
const CONSISTENCY_SOURCE = 'spark-jobs/consistency.py';

export interface ConsistencyOptions {
  since?: string;
  until?: string;
  features?: string;
  table?: string;
  historyTable?: string;
  progress?: (line: string) => void;
  timeoutMs?: number;
}

export interface FeatureReport {
  reads: number;
  consistent: number;
  inconsistent: number;
  not_yet_processed: number;
  inconsistent_ratio: number | null;
  examples: {
    keys: Record<string, string>;
    served: number | null;
    offline: number | null;
    event_time: string | null;
    read_time: string;
  }[];
}

export interface ConsistencySummary {
  since: string;
  until: string | null;
  topic: string;
  reads: number;
  unreadable: number;
  features: Record<string, FeatureReport>;
  duration_s: number;
}

export interface ConsistencyResult {
  run_id: string;
  summary: ConsistencySummary;
}

/** The job's arguments from the options (the control plane checks them and adds the rest). */
export function consistencyArgs(opts: ConsistencyOptions): string[] {
  const args: string[] = [];
  if (opts.since) args.push('--since', opts.since);
  if (opts.until) args.push('--until', opts.until);
  if (opts.features) args.push('--features', opts.features);
  if (opts.table) args.push('--table', opts.table);
  if (opts.historyTable) args.push('--history-table', opts.historyTable);
  return args;
}

/**
 * Runs spark-jobs/consistency.py through the control plane (job `consistency`), follows it and
 * returns its report. Bad arguments are refused by the control plane (400 naming them).
 */
export async function consistency(opts: ConsistencyOptions): Promise<ConsistencyResult> {
  await ensureBatchJob(
    CONSISTENCY_JOB_NAME,
    CONSISTENCY_SOURCE,
    'Online/offline consistency of the served values (fstore consistency)',
  );
  const accepted: Json = await call(
    'POST',
    `/v1/jobs/${CONSISTENCY_JOB_NAME}/runs`,
    { args: consistencyArgs(opts) },
    true,
  );
  const { runId, summary } = await followRun(accepted, 'consistency [', {
    what: 'consistency',
    progress: opts.progress,
    timeoutMs: opts.timeoutMs,
  });
  return { run_id: runId, summary: summary as unknown as ConsistencySummary };
}

const percent = (r: number | null) => (r === null ? '-' : `${(100 * r).toFixed(2)} %`);

/** The report for people: the window, then one row per feature, then a few inconsistent reads. */
export function formatConsistency({ run_id, summary: s }: ConsistencyResult): string {
  const names = Object.keys(s.features);
  const rows = names.map((name) => {
    const f = s.features[name];
    return [
      name,
      String(f.reads),
      String(f.consistent),
      String(f.inconsistent),
      String(f.not_yet_processed),
      percent(f.inconsistent_ratio),
    ];
  });
  const window = `${s.since} – ${s.until ?? 'now'}`;
  const lines = [
    `consistency of ${s.reads} logged reads (${window}, topic ${s.topic}) in ${s.duration_s} s (run ${run_id})`,
    ...(s.unreadable > 0 ? [`${s.unreadable} unreadable records skipped`] : []),
    '',
    formatTable(
      ['feature', 'reads', 'consistent', 'inconsistent', 'not yet processed', 'inconsistent %'],
      rows,
    ),
  ];
  const examples = names.flatMap((name) =>
    s.features[name].examples.map(
      (e) =>
        `  ${name} ${Object.values(e.keys).join('/')} at ${e.read_time}: served ${e.served ?? 'nothing'}, offline ${e.offline ?? 'nothing'}`,
    ),
  );
  if (examples.length > 0) lines.push('', 'inconsistent reads (examples):', ...examples);
  return lines.join('\n');
}
