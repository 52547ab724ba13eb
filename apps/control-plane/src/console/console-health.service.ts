import { Inject, Injectable } from '@nestjs/common';
import { CONSOLE_PANELS, type ConsolePanel } from '@fstore/observability';
import { HealthService } from '../health/health.service';
import type { ConsoleHealthDto, ConsoleHealthHistoryDto } from '../responses.dto';
import { PrometheusRepository } from './prometheus.repository';
import { PROMETHEUS } from '../tokens';

/** What the API answers of a panel (not how the source marks it). */
const asked = ({ name, title, query }: ConsolePanel) => ({ name, title, query });

/**
 * The numbers of the health page: a fixed list, so a browser never sends PromQL of its own. They
 * are the dashboards' queries marked for the console (libs/observability/src/dashboards.ts, the
 * source of the k8s dashboards too).
 */
export const HEALTH_PANELS = CONSOLE_PANELS.map(asked);

/** Why the panels are empty when the control plane has no Prometheus password. */
const PROMETHEUS_NOT_CONFIGURED = 'Prometheus is not configured (FSTORE_PROMETHEUS_PASSWORD unset)';

/** The panels drawn over time: those not marked `chart: false` (the scrape targets: a list). */
export const CHARTED_PANELS = CONSOLE_PANELS.filter((p) => p.chart).map(asked);
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
