import {
  compare,
  comparedGenerated,
  cpuPerThousand,
  formatCores,
  formatReport,
  formatStages,
  formatThreads,
  highestSustained,
  percentile,
  rateRounds,
  RateResult,
  sustained,
  VariantResult,
} from './report';
import { SampleTimes, stageLatencies } from './stages';

const rate = (r: number, over: Partial<RateResult> = {}): RateResult => ({
  rate: r,
  round: 1,
  produced: r * 20,
  achievedRate: r,
  sampled: r,
  seen: r,
  p50: 200,
  p99: 600,
  max: 900,
  seconds: 21,
  tmCpuMsPer1000: 100,
  tmNetCpuMsPer1000: 80,
  writerCpuMsPer1000: 30,
  otherJobs: 1,
  ...over,
});

const variant = (v: VariantResult['variant'], rates: RateResult[]): VariantResult => ({
  variant: v,
  jobs: v === 'generated' ? 1 : 4,
  idleMicrosPerSecond: 50000,
  rates,
});

describe('freshness benchmark', () => {
  it('takes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(51);
    expect(percentile(xs, 99)).toBe(100);
    expect(percentile([], 99)).toBeNaN();
  });

  it('turns CPU microseconds into ms per 1,000 events, gross and net of idle', () => {
    // 2 s of CPU over 20,000 events in 20 s: 100 µs per event = 100 ms per 1,000 events.
    expect(cpuPerThousand(2e6, 20000, 20)).toEqual({ grossMs: 100 });
    // Idle 25 ms CPU/s × 20 s = 0.5 s of it was idling: 1.5 s / 20,000 = 75 ms per 1,000.
    expect(cpuPerThousand(2e6, 20000, 20, 25000)).toEqual({ grossMs: 100, netMs: 75 });
    // Never below zero; no events, no figure.
    expect(cpuPerThousand(1e5, 1000, 20, 25000).netMs).toBe(0);
    expect(cpuPerThousand(1e6, 0, 20).grossMs).toBeNaN();
  });

  it('counts a rate as sustained only with every sample seen and p99 ≤ 1 s', () => {
    expect(sustained(rate(1000))).toBe(true);
    expect(sustained(rate(1000, { p99: 1000 }))).toBe(true);
    expect(sustained(rate(1000, { p99: 1001 }))).toBe(false);
    expect(sustained(rate(1000, { seen: 999 }))).toBe(false);
    const best = highestSustained([rate(1000), rate(5000, { p99: 3000 }), rate(2500)]);
    expect(best).toBe(2500);
    expect(highestSustained([rate(1000, { p99: 2000 })])).toBeUndefined();
  });

  it("sums up each rate's rounds: medians, the p99's range, rounds sustained and within 250 ms", () => {
    const rounds = [
      rate(1000, { round: 1, p50: 50, p99: 100 }),
      rate(5000, { round: 1, p50: 80, p99: 417 }),
      rate(1000, { round: 2, p50: 52, p99: 120 }),
      rate(5000, { round: 2, p50: 74, p99: 245 }),
      rate(1000, { round: 3, p50: 54, p99: 90 }),
      rate(5000, { round: 3, p50: 90, p99: 1200 }),
    ];
    expect(rateRounds(rounds)).toEqual([
      {
        rate: 1000,
        rounds: 3,
        p50Median: 52,
        p99Median: 100,
        p99Min: 90,
        p99Max: 120,
        sustainedRounds: 3,
        withinTarget: 3,
      },
      {
        rate: 5000,
        rounds: 3,
        p50Median: 80,
        p99Median: 417,
        p99Min: 245,
        p99Max: 1200,
        sustainedRounds: 2,
        withinTarget: 1,
      },
    ]);
    // Sustained in 2 of 3 rounds: more than half.
    expect(highestSustained(rounds)).toBe(5000);
    // 1 of 2: not more than half.
    expect(highestSustained([rate(5000, { p99: 1200 }), rate(5000, { round: 2 })])).toBeUndefined();
    // A sample never seen fails a round for the target too.
    expect(rateRounds([rate(5000, { p99: 100, seen: 1 })])[0].withinTarget).toBe(0);
    // An even count: the median is between the middle two.
    expect(rateRounds([rate(5000, { p99: 200 }), rate(5000, { p99: 300 })])[0].p99Median).toBe(250);
  });

  it("prints the rounds' table and issue 21's verdict on the median", () => {
    const g = variant('generated', [
      rate(5000, { round: 1, p99: 245 }),
      rate(5000, { round: 2, p99: 417 }),
      rate(5000, { round: 3, p99: 202 }),
    ]);
    const text = formatReport([g], 20, '1.00 2.00 3.00');
    expect(text).toContain('every stream feature), 20 s per rate, 3 rounds; TaskManager idle');
    expect(text).toMatch(/^round {2}rate\/s/m);
    expect(text).toMatch(/^5000 +3 +200 +245 \(202-417\) +3\/3 +2\/3$/m);
    expect(text).toContain('highest rate with p99 ≤ 1 s in most rounds: 5000 events/s');
    expect(text).toContain(
      'issue 21: p99 ≤ 250 ms at 5000 events/s: MET (median of 3 rounds 245 ms)',
    );
    const one = formatReport([variant('generated', [rate(5000, { p99: 417 })])], 20, '1');
    expect(one).toContain('issue 21: p99 ≤ 250 ms at 5000 events/s: MISSED (417 ms)');
    expect(one).not.toContain('round');
  });

  it('compares CPU per event over the rates both sustained, weighted by events', () => {
    const g = variant('generated', [
      rate(1000, { tmCpuMsPer1000: 60, tmNetCpuMsPer1000: 30 }),
      rate(3000, { tmCpuMsPer1000: 40, tmNetCpuMsPer1000: 30 }),
      rate(5000, { tmCpuMsPer1000: 10, p99: 5000 }),
    ]);
    const h = variant('handwritten', [
      rate(1000, { tmCpuMsPer1000: 120, tmNetCpuMsPer1000: 60 }),
      rate(3000, { tmCpuMsPer1000: 100, tmNetCpuMsPer1000: 60 }),
      rate(5000, { p99: 5000 }),
    ]);
    const c = compare(g, h);
    expect(c.comparedRates).toEqual([1000, 3000]);
    // (60·20k + 40·60k) / 80k = 45; (120·20k + 100·60k) / 80k = 105.
    expect(c.cpuRatio).toBeCloseTo(45 / 105);
    expect(c.netCpuRatio).toBeCloseTo(0.5);
    expect(c.sustainedRatio).toBe(1);
    expect(c.atCeiling).toBe(false);
    expect(c.sharedSourceCheaper).toBe(true);
  });

  it('compares the hand-written jobs with the generated job of the same features when it ran', () => {
    const all = variant('generated', [rate(1000)]);
    const seed = variant('generated-seed', [rate(1000)]);
    expect(comparedGenerated([all, seed])).toBe(seed);
    expect(comparedGenerated([all])).toBe(all);
    expect(comparedGenerated([variant('handwritten', [rate(1000)])])).toBeUndefined();
    const text = formatReport(
      [variant('handwritten', [rate(1000)]), all, seed],
      20,
      '1.00 2.00 3.00',
    );
    expect(text).toContain('generated-seed / hand-written, TaskManager CPU per event');
  });

  it('falls back to every common rate when no rate was sustained by both', () => {
    const g = variant('generated', [rate(1000, { p99: 2000, tmCpuMsPer1000: 50 })]);
    const h = variant('handwritten', [rate(1000, { p99: 3000, tmCpuMsPer1000: 40 })]);
    const c = compare(g, h);
    expect(c.comparedRates).toEqual([1000]);
    expect(c.cpuRatio).toBeCloseTo(1.25);
    expect(c.sustainedRatio).toBeNaN();
    expect(c.sharedSourceCheaper).toBe(false);
  });

  it('prints a table per variant, the sustained rates and the ratios', () => {
    const g = variant('generated', [rate(1000, { tmCpuMsPer1000: 50 }), rate(2500)]);
    const cores = { machine: 1.934, of: 2, groups: { taskmanager: 0.712, writer: 0.371 } };
    const h = variant('handwritten', [rate(1000), rate(2500, { p99: 1500, cores })]);
    const text = formatReport([h, g], 20, '1.00 2.00 3.00');
    expect(text).toContain(
      'hand-written (4 jobs, the 4 seed features), 20 s per rate; TaskManager idle 50.0 ms CPU/s',
    );
    expect(text).toContain('generated (1 job, statement set, every stream feature)');
    expect(text).toContain('generated / hand-written, TaskManager CPU per event');
    expect(text).toMatch(/highest rate with p99 ≤ 1 s: 1000 events\/s/);
    expect(text).toMatch(/highest rate with p99 ≤ 1 s: 2500 events\/s/);
    expect(text).toContain('TaskManager CPU per event (rates 1000): 0.50× (net of idle 1.00×)');
    expect(text).toContain('shared source cheaper: PASS');
    expect(text).toContain('highest sustained rate: 2.50× (a variant sustained the highest rate');
    expect(text).toContain('load average at the end: 1.00 2.00 3.00');
    const row = text.split('\n').find((l) => l.startsWith('2500') && l.includes(' no '));
    expect(row?.split(/\s+/)).toEqual([
      '2500',
      '2500',
      '2500/2500',
      '200',
      '1500',
      '900',
      'no',
      '—',
      '100.0',
      '80.0',
      '30.0',
      '—',
      '—',
      '1.93/2',
      '1',
    ]);
    expect(formatCores(cores)).toBe('1.93 of 2 (taskmanager 0.71, writer 0.37)');
    expect(formatCores(undefined)).toBe('—');
  });
});

