import { buildRegistry, defaultGranularity, DefinitionError, LoadedModule } from './registry';
import { entity, feature, FeatureSpec, last, lastK, source, sum } from './vocabulary';

const product = entity({ name: 'product', keys: ['product_id'], description: 'A product' });
const events = source({
  name: 'events',
  description: 'Events',
  topic: 'ecommerce.transactions',
  table: 'ecommerce.transactions',
  eventId: 'event_id',
  eventTime: 'ts',
  columns: {
    event_id: 'string',
    product_id: 'string',
    ts: 'timestamp',
    price: 'decimal(10,2)',
    quantity: 'int',
    rating: 'int',
    country: 'string',
  },
  derived: { amount: 'price * quantity' },
});
const shared: LoadedModule = { file: 'features/shared.ts', exports: { product, events } };

const base: FeatureSpec = {
  name: 'units',
  entity: product,
  source: events,
  engine: 'batch',
  aggregation: sum('30d'),
  of: 'quantity',
  type: 'int',
  description: 'Units',
  owner: 'team',
};

function problems(...specs: Partial<FeatureSpec>[]) {
  const modules = specs.map((s, i) => ({
    file: `features/f${i}.ts`,
    exports: { default: feature({ ...base, ...s }) },
  }));
  try {
    buildRegistry([shared, ...modules]);
  } catch (e) {
    if (e instanceof DefinitionError) return e.problems;
    throw e;
  }
  return [];
}

