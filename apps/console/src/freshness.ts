import type { ConsoleHealth } from '@fstore/client';

/** One feature's freshness, from the health report's per-feature panels (seconds; null: none). */
export interface Freshness {
  p50: number | null;
  p99: number | null;
  newestAge: number | null;
}

/** The panels of GET /v1/console/health that are per feature, and what each gives. */
const PANELS: Record<keyof Freshness, string> = {
  p50: 'freshness_p50_seconds',
  p99: 'freshness_p99_seconds',
  newestAge: 'newest_value_age_seconds',
};

/**
 * The feature's numbers out of the health report: the series of each per-feature panel whose
 * `feature` label is this feature (the control plane runs fixed queries; the page never sends
 * PromQL). NaN (a quantile without events in its range) counts as none.
 */
export function freshnessOf(health: Pick<ConsoleHealth, 'panels'>, feature: string): Freshness {
  const valueOf = (panel: string): number | null => {
    const series = health.panels
      .find((p) => p.name === panel)
      ?.series.find((s) => s.labels.feature === feature);
    const value = series?.value;
    return value === null || value === undefined || Number.isNaN(value) ? null : value;
  };
  return {
    p50: valueOf(PANELS.p50),
    p99: valueOf(PANELS.p99),
    newestAge: valueOf(PANELS.newestAge),
  };
}
