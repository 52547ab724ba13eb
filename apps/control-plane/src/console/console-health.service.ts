import { Inject, Injectable } from '@nestjs/common';
import { HealthService } from '../health/health.service';
import type { ConsoleHealthDto } from '../responses.dto';
import { PrometheusRepository } from './prometheus.repository';
import { PROMETHEUS } from '../tokens';

/**
 * The numbers of the health page: a fixed list, so a browser never sends PromQL of its own (the
 * freshness and lag queries are those of monitoring/alerts.yml).
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
    query: 'sum(rate(fstore_http_requests_total[5m]))',
  },
] as const;

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
        metrics_error: 'Prometheus is not configured (FSTORE_PROMETHEUS_PASSWORD unset)',
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
}
