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
    expect(mergeTiles(count, tiles, window)).toEqual({
      value: 3,
      eventTime: 160 * MIN,
      window,
    });
    expect(mergeTiles(count, [tile(100, 5, null)], window)).toBeNull();
    expect(mergeTiles(count, [], window)).toBeNull();
  });

  it('sums decimals exactly, averages by the events of every tile, takes min and max', () => {
    const spend = featureByName('revenue_1h')!; // sum of a decimal
    expect(mergeTiles(spend, [tile(120, 1, '0.10'), tile(121, 1, '0.20')], window)?.value).toBe(
      0.3,
    );
    const rating = featureByName('avg_rating_7d')!;
    const week = { start: 0, end: 7 * 24 * 60 * MIN };
    expect(mergeTiles(rating, [tile(168, 2, '9'), tile(336, 1, '1')], week)?.value).toBe(10 / 3);
    const minOf = { ...spend, tiles: { ...spend.tiles!, op: 'min' as const } };
    expect(mergeTiles(minOf, [tile(120, 1, '4.5'), tile(121, 1, '-2.25')], window)?.value).toBe(
      -2.25,
    );
  });
});
