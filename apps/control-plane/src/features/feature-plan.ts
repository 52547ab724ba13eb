import { formatDuration, type ExportedDefinitions } from '@fstore/definitions';

/**
 * What `fstore plan` shows and `fstore apply` does: the difference between the definitions a
 * caller sends (its features/, exported), the registry (the latest applied version of each
 * feature) and what runs (the live deployment of each streaming job). Pure: the rules get unit
 * tests; the service feeds it rows.
 */
export type ExportedFeature = ExportedDefinitions['features'][number];

export interface RegisteredFeature {
  name: string;
  version: number;
  computeHash: string;
  removed: boolean;
  definition: ExportedFeature;
  /** Who applied this version, and when (the catalog shows them; the plan does not need them). */
  appliedBy?: string;
  appliedAt?: Date;
}

/** A streaming job the caller's definitions compile to (flink-sql/<source>.sql). */
export interface DesiredJob {
  name: string;
  source: string;
  file: string;
  /** sha256 of the compiled SQL. */
  sha256: string;
  features: string[];
}

/** The live deployment of a streaming job, with the sha256 of the version it runs. */
export interface LiveJob {
  name: string;
  deploymentId: string;
  desiredState: string;
  sha256: string;
}

export type FeatureChange = 'add' | 'change' | 'remove' | 'describe' | 'none';
export type JobAction = 'deploy' | 'recompute' | 'upgrade' | 'resume' | 'cancel' | 'none';

export interface FeaturePlan {
  features: {
    name: string;
    engine: string;
    change: FeatureChange;
    /** The registry version it changes (null when added). */
    from_version: number | null;
    /** Its values must be computed again from the events (compute hash changed). */
    recompute: boolean;
    detail: string;
  }[];
  jobs: {
    job: string;
    file: string | null;
    action: JobAction;
    /** Whether the action keeps the job's state (savepoint) or replays the topic from the start. */
    state: 'kept' | 'recomputed' | 'none';
    reason: string;
  }[];
  /** Batch features whose values a batch run must compute again. */
  backfills: { feature: string; reason: string }[];
  nothing_to_do: boolean;
}

/**
 * Equal definitions, whatever the order of their fields (jsonb does not keep it). `window` only
 * restates window_ms as written (`24h`), and versions applied before the export carried it lack
 * it: it never makes a difference on its own.
 */
const canonical = (f: ExportedFeature) =>
  JSON.stringify(
    f,
    Object.keys(f)
      .filter((k) => k !== 'window')
      .sort(),
  );
const same = (a: ExportedFeature, b: ExportedFeature) => canonical(a) === canonical(b);

function describeCompute(f: ExportedFeature): string {
  const agg = f.aggregation === 'last_k' ? `last_k(${f.k}, ${f.reduce})` : `${f.aggregation}`;
  const window = f.window_ms ? ` over ${formatDuration(f.window_ms)}` : '';
  return `${agg}(${f.of ?? '*'})${window}${f.filter ? ` where ${f.filter}` : ''}`;
}

export function planChanges(
  desired: ExportedDefinitions,
  registered: readonly RegisteredFeature[],
  desiredJobs: readonly DesiredJob[],
  liveJobs: readonly LiveJob[],
): FeaturePlan {
  const current = new Map(registered.filter((r) => !r.removed).map((r) => [r.name, r]));
  const wanted = new Map(desired.features.map((f) => [f.name, f]));
  const features: FeaturePlan['features'] = [];
  for (const f of desired.features) {
    const reg = current.get(f.name);
    if (!reg) {
      features.push({
        name: f.name,
        engine: f.engine,
        change: 'add',
        from_version: null,
        recompute: true,
        detail: `new: ${describeCompute(f)}`,
      });
    } else if (reg.computeHash !== f.compute_hash) {
      features.push({
        name: f.name,
        engine: f.engine,
        change: 'change',
        from_version: reg.version,
        recompute: true,
        detail: `${describeCompute(reg.definition)} -> ${describeCompute(f)}`,
      });
    } else {
      const described = !same({ ...reg.definition, file: f.file }, f);
      features.push({
        name: f.name,
        engine: f.engine,
        change: described ? 'describe' : 'none',
        from_version: reg.version,
        recompute: false,
        detail: described ? 'description, owner, tags or file changed; values unchanged' : '',
      });
    }
  }
  for (const reg of current.values()) {
    if (wanted.has(reg.name)) continue;
    features.push({
      name: reg.name,
      engine: reg.definition.engine,
      change: 'remove',
      from_version: reg.version,
      recompute: false,
      detail: `removed (was ${describeCompute(reg.definition)})`,
    });
  }
  features.sort((a, b) => a.name.localeCompare(b.name));
  const byName = new Map(features.map((f) => [f.name, f]));

  const jobs: FeaturePlan['jobs'] = [];
  for (const job of desiredJobs) {
    const live = liveJobs.find((l) => l.name === job.name);
    // A job's state is per feature; a feature added to, changed in or removed from the statement
    // set changes the plan's shape, so the job starts over from the beginning of the topic.
    const computeChanges = features.filter(
      (f) =>
        f.engine === 'stream' &&
        (job.features.includes(f.name) || f.change === 'remove') &&
        ['add', 'change', 'remove'].includes(f.change) &&
        (f.change !== 'remove' || sourceOf(registered, f.name) === job.source),
    );
    const reason = computeChanges.map((f) => `${f.change} ${f.name}`).join(', ');
    if (!live) {
      jobs.push({
        job: job.name,
        file: job.file,
        action: 'deploy',
        state: 'recomputed',
        reason: reason || 'not deployed',
      });
    } else if (live.sha256 === job.sha256) {
      const paused = live.desiredState === 'paused';
      jobs.push({
        job: job.name,
        file: job.file,
        action: paused ? 'resume' : 'none',
        state: paused ? 'kept' : 'none',
        reason: paused ? 'paused' : '',
      });
    } else if (computeChanges.length > 0) {
      jobs.push({
        job: job.name,
        file: job.file,
        action: 'recompute',
        state: 'recomputed',
        reason,
      });
    } else {
      jobs.push({
        job: job.name,
        file: job.file,
        action: 'upgrade',
        state: 'kept',
        reason: 'the job text changed (comments), not what it computes',
      });
    }
  }
  for (const live of liveJobs) {
    if (desiredJobs.some((j) => j.name === live.name)) continue;
    jobs.push({
      job: live.name,
      file: null,
      action: 'cancel',
      state: 'none',
      reason: 'no stream feature of its source remains',
    });
  }
  const backfills = features
    .filter((f) => f.engine === 'batch' && (f.change === 'add' || f.change === 'change'))
    .map((f) => ({ feature: f.name, reason: `${f.change}: ${byName.get(f.name)!.detail}` }));
  const nothing =
    features.every((f) => f.change === 'none') && jobs.every((j) => j.action === 'none');
  return { features, jobs, backfills, nothing_to_do: nothing };
}

function sourceOf(registered: readonly RegisteredFeature[], name: string): string | undefined {
  return registered.find((r) => r.name === name)?.definition.source;
}
