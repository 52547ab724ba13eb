/**
 * What the control plane reads in a batch job's log (its last lines, kept as the run's log tail).
 * Livy's log interleaves the job's stdout and stderr, and a line of one may end up glued to text
 * of the other: the markers are looked for anywhere in a line.
 */

/** How a job says why it failed, on one line of its output (e.g. spark-jobs/training_set.py). */
export const JOB_ERROR_PREFIX = 'FSTORE_ERROR ';

/** The last `FSTORE_ERROR <message>` of a log, if the job printed one. */
export function jobError(log: string): string | undefined {
  let found: string | undefined;
  for (const line of log.split('\n')) {
    const at = line.indexOf(JOB_ERROR_PREFIX);
    if (at !== -1) found = line.slice(at + JOB_ERROR_PREFIX.length).trim();
  }
  return found;
}

/** The JSON object at the start of `text`: the longest prefix ending in `}` that parses. */
function leadingObject(text: string): Record<string, unknown> | undefined {
  for (let end = text.lastIndexOf('}'); end > 0; end = text.lastIndexOf('}', end - 1)) {
    try {
      return JSON.parse(text.slice(0, end + 1)) as Record<string, unknown>;
    } catch {
      // shorter
    }
  }
  return undefined;
}

/**
 * The last `<NAME>_SUMMARY {json}` of a log (the jobs' summaries: BATCH_FEATURES_SUMMARY,
 * TRAINING_SET_SUMMARY, …) as an object, with its name; undefined when there is none.
 */
export function jobSummary(
  log: string | null,
): { name: string; value: Record<string, unknown> } | undefined {
  if (!log) return undefined;
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /([A-Z][A-Z_]*_SUMMARY) (\{.*)$/.exec(lines[i]);
    if (!m) continue;
    const value = leadingObject(m[2]);
    if (value !== undefined) return { name: m[1], value };
  }
  return undefined;
}
