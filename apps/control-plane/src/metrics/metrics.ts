import { Counter, Gauge } from 'prom-client';
import { HttpMetrics } from '@fstore/rest-api';
import { ConsistencyGauges } from './consistency-metrics';

/** The control plane's Prometheus metrics: requests (shared) plus operations and reconciling. */
export class ControlMetrics extends HttpMetrics {
  readonly operations = new Counter({
    name: 'fstore_control_operations_total',
    help: 'Operations finished by this process, by kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [this.registry],
  });
  readonly reconciled = new Counter({
    name: 'fstore_control_reconcile_passes_total',
    help: 'Reconciler passes completed',
    registers: [this.registry],
  });

  /** Per deployment meant to run: 1 while Flink reports it RUNNING with no drift, else 0. */
  readonly deploymentRunning = new Gauge({
    name: 'fstore_control_deployment_running',
    help: 'Deployments meant to run: 1 when observed RUNNING without drift, 0 otherwise',
    labelNames: ['deployment'],
    registers: [this.registry],
  });

  /** Where the last successful batch run of each job is read from (set by RunsService). */
  lastSuccessSource?: () => Promise<{ job: string; finishedAt: Date }[]>;

  readonly lastSuccessfulRun = new Gauge({
    name: 'fstore_control_batch_last_success_timestamp_seconds',
    help: 'When the last successful run of each batch job finished (Unix time), from PostgreSQL',
    labelNames: ['job'],
    registers: [this.registry],
    // Read at scrape time from the run records, so that a restart of the control plane does not
    // make a job look as if it never ran.
    collect: async () => {
      const rows = (await this.lastSuccessSource?.().catch(() => undefined)) ?? [];
      this.lastSuccessfulRun.reset();
      for (const r of rows)
        this.lastSuccessfulRun.set({ job: r.job }, r.finishedAt.getTime() / 1000);
    },
  });

  /** The last successful consistency run's report (spark-jobs/consistency.py). */
  readonly consistency = new ConsistencyGauges(this.registry);
}
