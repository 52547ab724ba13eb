import { flatness, holdsUp, slope } from './flat';
import {
  checkedIds,
  dueBy,
  isChecked,
  redeliveryOf,
  SoakShape,
  soakEvent,
  wireMessage,
} from './load';
import { compareValues, formatComparison, keyParts, referenceValues } from './reference';
import {
  FLOORS,
  formatSamples,
  formatVerdicts,
  formatMemoryPerKeys,
  memoryPerThousandKeys,
  groupLag,
  parseVmRss,
  progressLine,
  Sample,
  seriesOf,
  verdicts,
} from './report';

const MIB = 1024 * 1024;
const T = Date.UTC(2026, 11, 1, 10, 0, 0, 5);
const shape: SoakShape = {
  prefix: 'soakab-',
  customers: 5000,
  products: 2000,
  categories: 8,
  checkCustomers: 50,
  checkProducts: 20,
};

describe('bench:soak load', () => {
  it('paces a schedule by elapsed time: whole operations due so far', () => {
    expect([0, 10, 499, 500, 1000, 60000].map((ms) => dueBy(ms, 2000))).toEqual([
      0, 20, 998, 1000, 2000, 120000,
    ]);
    expect(dueBy(1500, 3)).toBe(4);
    expect(dueBy(-5, 100)).toBe(0);
  });

  it('redelivers one event in 1/share, the one sent `lag` events before', () => {
    const pairs = Array.from({ length: 1400 }, (_, i) => [i, redeliveryOf(i, 0.01, 1000)]).filter(
      ([, r]) => r !== undefined,
    );
    expect(pairs).toEqual([
      [1099, 99],
      [1199, 199],
      [1299, 299],
      [1399, 399],
    ]);
    const count = (share: number) =>
      Array.from({ length: 100000 }, (_, i) => redeliveryOf(i, share, 1000)).filter(
        (r) => r !== undefined,
      ).length;
    expect(count(0.01)).toBe(990);
    expect(count(0)).toBe(0);
  });

  it('makes event i of bounded entities, ids in production order', () => {
    expect(soakEvent(shape, 5123, T)).toEqual({
      event_id: 'soakab-e0000005123',
      customer_id: 'soakab-c123',
      product_id: 'soakab-p1123',
      category: 'soakab-cat3',
      price: 93.23,
      quantity: 3,
      transaction_date: '2026-12-01 10:00:00.005',
      review_rating: 4,
    });
    expect(soakEvent(shape, 8, T)).toMatchObject({
      category: 'soakab-cat-check',
      review_rating: null,
    });
    expect(soakEvent(shape, 9, T).event_id < soakEvent(shape, 10, T).event_id).toBe(true);
    expect(JSON.parse(wireMessage(soakEvent(shape, 10, T)).value)).toMatchObject({
      customer_id: 'soakab-c10',
      price: 20.1,
      customer_age: 30,
      review_text: null,
    });
    expect(wireMessage(soakEvent(shape, 10, T)).key).toBe('soakab-c10');
  });

  it('keeps the events of the checked customers and products', () => {
    expect(
      [10, 2010, 5123, 5049, 5050].map((i) => isChecked(shape, soakEvent(shape, i, T))),
    ).toEqual([true, true, false, true, false]);
    const ids = checkedIds(shape);
    expect(ids.size).toBe(71);
    expect(['soakab-c49', 'soakab-p19', 'soakab-cat-check'].every((id) => ids.has(id))).toBe(true);
    expect(ids.has('soakab-c50') || ids.has('soakab-p20')).toBe(false);
  });
});

