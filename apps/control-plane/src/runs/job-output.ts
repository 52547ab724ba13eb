/** What the control plane reads in a batch job's log (its last lines, kept as the run's log tail). */

/** How a job says why it failed, on one line of its output (e.g. spark-jobs/training_set.py). */
export const JOB_ERROR_PREFIX = 'FSTORE_ERROR ';

/** The last `FSTORE_ERROR <message>` of a log, if the job printed one. */
export function jobError(log: string): string | undefined {
  const lines = log.split('\n').filter((l) => l.startsWith(JOB_ERROR_PREFIX));
  return lines.length > 0
    ? lines[lines.length - 1].slice(JOB_ERROR_PREFIX.length).trim()
    : undefined;
}

/**
 * The last `<NAME>_SUMMARY {json}` line of a log (the jobs' summaries: BATCH_FEATURES_SUMMARY,
 * TRAINING_SET_SUMMARY, …) as an object, with its name; undefined when there is none.
 */
export function jobSummary(log: string | null): { name: string; value: unknown } | undefined {
  if (!log) return undefined;
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^([A-Z][A-Z_]*_SUMMARY) (\{.*\})\s*$/.exec(lines[i]);
    if (!m) continue;
    try {
      return { name: m[1], value: JSON.parse(m[2]) };
    } catch {
      continue; // a line cut or joined with another stream's text
    }
  }
  return undefined;
}
