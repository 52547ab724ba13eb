import { featureByName } from '@fstore/contracts';
import {
  decodeTile,
  encodeTile,
  mergeTiles,
  packTiles,
  Tile,
  tilePlacement,
  tilesHeader,
  TILES_HEADER_LENGTH,
} from './tiles';

const MIN = 60_000;
// purchases_1h and revenue_1h: a 1h window of 1-minute tiles, a ring of 61 slots.
const count = featureByName('purchases_1h')!;
const spend = featureByName('revenue_1h')!; // a sum of a decimal
const window = { start: 100 * MIN, end: 160 * MIN };
const tile = (endMin: number, events: number, aggregate: string | null, age = 0): Tile => ({
  end: endMin * MIN,
  events,
  aggregate,
  eventTime: endMin * MIN - age,
});
const merge = (feature: typeof spend, ...tiles: Tile[]) =>
  mergeTiles(feature, packTiles(feature.tiles!, tiles), window);

describe('time-window tiles (docs/online-store-format.md)', () => {
  it('a tile goes to slot (end / g) mod (W/g + 1), on lap (end / g) div (W/g + 1); the key expires W after the newest tile', () => {
    const tiles = count.tiles!;
    expect(tilePlacement(tiles, 61 * MIN)).toEqual({ slot: 0, lap: 1, expireAt: 121 * MIN });
    expect(tilePlacement(tiles, 122 * MIN)).toEqual({ slot: 0, lap: 2, expireAt: 182 * MIN });
    expect(tilePlacement(tiles, 123 * MIN)).toEqual({ slot: 1, lap: 2, expireAt: 183 * MIN });
    expect(() => tilePlacement(tiles, 123 * MIN + 1)).toThrow(/not the end of a 60000 ms tile/);
  });

  it('encodes a record as <lap>:<events>:<aggregate>:<age>, the age being end − newest event time', () => {
    expect(encodeTile(spend.tiles!, tile(123, 2, '3.50', 10_000))).toBe('2:2:3.50:10000');
    expect(encodeTile(count.tiles!, tile(61, 7, null))).toBe('1:7::0');
    // The newest event time is inside the tile (end − g, end].
    expect(() => encodeTile(count.tiles!, tile(61, 1, null, MIN))).toThrow(/not in the tile/);
    expect(() => encodeTile(count.tiles!, tile(61, 1, null, -1))).toThrow(/not in the tile/);
  });

  it('packs the records at fixed offsets after a `1:<width>;` header, and decodes them back', () => {
    const tiles = [tile(123, 2, '3.50', 10_000), tile(61, 7, '-1', 59_999)];
    // Longest record 14 characters, plus 2 of slack; slot 0 then slot 1.
    const packed = packTiles(spend.tiles!, tiles);
    expect(packed).toBe(`1:0016;${'1:7:-1:59999'.padEnd(16)}${'2:2:3.50:10000'.padEnd(16)}`);
    expect(tilesHeader(16)).toBe('1:0016;');
    expect(packed.length).toBe(TILES_HEADER_LENGTH + 2 * 16);
    expect(decodeTile(spend.tiles!, packed, 1)).toEqual(tiles[0]);
    expect(decodeTile(spend.tiles!, packed, 0)).toEqual(tiles[1]);
    expect(decodeTile(spend.tiles!, packed, 2)).toBeUndefined();
    // A slot of the ring never written: spaces, or zero bytes (SETRANGE's padding of a gap).
    const gap = `1:0012;${'\0'.repeat(12)}${'1:7::0'.padEnd(12)}`;
    expect(decodeTile(count.tiles!, gap, 0)).toBeUndefined();
    expect(decodeTile(count.tiles!, gap, 1)).toEqual(tile(62, 7, null));
  });

  it('merges only the tiles that end inside (start, end]: the window edge, the slot one ahead', () => {
    // 100 is the window's start (excluded), 160 its end (included), 161 one tile ahead: the slot
    // (161 mod 61 = 39) of tile 100 on the ring's next lap.
    const tiles = [tile(100, 5, null), tile(101, 2, null, 5), tile(160, 1, null, 7)];
    expect(merge(count, ...tiles)).toEqual({ value: 3, eventTime: 160 * MIN - 7, window });
    expect(merge(count, tile(161, 9, null))).toBeNull();
    expect(merge(count, tile(100, 5, null))).toBeNull();
    // The newest event time is that of the newest tile merged, not of one outside.
    expect(merge(count, tile(101, 2, null, 5), tile(161, 1, null))?.eventTime).toBe(101 * MIN - 5);
    // An older lap in a slot: outside (tile 39, the slot of tile 100 one lap back).
    expect(merge(count, tile(39, 4, null), tile(120, 1, null))?.value).toBe(1);
  });

  it('an absent key, empty slots and records that do not parse give no value; another format fails', () => {
    expect(mergeTiles(count, '', window)).toBeNull();
    expect(mergeTiles(count, `1:0012;${' '.repeat(24)}`, window)).toBeNull();
    expect(mergeTiles(count, `1:0012;${'\0'.repeat(24)}`, window)).toBeNull();
    // Slot 59 on lap 1: the tile ending (1 · 61 + 59) · g = 120 min; one good record among garbage.
    const records = Array.from({ length: 61 }, () => 'garbage:1:'.padEnd(12));
    records[59] = '1:1::3'.padEnd(12);
    records[58] = '1:0::3'.padEnd(12); // no events: not a tile in the window
    expect(mergeTiles(count, `1:0012;${records.join('')}`, window)).toEqual({
      value: 1,
      eventTime: 120 * MIN - 3,
      window,
    });
    expect(() => mergeTiles(count, '6060000:2::6050000', window)).toThrow(/not a window of tiles/);
    expect(() => mergeTiles(count, '2:0012;', window)).toThrow(/not a window of tiles/);
  });

  it('sums decimals exactly, counts, averages by the events of every tile, takes min and max', () => {
    expect(merge(spend, tile(120, 1, '0.10'), tile(121, 1, '0.20'))?.value).toBe(0.3);
    expect(merge(spend, tile(120, 1, '0.1'), tile(121, 1, '0.2'), tile(122, 1, '-5.'))?.value).toBe(
      -4.7,
    );
    const op = (o: 'count' | 'avg' | 'min' | 'max') => ({
      ...spend,
      tiles: { ...spend.tiles!, op: o },
    });
    const tiles = [tile(120, 2, '4.50'), tile(121, 1, '-2.25'), tile(159, 3, '10')];
    expect(merge(op('count'), ...tiles)?.value).toBe(6);
    expect(merge(op('avg'), ...tiles)?.value).toBe(12.25 / 6);
    expect(merge(op('min'), ...tiles)?.value).toBe(-2.25);
    expect(merge(op('max'), ...tiles)?.value).toBe(10);
    expect(merge(spend, ...tiles)?.value).toBe(12.25);
    // The tile outside (start, end] counts for none of them.
    const out = tile(100, 50, '-99');
    expect(merge(op('min'), ...tiles, out)?.value).toBe(-2.25);
    expect(merge(op('count'), ...tiles, out)?.value).toBe(6);
    const rating = featureByName('avg_rating_7d')!;
    const week = { start: 0, end: 7 * 24 * 60 * MIN };
    const minutes = (h: number, events: number, sum: string) => ({
      end: h * MIN,
      events,
      aggregate: sum,
      eventTime: h * MIN - 1,
    });
    expect(
      mergeTiles(
        rating,
        packTiles(rating.tiles!, [minutes(168, 2, '9'), minutes(336, 1, '1')]),
        week,
      )?.value,
    ).toBe(10 / 3);
    // Not a plain decimal: the read fails rather than guess.
    expect(() => merge(spend, tile(120, 1, '1e5'))).toThrow(/not a decimal: 1e5/);
    // A decimal sum with a third place is not the type's format.
    expect(() => merge(spend, tile(120, 1, '0.125'))).toThrow(/more than two decimals/);
  });

  it('sums exactly at any size: beyond 2^53 units, mixed signs and scales, as BigInts would', () => {
    const units = featureByName('units_sold_7d')!;
    // Tile k back from the window's end, of the feature's granularity.
    const sumOf = (feature: typeof spend, aggregates: string[]) => {
      const g = feature.tiles!.granularityMs;
      const tiles = aggregates.map((a, k) => ({
        ...tile(0, 1, a),
        end: (100 - k) * g,
        eventTime: (100 - k) * g,
      }));
      const last = { start: 100 * g - feature.tiles!.windowMs, end: 100 * g };
      return mergeTiles(feature, packTiles(feature.tiles!, tiles), last)?.value;
    };
    expect(
      sumOf(spend, ['90071992547409.93', '12345678901234567890.12', '-0.05', '7', '1.5']),
    ).toBe(Number('12345768973227115308.50'));
    expect(sumOf(spend, ['90071992547409.91', '0.01'])).toBe(Number('90071992547409.92'));
    expect(Object.is(sumOf(spend, ['-0.10', '0.10']), 0)).toBe(true);
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