describe('bench:soak reference comparison', () => {
  const small: SoakShape = {
    prefix: 's-',
    customers: 3,
    products: 2,
    categories: 2,
    checkCustomers: 1,
    checkProducts: 1,
  };

  it('computes the reference of the checked keys only, from the kept events', () => {
    const events = Array.from({ length: 6 }, (_, i) => soakEvent(small, i, T + i * 1000));
    const kept = events.filter((e) => isChecked(small, e));
    expect(kept.map((e) => e.event_id)).toEqual([
      's-e0000000000',
      's-e0000000002',
      's-e0000000003',
      's-e0000000004',
    ]);
    // Event 2 redelivered: counted once.
    const expected = referenceValues([...kept, events[2]], checkedIds(small));
    expect(Object.fromEntries([...expected].map(([k, v]) => [k, v.value]))).toEqual({
      'last_purchase_amount:{s-c0}': '13.03',
      'avg_review:{s-p0}': '3',
      'last_review:{s-c0}_{s-p1}': '4',
      'last_review:{s-c2}_{s-p0}': '3',
      'revenue_category:{s-cat-check}': '23.03',
    });
  });

  it('compares Redis with the reference: exact decimals and ints, doubles to 1e-9', () => {
    expect(keyParts('last_review:{a}_{b-1}')).toEqual(['a', 'b-1']);
    const expected = new Map([
      ['last_purchase_amount:{x}', { value: '12.50', kind: 'decimal' as const }],
      ['avg_review:{p}', { value: '3.3333333333333335', kind: 'double' as const }],
      ['avg_review:{q}', { value: '2.5', kind: 'double' as const }],
      ['last_review:{x}_{p}', { value: '4', kind: 'int' as const }],
    ]);
    const actual = new Map<string, string | null>([
      ['last_purchase_amount:{x}', '12.5'],
      ['avg_review:{p}', '3.333333333333333'],
      ['avg_review:{q}', '2.5'],
    ]);
    const c = compareValues(expected, actual);
    expect(c).toEqual({
      compared: 4,
      mismatches: [
        { key: 'last_purchase_amount:{x}', expected: '12.50', actual: '12.5' },
        { key: 'last_review:{x}_{p}', expected: '4', actual: null },
      ],
    });
    expect(formatComparison(c, 1)).toBe(
      'final values: 2 of 4 keys differ from the reference\n' +
        '  last_purchase_amount:{x}: Redis 12.5, reference 12.50',
    );
    expect(formatComparison({ compared: 7, mismatches: [] })).toBe(
      'final values: 7 keys equal the reference',
    );
  });
});

describe('bench:soak flatness rule', () => {
  const minutes = (f: (t: number) => number) =>
    Array.from({ length: 31 }, (_, m) => ({ t: m * 60, v: f(m * 60) }));

  it('fits the least-squares slope', () => {
    expect(
      slope([
        { t: 0, v: 1 },
        { t: 1, v: 3 },
        { t: 2, v: 5 },
      ]),
    ).toBe(2);
    expect(slope([{ t: 5, v: 1 }])).toBeNaN();
  });

  it('judges the second half: drift over the half within 10 % of its mean, or the floor', () => {
    expect(
      flatness(
        minutes(() => 100 * MIB),
        0,
      ),
    ).toEqual({
      verdict: 'flat',
      drift: 0,
      mean: 100 * MIB,
      allowed: 10 * MIB,
      points: 16,
    });
    // Growing by 1 a second: 900 over the half (t 900..1800), mean 2350, 10 % is 235.
    expect(
      flatness(
        minutes((t) => 1000 + t),
        0,
      ),
    ).toEqual({
      verdict: 'growing',
      drift: 900,
      mean: 2350,
      allowed: 235,
      points: 16,
    });
    expect(
      flatness(
        minutes((t) => 1000 + t),
        1000,
      ).verdict,
    ).toBe('flat');
    expect(
      flatness(
        minutes((t) => 5000 - t),
        0,
      ),
    ).toMatchObject({ verdict: 'shrinking', drift: -900 });
    // Warming up in the first half, then level: flat.
    expect(
      flatness(
        minutes((t) => Math.min(t, 900)),
        0,
      ),
    ).toMatchObject({ verdict: 'flat', drift: 0 });
    expect(
      flatness(
        [
          { t: 0, v: 1 },
          { t: 60, v: 2 },
        ],
        0,
      ).verdict,
    ).toBe('too few samples');
  });

  it('lets --check pass a flat or shrinking series, not a growing one or one without a verdict', () => {
    const verdicts = [
      flatness(
        minutes(() => 1000),
        0,
      ),
      flatness(
        minutes((t) => 5000 - t),
        0,
      ),
      flatness(
        minutes((t) => 1000 + 2 * t),
        0,
      ),
      flatness([{ t: 0, v: 1 }], 0),
    ];
    expect(verdicts.map((f) => [f.verdict, holdsUp(f)])).toEqual([
      ['flat', true],
      ['shrinking', true],
      ['growing', false],
      ['too few samples', false],
    ]);
  });
});

