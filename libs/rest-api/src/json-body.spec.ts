import { exceedsJsonDepth } from './json-body';

describe('exceedsJsonDepth', () => {
  it('counts nested arrays and objects against the limit', () => {
    expect(exceedsJsonDepth('{"a":[1,{"b":[]}]}', 4)).toBe(false);
    expect(exceedsJsonDepth('{"a":[1,{"b":[[]]}]}', 4)).toBe(true);
    expect(exceedsJsonDepth('[[],[],[],[]]', 2)).toBe(false);
    expect(exceedsJsonDepth('1', 0)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth(JSON.stringify({ s: '[[[[[[{{{{' }), 1)).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ s: 'a"[[[[\\"[[[' }), 1)).toBe(false);
    expect(exceedsJsonDepth(`{"s":"\\\\"}`, 1)).toBe(false);
    expect(exceedsJsonDepth(Buffer.from(JSON.stringify(['é[', 'ü{'])), 1)).toBe(false);
  });

  it('refuses a 400,000-deep array in a few milliseconds, not 600', () => {
    const deep = Buffer.from('['.repeat(400000) + ']'.repeat(400000));
    const t0 = process.hrtime.bigint();
    expect(exceedsJsonDepth(deep, 32)).toBe(true);
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(50);
  });

  it('scans a 1 MB body of the allowed depth quickly', () => {
    const wide = Buffer.from(
      JSON.stringify({ ids: Array.from({ length: 60000 }, (_, i) => `p-${i}`) }),
    );
    const t0 = process.hrtime.bigint();
    expect(exceedsJsonDepth(wide, 32)).toBe(false);
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(100);
  });
});
