import { Gauge, Registry } from 'prom-client';
import { jobSummary } from '../runs/job-output';

/** The summary line spark-jobs/consistency.py prints (docs/consistency.md). */
export const CONSISTENCY_SUMMARY = 'CONSISTENCY_SUMMARY';
const STATUSES = ['consistent', 'inconsistent', 'not_yet_processed'] as const;

export interface FeatureConsistency {
  feature: string;
  reads: number;
  consistent: number;
  inconsistent: number;
  not_yet_processed: number;
  /** inconsistent / reads; null without reads. */
  inconsistent_ratio: number | null;
}

/**
 * The per-feature figures of a consistency run's log (its last CONSISTENCY_SUMMARY line), or
 * undefined when the log has none. Fields that are not numbers are left out (a feature without
 * reads has no ratio).
 */
export function consistencyOf(log: string | null): FeatureConsistency[] | undefined {
  const summary = jobSummary(log);
  if (summary?.name !== CONSISTENCY_SUMMARY) return undefined;
  const features = summary.value.features;
  if (!features || typeof features !== 'object') return undefined;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return Object.entries(features as Record<string, Record<string, unknown>>).map(([name, f]) => ({
    feature: name,
    reads: num(f.reads),
    consistent: num(f.consistent),
    inconsistent: num(f.inconsistent),
    not_yet_processed: num(f.not_yet_processed),
    inconsistent_ratio:
      typeof f.inconsistent_ratio === 'number' && Number.isFinite(f.inconsistent_ratio)
        ? f.inconsistent_ratio
        : null,
  }));
}

export interface LastConsistencyRun {
  finishedAt: Date;
  logTail: string | null;
}

/**
 * The last successful consistency run's report as gauges, read from PostgreSQL at scrape time
 * (like fstore_control_batch_last_success_timestamp_seconds): a restart of the control plane
 * does not lose it.
 */
export class ConsistencyGauges {
  /** Where the last successful run is read from (set by RunsService). */
  source?: () => Promise<LastConsistencyRun | undefined>;

  readonly ratio: Gauge;
  readonly reads: Gauge;
  readonly finished: Gauge;

  constructor(registry: Registry) {
    this.ratio = new Gauge({
      name: 'fstore_consistency_inconsistent_ratio',
      help: 'Share of the logged reads of each feature whose served value differs from the offline value at the same time (last successful consistency run)',
      labelNames: ['feature'],
      registers: [registry],
      collect: () => this.refresh(),
    });
    this.reads = new Gauge({
      name: 'fstore_consistency_reads',
      help: 'Logged reads of each feature in the last successful consistency run, by outcome (consistent, inconsistent, not_yet_processed)',
      labelNames: ['feature', 'status'],
      registers: [registry],
      collect: () => this.refresh(),
    });
    this.finished = new Gauge({
      name: 'fstore_consistency_last_run_timestamp_seconds',
      help: 'When the last successful consistency run finished (Unix time; 0: none)',
      registers: [registry],
      collect: () => this.refresh(),
    });
  }

  private refreshing?: Promise<void>;

  /** One read of PostgreSQL per scrape, shared by the three gauges (collected concurrently). */
  private refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const run = await this.source?.().catch(() => undefined);
    this.ratio.reset();
    this.reads.reset();
    this.finished.reset();
    if (!run) return;
    this.apply(run);
  }

  /** Sets the gauges from a run (the figures of its summary). */
  apply(run: LastConsistencyRun): void {
    const features = consistencyOf(run.logTail) ?? [];
    for (const f of features) {
      if (f.inconsistent_ratio !== null)
        this.ratio.set({ feature: f.feature }, f.inconsistent_ratio);
      for (const s of STATUSES) this.reads.set({ feature: f.feature, status: s }, f[s]);
    }
    this.finished.set(run.finishedAt.getTime() / 1000);
  }
}