describe('bench:soak report', () => {
  const sample = (seconds: number, rss: number, extra: Partial<Sample> = {}): Sample => ({
    seconds,
    produced: seconds * 2000,
    redelivered: seconds * 20,
    reads: seconds * 1000,
    readErrors: {},
    rssBytes: { jobmanager: rss * MIB, 'feature-writer': 100 * MIB },
    redisUsedMemory: 50 * MIB,
    redisKeys: 30000,
    checkpointBytes: { 'features-transactions': 2 * MIB },
    writerLag: 10,
    ...extra,
  });
  const samples = [
    sample(0, 500),
    sample(60, 510),
    sample(120, 600, { readErrors: { '503': 2, socket: 1 } }),
  ];

  it('reads VmRSS and a consumer group lag', () => {
    expect(
      parseVmRss('Name:\tjava\nVmPeak:\t 2000 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 1 kB\n'),
    ).toBe(123456 * 1024);
    expect(parseVmRss('Name:\tkthreadd\n')).toBeUndefined();
    expect(
      groupLag(
        [
          { topic: 'a', partition: 0, high: '100', low: '0' },
          { topic: 'a', partition: 1, high: '50', low: '10' },
          { topic: 'b', partition: 0, high: '7', low: '7' },
        ],
        [
          { topic: 'a', partition: 0, offset: '90' },
          { topic: 'a', partition: 1, offset: '-1' },
          { topic: 'b', partition: 0, offset: '7' },
        ],
      ),
    ).toBe(50);
  });

  it('makes a series of each process, Redis, each job and the lag', () => {
    const series = seriesOf(samples);
    expect(series.map((s) => [s.name, s.floor, s.points.length])).toEqual([
      ['rss feature-writer', FLOORS.rss, 3],
      ['rss jobmanager', FLOORS.rss, 3],
      ['redis used_memory', FLOORS.redis, 3],
      ['redis keys', FLOORS.redisKeys, 3],
      ['checkpoint features-transactions', FLOORS.checkpoint, 3],
      ['writer lag', FLOORS.lag, 3],
    ]);
  });

  it('prints a progress line, the samples and the verdicts', () => {
    expect(progressLine(samples[2])).toBe(
      '2.0 min: produced 240000 (+2400 redelivered), read 120000 (3 failed), RSS 700.0 MiB over ' +
        '2 processes, Redis 50.0 MiB in 30000 keys, Flink state 2.0 MiB, writer lag 10',
    );
    expect(formatSamples(samples)).toBe(
      [
        'min  produced  redelivered  reads   failed  RSS MiB  Redis MiB  keys   state MiB  lag',
        '0.0  0         0            0       0       600.0    50.0       30000  2.0        10',
        '1.0  120000    1200         60000   0       610.0    50.0       30000  2.0        10',
        '2.0  240000    2400         120000  3       700.0    50.0       30000  2.0        10',
      ].join('\n'),
    );
    // The half is t ≥ 60: two points, no verdict.
    expect(verdicts(samples).map((v) => v.flatness.verdict)).toEqual(
      Array(6).fill('too few samples'),
    );
    const long = [0, 60, 120, 180, 240].map((t) => sample(t, t === 240 ? 600 : 500));
    const rows = verdicts(long);
    expect(formatVerdicts(rows)).toBe(
      [
        'series                            unit     first  last   2nd-half mean  drift  allowed  verdict',
        'rss feature-writer                MiB      100.0  100.0  100.0          0.0    16.0     flat',
        'rss jobmanager                    MiB      500.0  600.0  533.3          100.0  53.3     growing',
        'redis used_memory                 MiB      50.0   50.0   50.0           0.0    8.0      flat',
        'redis keys                        records  30000  30000  30000          0      3000     flat',
        'checkpoint features-transactions  MiB      2.0    2.0    2.0            0.0    1.0      flat',
        'writer lag                        records  10     10     10             0      2000     flat',
      ].join('\n'),
    );
  });

  it("gives Redis memory per 1,000 of the run's keys at 10 minutes, net of what was there before", () => {
    const grown = [0, 300, 600, 900].map((t) =>
      sample(t, 500, {
        redisUsedMemory: 40 * MIB + (t === 0 ? 0 : t === 300 ? 2 : 4) * MIB,
        redisKeys: 1000 + (t === 0 ? 0 : t === 300 ? 10000 : 20000),
      }),
    );
    const m = memoryPerThousandKeys(grown);
    expect(m).toEqual({ seconds: 600, keysAdded: 20000, bytesPerThousandKeys: (4 * MIB) / 20 });
    expect(formatMemoryPerKeys(m)).toBe(
      'Redis memory per 1,000 keys at 10.0 min: 204.8 KiB (20000 keys added by the run)',
    );
    // A shorter run: its last sample; no key added: no figure.
    expect(memoryPerThousandKeys(grown.slice(0, 2))?.seconds).toBe(300);
    expect(memoryPerThousandKeys(samples)).toBeUndefined();
    expect(formatMemoryPerKeys(undefined)).toBe('Redis memory per 1,000 keys: no key added');
  });
});
