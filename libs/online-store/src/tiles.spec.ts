import { featureByName } from '@fstore/contracts';
import { decodeTile, encodeTile, mergeTiles, tilePlacement } from './tiles';

const MIN = 60_000;
const window = { start: 100 * MIN, end: 160 * MIN }; // a 1h window of 1-minute tiles
const tile = (endMin: number, events: number, aggregate: string | null, eventTime = endMin * MIN) =>
  encodeTile({ end: endMin * MIN, events, aggregate, eventTime });

describe('time-window tiles (docs/online-store-format.md)', () => {
  it('encode and decode as <end>:<events>:<aggregate>:<event time>', () => {
    expect(tile(101, 2, '3.50', 6_050_000)).toBe('6060000:2:3.50:6050000');
    expect(decodeTile('6060000:2::6050000')).toEqual({
      end: 6_060_000,
      events: 2,
      aggregate: null,
      eventTime: 6_050_000,
    });
    expect(decodeTile('garbage')).toBeUndefined();
  });

  it('a tile goes to slot (end / g) mod (W/g + 1); the key expires W after the newest tile', () => {
    const tiles = featureByName('purchases_1h')!.tiles!;
    expect(tilePlacement(tiles, 61 * MIN)).toEqual({ field: '0', expireAt: 121 * MIN });
    expect(tilePlacement(tiles, 122 * MIN)).toEqual({ field: '0', expireAt: 182 * MIN });
    expect(tilePlacement(tiles, 123 * MIN).field).toBe('1');
  });

  it('merges only the tiles that end inside (start, end]', () => {
    const count = featureByName('purchases_1h')!;
    const tiles = [tile(100, 5, null), tile(101, 2, null), tile(160, 1, null), tile(161, 9, null)];
    expect(mergeTiles(count, tiles.join(';'), window)).toEqual({
      value: 3,
      eventTime: 160 * MIN,
      window,
    });
    expect(mergeTiles(count, tile(100, 5, null), window)).toBeNull();
    expect(mergeTiles(count, '', window)).toBeNull();
    expect(
      mergeTiles(count, [tile(120, 0, null), 'garbage', tile(121, 1, null)].join(';'), window),
    ).toEqual({
      value: 1,
      eventTime: 121 * MIN,
      window,
    });
  });

  it('sums decimals exactly, averages by the events of every tile, takes min and max', () => {
    const spend = featureByName('revenue_1h')!; // sum of a decimal
    const merge = (feature: typeof spend, ...tiles: string[]) =>
      mergeTiles(feature, tiles.join(';'), window)?.value;
    expect(merge(spend, tile(120, 1, '0.10'), tile(121, 1, '0.20'))).toBe(0.3);
    expect(merge(spend, tile(120, 1, '0.1'), tile(121, 1, '0.2'), tile(122, 1, '-5.'))).toBe(-4.7);
    const rating = featureByName('avg_rating_7d')!;
    const week = { start: 0, end: 7 * 24 * 60 * MIN };
    expect(mergeTiles(rating, [tile(168, 2, '9'), tile(336, 1, '1')].join(';'), week)?.value).toBe(
      10 / 3,
    );
    const minOf = { ...spend, tiles: { ...spend.tiles!, op: 'min' as const } };
    expect(merge(minOf, tile(120, 1, '4.5'), tile(121, 1, '-2.25'))).toBe(-2.25);
    const maxOf = { ...spend, tiles: { ...spend.tiles!, op: 'max' as const } };
    expect(merge(maxOf, tile(120, 1, '4.5'), tile(121, 1, '-2.25'))).toBe(4.5);
    // Not a plain decimal: the read fails rather than guess.
    expect(() => merge(spend, tile(120, 1, '1e5'))).toThrow(/not a decimal: 1e5/);
  });

  it('sums exactly at any size: beyond 2^53 units, mixed signs and scales, as BigInts would', () => {
    const spend = featureByName('revenue_1h')!;
    const units = featureByName('units_sold_7d')!;
    const sumOf = (feature: typeof spend, aggregates: string[]) =>
      mergeTiles(feature, aggregates.map((a, k) => tile(101 + k, 1, a)).join(';'), window)?.value;
    expect(
      sumOf(spend, ['90071992547409.93', '12345678901234567890.12', '-0.05', '7', '1.5']),
    ).toBe(Number('12345768973227115308.50'));
    expect(sumOf(spend, ['90071992547409.91', '0.01'])).toBe(Number('90071992547409.92'));
    expect(sumOf(spend, ['-0.10', '0.10'])).toBe(0);
    expect(sumOf(units, ['9007199254740993', '-9007199254740992'])).toBe(1);
    // Random decimals of every size against an independent BigInt sum.
    let seed = 42;
    const next = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let round = 0; round < 500; round++) {
      const texts = Array.from({ length: 1 + next(60) }, () => {
        const digits = Array.from({ length: 1 + next(next(3) === 0 ? 24 : 9) }, () => next(10));
        return `${next(4) === 0 ? '-' : ''}${digits.join('')}.${next(10)}${next(10)}`;
      });
      const cents = texts.reduce((acc, t) => acc + BigInt(t.replace('.', '')), 0n);
      const abs = (cents < 0n ? -cents : cents).toString().padStart(3, '0');
      const want = Number(`${cents < 0n ? '-' : ''}${abs.slice(0, -2)}.${abs.slice(-2)}`);
      expect(sumOf(spend, texts)).toBe(want);
    }
  });
});
