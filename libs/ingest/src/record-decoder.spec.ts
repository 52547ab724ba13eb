import { isUtf8 } from 'buffer';
import { GENERATED_LAYOUT, SEED_LAYOUT } from '@fstore/events';
import { DeadLetter, RecordDecoder } from './record-decoder';

const GOOD =
  '2e1533d2,fa954a98,Sports,6,2,2024-06-01 14:13:22,1,Grow buy east.,55,Male,Jamaica,Tablet,295,1';
const line = (bytes: Buffer, no = 7) =>
  isUtf8(bytes)
    ? { no, text: bytes.toString(), end: 0, truncated: false }
    : { no, bytes, end: 0, truncated: false };

describe('RecordDecoder', () => {
  it('keys a valid record by customer_id and writes the event as JSON', () => {
    const out = new RecordDecoder('csv', 'f.csv', SEED_LAYOUT).decode(line(Buffer.from(GOOD)));
    expect(out.ok && out.key).toBe('2e1533d2');
    expect(out.ok && JSON.parse(out.value)).toMatchObject({ price: 6, review_rating: 1 });
  });

  it('dead-letters invalid UTF-8 naming the column, with the original bytes', () => {
    const bytes = Buffer.concat([Buffer.from(GOOD.replace('Grow', '')), Buffer.from([0xff])]);
    const bad = Buffer.from(GOOD.replace('Grow', 'G\u00e9'));
    bad[bad.indexOf(0xc3)] = 0xff; // breaks the review text
    const d = new RecordDecoder('csv', 'f.csv', SEED_LAYOUT);
    const out = d.decode(line(bad));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    const letter = JSON.parse(out.value) as DeadLetter;
    expect(letter.reason).toMatchObject({ field: 'review_text', rule: 'utf8' });
    expect(letter.source).toEqual({ file: 'f.csv', line: 7 });
    expect(Buffer.from(letter.original_base64, 'base64').equals(bad)).toBe(true);
    expect(out.headers['fstore.reason.field']).toBe('review_text');
    const last = d.decode(line(bytes));
    expect(!last.ok && last.reason.field).toBe('previous_purchases');
  });

  it('dead-letters an oversized line as line_length, and reads EventID columns', () => {
    const d = new RecordDecoder('csv', 'f.csv', GENERATED_LAYOUT);
    const out = d.decode({ ...line(Buffer.from('x')), truncated: true });
    expect(!out.ok && out.reason).toMatchObject({ field: 'row', rule: 'line_length' });
    const withId = d.decode(line(Buffer.from(GOOD + ',id-1')));
    expect(withId.ok && JSON.parse(withId.value).event_id).toBe('id-1');
  });

  it('writes the envelope of @fstore/contracts: the input it read and every fstore.* header', () => {
    const d = new RecordDecoder('csv', 'g.csv', GENERATED_LAYOUT);
    const out = d.decode(line(Buffer.from(GOOD.replace(',6,', ',-6,') + ',id-1'), 4));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(JSON.parse(out.value)).toMatchObject({
      service: 'producer',
      reason: { field: 'price', rule: 'min' },
      input: { format: 'csv', has_event_id: true },
      original_truncated: false,
    });
    expect(out.headers).toEqual({
      'fstore.service': 'producer',
      'fstore.reason.rule': 'min',
      'fstore.reason.field': 'price',
      'fstore.source.file': 'g.csv',
      'fstore.source.line': '4',
    });
    const nd = new RecordDecoder('ndjson', 'h.ndjson').decode(line(Buffer.from('[1]'), 2));
    expect(!nd.ok && JSON.parse(nd.value).input).toEqual({ format: 'ndjson', has_event_id: false });
  });
});
