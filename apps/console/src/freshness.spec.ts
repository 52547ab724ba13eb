import { seconds } from './format';
import { freshnessOf } from './freshness';

const panel = (name: string, series: { feature: string; value: number | null }[]) => ({
  name,
  title: name,
  query: 'q',
  series: series.map(({ feature, value }) => ({ labels: { feature }, value })),
});

describe('freshnessOf', () => {
  it("picks this feature's series of each per-feature panel", () => {
    const health = {
      panels: [
        panel('targets_up', []),
        panel('freshness_p50_seconds', [
          { feature: 'spend_24h', value: 0.2 },
          { feature: 'revenue_1h', value: 0.4 },
        ]),
        panel('freshness_p99_seconds', [{ feature: 'spend_24h', value: 0.9 }]),
        panel('newest_value_age_seconds', [{ feature: 'spend_24h', value: 12.5 }]),
      ],
    };
    expect(freshnessOf(health, 'spend_24h')).toEqual({ p50: 0.2, p99: 0.9, newestAge: 12.5 });
    expect(freshnessOf(health, 'revenue_1h')).toEqual({ p50: 0.4, p99: null, newestAge: null });
  });

  it('none for a feature Prometheus has no numbers of, a NaN quantile, or no panels', () => {
    const health = { panels: [panel('freshness_p50_seconds', [{ feature: 'x', value: NaN }])] };
    expect(freshnessOf(health, 'x')).toEqual({ p50: null, p99: null, newestAge: null });
    expect(freshnessOf({ panels: [] }, 'units_sold')).toEqual({
      p50: null,
      p99: null,
      newestAge: null,
    });
  });
});

describe('seconds', () => {
  it('writes durations as a person reads them', () => {
    expect([null, 0.0456, 2.44, 185, 7260].map(seconds)).toEqual([
      '—',
      '46 ms',
      '2.4 s',
      '3 min 5 s',
      '2 h 1 min',
    ]);
  });
});
