import { Inject, Injectable } from '@nestjs/common';
import { HealthService } from '../health/health.service';
import type { ConsoleHealthDto, ConsoleHealthHistoryDto } from '../responses.dto';
import { PrometheusRepository } from './prometheus.repository';
import { PROMETHEUS } from '../tokens';

/**
 * The numbers of the health page: a fixed list, so a browser never sends PromQL of its own (the
 * freshness and lag queries are those of monitoring/alerts.yml; the serving, restart and batch
 * ones those of the k8s dashboards' panels).
 */
export const HEALTH_PANELS = [
  { name: 'targets_up', title: 'Scrape targets up', query: 'up' },
  {
    name: 'freshness_p50_seconds',
    title: 'Freshness p50 (s), per feature',
    query:
      'histogram_quantile(0.5, sum by (feature, le) (rate(fstore_writer_event_age_seconds_bucket[5m])))',
  },
  {
    name: 'freshness_p99_seconds',
    title: 'Freshness p99 (s), per feature',
    query:
      'histogram_quantile(0.99, sum by (feature, le) (rate(fstore_writer_event_age_seconds_bucket[5m])))',
  },
  {
    name: 'newest_value_age_seconds',
    title: 'Age of the newest stored value (s), per feature',
    query: 'time() - max by (feature) (fstore_writer_newest_event_time_seconds)',
  },
  {
    name: 'writer_lag',
    title: 'Feature writer lag (records)',
    query: 'sum(fstore_writer_consumer_lag)',
  },
  {
    name: 'deployments_running',
    title: 'Streaming deployments running (1) or not (0)',
    query: 'fstore_control_deployment_running',
  },
  {
    name: 'serving_requests_per_second',
    title: 'Feature reads per second',
    query: 'sum(rate(fstore_http_requests_total{job="feature-server"}[5m]))',
  },
  {
    name: 'serving_latency_p99_seconds',
    title: 'Feature read latency p99 (s)',
    query:
      'histogram_quantile(0.99, sum by (le) (rate(fstore_http_request_duration_seconds_bucket{job="feature-server"}[5m])))',
  },
  {
    name: 'serving_errors_per_second',
    title: 'Feature read errors per second, by status',
    query:
      'sum by (status) (rate(fstore_http_requests_total{job="feature-server",status=~"[45].."}[5m]))',
  },
  {
    name: 'flink_job_restarts',
    title: 'Flink job restarts, per job',
    query: 'max by (job_name) (flink_jobmanager_job_numRestarts)',
  },
  {
    name: 'flink_checkpoint_duration_seconds',
    title: 'Flink last checkpoint duration (s), per job',
    query: 'max by (job_name) (flink_jobmanager_job_lastCheckpointDuration) / 1000',
  },
  {
    name: 'flink_checkpoint_size_bytes',
    title: 'Flink last checkpoint size (bytes), per job',
    query: 'max by (job_name) (flink_jobmanager_job_lastCheckpointSize)',
  },
  {
    name: 'process_cpu_cores',
    title: 'CPU of each fstore process (cores)',
    query: 'sum by (job, instance) (rate(process_cpu_seconds_total[1m]))',
  },
  {
    name: 'process_memory_bytes',
    title: 'Resident memory of each fstore process (bytes)',
    query: 'sum by (job, instance) (process_resident_memory_bytes)',
  },
  {
    name: 'batch_last_success_age_seconds',
    title: 'Age of the last successful batch run (s), per job',
    query: 'time() - fstore_control_batch_last_success_timestamp_seconds',
  },
] as const;

/** Why the panels are empty when the control plane has no Prometheus password. */
const PROMETHEUS_NOT_CONFIGURED = 'Prometheus is not configured (FSTORE_PROMETHEUS_PASSWORD unset)';

/** The panels drawn over time: every one but the list of scrape targets (a table, not a chart). */
export const CHARTED_PANELS = HEALTH_PANELS.filter((p) => p.name !== 'targets_up');
/** Points a chart draws per series, whatever its span. */
export const HISTORY_POINTS = 60;
/** Series a chart draws at most (the first by Prometheus's order). */
export const HISTORY_SERIES = 12;

@Injectable()
export class ConsoleHealthService {
  constructor(
    @Inject(HealthService) private readonly health: HealthService,
    @Inject(PROMETHEUS) private readonly prometheus: PrometheusRepository,
  ) {}

  async report(): Promise<ConsoleHealthDto> {
    const components = await this.health.checks();
    if (!this.prometheus.configured) {
      return {
        components,
        panels: [],
        metrics_error: PROMETHEUS_NOT_CONFIGURED,
      };
    }
    try {
      const panels = await Promise.all(
        HEALTH_PANELS.map(async (p) => ({ ...p, series: await this.prometheus.query(p.query) })),
      );
      return { components, panels, metrics_error: null };
    } catch (e) {
      return { components, panels: [], metrics_error: (e as Error).message };
    }
  }

  /** The charted panels over the last `minutes`, HISTORY_POINTS points a series. */
  async history(minutes: number, now = Date.now()): Promise<ConsoleHealthHistoryDto> {
    const step = Math.max(15, Math.round((minutes * 60) / HISTORY_POINTS));
    const end = Math.floor(now / 1000);
    const start = end - minutes * 60;
    const empty = { minutes, step_seconds: step, panels: [] };
    if (!this.prometheus.configured) {
      return {
        ...empty,
        metrics_error: PROMETHEUS_NOT_CONFIGURED,
      };
    }
    try {
      const panels = await Promise.all(
        CHARTED_PANELS.map(async (p) => ({
          ...p,
          series: (await this.prometheus.queryRange(p.query, start, end, step)).slice(
            0,
            HISTORY_SERIES,
          ),
        })),
      );
      return { ...empty, panels, metrics_error: null };
    } catch (e) {
      return { ...empty, metrics_error: (e as Error).message };
    }
  }
}