describe("the TaskManager's threads", () => {
  it('prints each kind with its cores, busiest first as measured; a dash for none', () => {
    expect(
      formatThreads([
        ['Deduplicate[4]', 0.314],
        ['rocksdb:low', 0.05],
      ]),
    ).toBe('Deduplicate[4] 0.31, rocksdb:low 0.05');
    expect(formatThreads([])).toBe('—');
    expect(formatThreads(undefined)).toBe('—');
  });
});

describe('where the delay goes', () => {
  it('splits each sample seen at every stage into producer, Flink and writer', () => {
    const samples: SampleTimes[] = [
      { producedAt: 1000, rawAppendedAt: 1004, changelogAppendedAt: 1154, visibleAt: 1194 },
      { producedAt: 2000, rawAppendedAt: 2010, changelogAppendedAt: 2410, visibleAt: 2500 },
      // A broker clock a millisecond behind the bench's: 0, not −1.
      { producedAt: 3000, rawAppendedAt: 2999, changelogAppendedAt: 3200, visibleAt: 3230 },
      // Not seen in the changelog, or never visible: left out.
      { producedAt: 4000, rawAppendedAt: 4001, visibleAt: 4500 },
      { producedAt: 5000, rawAppendedAt: 5001, changelogAppendedAt: 5100 },
    ];
    const r = stageLatencies(samples);
    expect(r.complete).toBe(3);
    // Per stage, sorted: producer 0, 4, 10; Flink 150, 201, 400; writer 30, 40, 90.
    expect(r.stages).toEqual({
      producer: { p50: 4, p99: 10 },
      flink: { p50: 201, p99: 400 },
      writer: { p50: 40, p99: 90 },
    });
    expect(formatStages(r)).toBe('producer 4/10, flink 201/400, writer 40/90');
    expect(formatStages(stageLatencies([samples[3]]))).toBe('—');
  });
});
