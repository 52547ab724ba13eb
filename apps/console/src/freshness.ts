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

/** Seconds as a person reads them: `850 ms`, `2.4 s`, `3 min 5 s`, `2 h 1 min`. */
export function seconds(value: number | null): string {
  if (value === null) return '—';
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 60) return `${value.toFixed(1)} s`;
  const s = Math.round(value);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