describe('feature definitions: validation names the file, the feature and the field', () => {
  it('accepts a valid definition and resolves its parts', () => {
    const r = buildRegistry([shared, { file: 'features/u.ts', exports: { u: feature(base) } }]);
    expect(r.features).toHaveLength(1);
    expect(r.features[0]).toMatchObject({
      name: 'units',
      file: 'features/u.ts',
      entity: { name: 'product', keys: ['product_id'] },
      source: 'events',
      windowMs: 30 * 86_400_000,
      type: 'int',
    });
    expect(r.sources[0].derived[0]).toMatchObject({
      name: 'amount',
      type: { kind: 'decimal', scale: 2 },
    });
  });

  it.each<[string, Partial<FeatureSpec>, string, RegExp]>([
    ['unknown column', { of: 'quantiti' }, 'of', /unknown column "quantiti"/],
    [
      'unknown column in a filter',
      { filter: "contry = 'DE'" },
      'filter',
      /unknown column "contry"/,
    ],
    ['a filter that is not boolean', { filter: 'quantity + 1' }, 'filter', /true or false/],
    [
      'K < 1',
      { aggregation: lastK(0, 'sum'), engine: 'stream' },
      'aggregation.k',
      /from 1 to 1000/,
    ],
    ['K not an integer', { aggregation: lastK(2.5, 'sum') }, 'aggregation.k', /integer/],
    [
      'a window that is not a duration',
      { aggregation: sum('30 days') },
      'aggregation.window',
      /not a duration/,
    ],
    ['a zero window', { aggregation: sum('0d') }, 'aggregation.window', /not a duration/],
    ['a name that is not a key prefix', { name: 'Units:{x}' }, 'name', /not a valid key prefix/],
    ['a name with a space', { name: 'units sold' }, 'name', /not a valid key prefix/],
    [
      'a type that does not fit: avg as int',
      { aggregation: { op: 'avg', window: '1d' } },
      'type',
      /avg of a int is a double, not a int/,
    ],
    [
      'a type that does not fit: sum of decimal as int',
      { of: 'amount' },
      'type',
      /is a decimal, not a int/,
    ],
    [
      'a type that does not fit: count as double',
      { aggregation: { op: 'count', window: '1d' }, of: undefined, type: 'double' },
      'type',
      /a count is an int/,
    ],
    [
      'a string value',
      { aggregation: last(), of: 'country', type: 'int' },
      'type',
      /feature values are int, decimal or double/,
    ],
    [
      'too many decimal places',
      { of: 'price * price', type: 'decimal' },
      'type',
      /more than the two decimal places/,
    ],
    ['a missing value to aggregate', { of: undefined }, 'of', /needs a column/],
    ['an unknown engine', { engine: 'realtime' as never }, 'engine', /not one of stream, batch/],
    [
      'an unknown aggregation',
      { aggregation: { op: 'median' } as never },
      'aggregation',
      /not one of/,
    ],
    [
      'a statement smuggled into an expression',
      { of: 'quantity; DROP TABLE x' },
      'of',
      /unexpected character ";"/,
    ],
    [
      'a granularity that does not divide the window',
      { engine: 'stream', aggregation: sum('1h'), granularity: '7m' },
      'granularity',
      /not a whole number/,
    ],
    [
      'a granularity on a batch window (batch windows are exact)',
      { aggregation: sum('1h'), granularity: '1m' },
      'granularity',
      /only stream time-window/,
    ],
    [
      'a granularity that makes too many tiles',
      { engine: 'stream', aggregation: sum('1d'), granularity: '1m' },
      'granularity',
      /1440 tiles.*at most 1000/,
    ],
    [
      'a stream window under a minute',
      { engine: 'stream', aggregation: sum('30s') },
      'aggregation.window',
      /at least 1m/,
    ],
    [
      'a window on a stream last',
      { engine: 'stream', aggregation: last(), window: '1d' },
      'window',
      /covers every event/,
    ],
  ])('%s', (_, spec, field, message) => {
    const found = problems(spec);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      file: 'features/f0.ts',
      feature: spec.name ?? 'units',
      field,
    });
    expect(found[0].message).toMatch(message);
  });

  it('a stream window gets tiles of at most 1/60 of it that divide it', () => {
    const tiles = (window: string) =>
      buildRegistry([
        shared,
        {
          file: 'f.ts',
          exports: { f: feature({ ...base, engine: 'stream', aggregation: sum(window) }) },
        },
      ]).features[0].granularityMs;
    expect(tiles('1h')).toBe(60_000);
    expect(tiles('24h')).toBe(24 * 60_000);
    expect(tiles('7d')).toBe(168 * 60_000);
    expect(tiles('90s')).toBe(1_000);
    expect(tiles('61m')).toBe(61_000);
    expect(defaultGranularity(59_000)).toBeUndefined();
  });

  it('a file may export a list of features, one per window', () => {
    const r = buildRegistry([
      shared,
      {
        file: 'features/spend.ts',
        exports: {
          default: ['1h', '24h'].map((w) =>
            feature({ ...base, name: `units_${w}`, engine: 'stream', aggregation: sum(w) }),
          ),
        },
      },
    ]);
    expect(r.features.map((f) => [f.name, f.windowMs, f.file])).toEqual([
      ['units_1h', 3_600_000, 'features/spend.ts'],
      ['units_24h', 86_400_000, 'features/spend.ts'],
    ]);
  });

  it('a duplicate name names both files', () => {
    const found = problems({}, {});
    expect(found).toEqual([
      expect.objectContaining({
        file: 'features/f1.ts',
        feature: 'units',
        field: 'name',
        message: expect.stringContaining('features/f0.ts'),
      }),
    ]);
  });

  it('an entity key that is not a column of the source', () => {
    const other = entity({ name: 'shop', keys: ['shop_id'], description: 'A shop' });
    const found = problems({ entity: other });
    expect(found.map((p) => [p.field, p.message])).toContainEqual([
      'entity',
      'not an entity() exported by a file under features/',
    ]);
  });

  it('the error message lists every problem with file, feature and field', () => {
    expect(() =>
      buildRegistry([
        shared,
        {
          file: 'features/bad.ts',
          exports: { default: feature({ ...base, of: 'nope', type: 'double' as const }) },
        },
      ]),
    ).toThrow(/features\/bad\.ts feature "units" field "of": unknown column "nope"/);
  });

  it('a changed K changes the compute hash; a changed description does not', () => {
    const hash = (spec: Partial<FeatureSpec>) =>
      buildRegistry([shared, { file: 'f.ts', exports: { f: feature({ ...base, ...spec }) } }])
        .features[0].computeHash;
    const k5 = hash({ engine: 'stream', aggregation: lastK(5, 'sum'), of: 'quantity' });
    expect(hash({ engine: 'stream', aggregation: lastK(5, 'sum'), description: 'other' })).toBe(k5);
    expect(hash({ engine: 'stream', aggregation: lastK(3, 'sum') })).not.toBe(k5);
  });
});
