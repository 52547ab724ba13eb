import type { HealthService } from '../health/health.service';
import { CHARTED_PANELS, ConsoleHealthService, HISTORY_SERIES } from './console-health.service';
import type { PromRange, PrometheusRepository } from './prometheus.repository';

/** A Prometheus that records the range queries asked and answers `series` for each. */
function prometheus(series: PromRange[], configured = true) {
  const asked: [string, number, number, number][] = [];
  const repo = {
    configured,
    queryRange: async (q: string, start: number, end: number, step: number) => {
      asked.push([q, start, end, step]);
      return series;
    },
  } as unknown as PrometheusRepository;
  return { repo, asked };
}
const health = {} as HealthService;
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

describe('ConsoleHealthService.history', () => {
  it('asks each charted panel over the last minutes, 60 points, at most 12 series', async () => {
    const many = Array.from({ length: 20 }, (_, i) => ({
      labels: { feature: `f${i}` },
      points: [[NOW / 1000, i] as [number, number | null]],
    }));
    const { repo, asked } = prometheus(many);
    const history = await new ConsoleHealthService(health, repo).history(60, NOW);
    const end = NOW / 1000;
    expect(asked).toEqual(CHARTED_PANELS.map((p) => [p.query, end - 3600, end, 60]));
    expect(history).toMatchObject({ minutes: 60, step_seconds: 60, metrics_error: null });
    expect(history.panels.map((p) => p.name)).toEqual(CHARTED_PANELS.map((p) => p.name));
    expect(history.panels.map((p) => p.name)).not.toContain('targets_up');
    expect(history.panels[0].series).toHaveLength(HISTORY_SERIES);
    expect(history.panels[0].series[11].labels).toEqual({ feature: 'f11' });
  });

  it('never steps below the scrape interval (15 s) on a short span', async () => {
    const { repo, asked } = prometheus([]);
    expect(await new ConsoleHealthService(health, repo).history(5, NOW)).toMatchObject({
      step_seconds: 15,
    });
    expect(asked[0][3]).toBe(15);
  });

  it('says why there is nothing: Prometheus not configured, or failing', async () => {
    const unconfigured = prometheus([], false).repo;
    expect(await new ConsoleHealthService(health, unconfigured).history(60, NOW)).toEqual({
      minutes: 60,
      step_seconds: 60,
      panels: [],
      metrics_error: 'Prometheus is not configured (FSTORE_PROMETHEUS_PASSWORD unset)',
    });
    const failing = {
      configured: true,
      queryRange: async () => {
        throw new Error('Prometheus answered 503');
      },
    } as unknown as PrometheusRepository;
    expect(await new ConsoleHealthService(health, failing).history(60, NOW)).toMatchObject({
      panels: [],
      metrics_error: 'Prometheus answered 503',
    });
  });
});
