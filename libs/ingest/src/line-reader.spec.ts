import { Readable } from 'stream';
import { MAX_LINE_BYTES } from '@fstore/events';
import { Line, lineBytes, readLines } from './line-reader';

async function all(chunks: Buffer[], first = 1, offset = 0): Promise<Line[]> {
  const out: Line[] = [];
  for await (const lines of readLines(Readable.from(chunks), first, offset)) out.push(...lines);
  return out;
}

describe('readLines', () => {
  it('splits across chunk borders, strips CR, keeps a last line without a break', async () => {
    const lines = await all([Buffer.from('ab\r\ncd'), Buffer.from('e\n\nf')]);
    expect(lines.map((l) => [l.no, l.text, l.end])).toEqual([
      [1, 'ab', 4],
      [2, 'cde', 8],
      [3, '', 9],
      [4, 'f', 10],
    ]);
  });

  it('numbers from a resume point', async () => {
    const lines = await all([Buffer.from('x\ny\n')], 10, 500);
    expect(lines.map((l) => [l.no, l.end])).toEqual([
      [10, 502],
      [11, 504],
    ]);
  });

  it('marks an oversized line and keeps only its start', async () => {
    const big = Buffer.alloc(MAX_LINE_BYTES * 3, 0x61);
    const lines = await all([big.subarray(0, 100000), big.subarray(100000), Buffer.from('\nok\n')]);
    expect(lines[0].truncated).toBe(true);
    expect(lines[0].bytes?.length).toBe(MAX_LINE_BYTES + 1);
    expect(lines[0].end).toBe(big.length + 1);
    expect(lines[1]).toMatchObject({ no: 2, truncated: false });
  });

  it('keeps invalid UTF-8 as bytes, and counts multi-byte characters in offsets', async () => {
    const bad = Buffer.from([0x61, 0xff, 0x0a]);
    const lines = await all([Buffer.from('é\n'), bad, Buffer.from('z\n')]);
    expect(lines.map((l) => [l.text, l.end])).toEqual([
      ['é', 3],
      [undefined, 6],
      ['z', 8],
    ]);
    expect(lineBytes(lines[1]).equals(bad.subarray(0, 2))).toBe(true);
  });

  it('finds an oversized line within one chunk', async () => {
    const text = 'a'.repeat(MAX_LINE_BYTES + 10);
    const lines = await all([Buffer.from(`${text}\nb\n`)]);
    expect(lines[0]).toMatchObject({ truncated: true, end: MAX_LINE_BYTES + 11 });
    expect(lines[1]).toMatchObject({ text: 'b', no: 2 });
  });
});
