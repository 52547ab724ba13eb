import { IsoTimeFormatter } from './iso-time';

describe('IsoTimeFormatter', () => {
  const iso = (ms: number) => new Date(ms).toISOString();

  it('writes what toISOString writes, across days, edges and random times', () => {
    const formatter = new IsoTimeFormatter();
    const day = 86_400_000;
    const edges = [0, 1, 999, 1000, day - 1, day, day + 1, 1_700_000_000_000, 253_402_300_799_999];
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 2.5e14;
    const times = [...edges, ...Array.from({ length: 20_000 }, () => Math.floor(random()))];
    // Runs of times within one day, as a batch of one job's values would be.
    for (let i = 0; i < 1000; i++) times.push(1_790_000_000_000 + i * 7_919);
    for (const ms of times) expect([ms, formatter.format(ms)]).toEqual([ms, iso(ms)]);
  });

  it('hands times outside four-digit years, or not whole milliseconds, to toISOString', () => {
    const formatter = new IsoTimeFormatter();
    for (const ms of [-1, -86_400_001, 253_402_300_800_000, 8.64e15, 1_700_000_000_000.5]) {
      expect(formatter.format(ms)).toBe(iso(ms));
    }
    expect(() => formatter.format(Number.NaN)).toThrow(RangeError);
  });
});
