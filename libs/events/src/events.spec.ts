import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { readFileSync } from 'fs';
import { join } from 'path';
import { GENERATED_LAYOUT, SEED_LAYOUT, parseCsvHeader, parseCsvLine } from './csv';
import { deriveEventId } from './event-id';
import { FIELDS } from './fields';
import { parseNdjsonLine } from './ndjson';
import { RAW_EVENT_JSON_SCHEMA, RawEvent } from './raw-event';

/** The original system's sample data, kept in the repository (samples/). */
const SEED = join(__dirname, '../../../samples/ecommerce_transactions.csv');
const GOOD =
  '2e1533d2,fa954a98,Sports,6,2,2024-06-01 14:13:22,1,Grow buy east task hot only however.,55,Male,Netherlands Antilles,Tablet,295,1';
const src = { file: 'x.csv', line: 2 };

/** GOOD with one cell replaced. */
function withCell(index: number, value: string): string {
  const cells = GOOD.split(',');
  cells[index] = value;
  return cells.join(',');
}
const col = (name: string) => FIELDS.findIndex((f) => f.name === name);

describe('parseCsvLine', () => {
  it('accepts every row of the seed CSV, and class-validator agrees', () => {
    const lines = readFileSync(SEED, 'utf8').trimEnd().split('\n');
    expect(parseCsvHeader(lines[0])).toBe(SEED_LAYOUT);
    lines.slice(1).forEach((line, i) => {
      const r = parseCsvLine(line, SEED_LAYOUT, { file: 'seed.csv', line: i + 2 });
      if (!r.ok) throw new Error(`line ${i + 2}: ${JSON.stringify(r.error)}`);
      if (i % 100 === 0) expect(validateSync(plainToInstance(RawEvent, r.event))).toEqual([]);
    });
    expect(lines).toHaveLength(2001);
  });

  it('builds the message fields in order, with nulls for empty optional cells', () => {
    const r = parseCsvLine(withCell(col('review_rating'), ''), SEED_LAYOUT, src);
    expect(r.ok && Object.keys(r.event)).toEqual(['event_id', ...FIELDS.map((f) => f.name)]);
    expect(r.ok && r.event).toMatchObject({
      event_id: deriveEventId('x.csv', 2),
      customer_id: '2e1533d2',
      price: 6,
      quantity: 2,
      transaction_date: '2024-06-01 14:13:22',
      review_rating: null,
      customer_age: 55,
    });
  });

  it.each([
    ['missing field', withCell(0, ''), 'customer_id', 'required'],
    ['non-numeric price', withCell(col('price'), 'abc'), 'price', 'number'],
    ['negative price', withCell(col('price'), '-3.50'), 'price', 'min'],
    ['price with 3 decimals', withCell(col('price'), '1.234'), 'price', 'decimal'],
    ['rating 7', withCell(col('review_rating'), '7'), 'review_rating', 'range'],
    ['rating 0', withCell(col('review_rating'), '0'), 'review_rating', 'range'],
    ['quantity 0', withCell(col('quantity'), '0'), 'quantity', 'min'],
    ['quantity 1.5', withCell(col('quantity'), '1.5'), 'quantity', 'integer'],
    ['negative age', withCell(col('customer_age'), '-1'), 'customer_age', 'min'],
    [
      'impossible date',
      withCell(col('transaction_date'), '2024-02-30 10:00:00'),
      'transaction_date',
      'date',
    ],
    [
      'hour 24',
      withCell(col('transaction_date'), '2024-02-01 24:00:00'),
      'transaction_date',
      'date',
    ],
    [
      'bad date format',
      withCell(col('transaction_date'), '06/01/2024'),
      'transaction_date',
      'format',
    ],
    ['oversized id', withCell(1, 'p'.repeat(65)), 'product_id', 'max_length'],
    [
      'oversized review',
      withCell(col('review_text'), 'w'.repeat(2001)),
      'review_text',
      'max_length',
    ],
    ['too few columns', GOOD.split(',').slice(0, 12).join(','), 'row', 'column_count'],
    ['too many columns', GOOD + ',x', 'row', 'column_count'],
    ['unterminated quote', withCell(col('review_text'), '"open'), 'row', 'quote'],
  ])('rejects %s', (_name, line, field, rule) => {
    const r = parseCsvLine(line, SEED_LAYOUT, src);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ field, rule });
  });

  it('reads quoted cells with commas and doubled quotes', () => {
    const r = parseCsvLine(
      withCell(col('review_text'), '"Good, ""really"" good."'),
      SEED_LAYOUT,
      src,
    );
    expect(r.ok && r.event.review_text).toBe('Good, "really" good.');
  });

  it('takes EventID from a 15-column file, and derives it when the cell is empty', () => {
    expect(parseCsvHeader(GENERATED_LAYOUT.columns.join(','))).toBe(GENERATED_LAYOUT);
    const given = parseCsvLine(GOOD + ',abc123', GENERATED_LAYOUT, src);
    expect(given.ok && given.event.event_id).toBe('abc123');
    const empty = parseCsvLine(GOOD + ',', GENERATED_LAYOUT, src);
    expect(empty.ok && empty.event.event_id).toBe(deriveEventId('x.csv', 2));
    expect(parseCsvHeader('a,b,c')).toMatchObject({ rule: 'column_count' });
  });

  it('normalizes ISO-8601 times to UTC', () => {
    const at = (t: string) => {
      const r = parseCsvLine(withCell(col('transaction_date'), t), SEED_LAYOUT, src);
      return r.ok ? r.event.transaction_date : r.error.rule;
    };
    expect(at('2024-06-01T14:13:22Z')).toBe('2024-06-01 14:13:22');
    expect(at('2024-06-01T14:13:22.5+02:00')).toBe('2024-06-01 12:13:22.500');
    expect(at('2024-01-01T00:30:00-01:00')).toBe('2024-01-01 01:30:00');
    expect(at('2023-02-29 00:00:00')).toBe('date');
  });
});

describe('deriveEventId', () => {
  it('is a stable UUIDv5 of file basename and line', () => {
    expect(deriveEventId('seed.csv', 2)).toBe(deriveEventId('seed.csv', 2));
    expect(deriveEventId('seed.csv', 2)).not.toBe(deriveEventId('seed.csv', 3));
    expect(deriveEventId('seed.csv', 2)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab]/);
  });
});

describe('parseNdjsonLine', () => {
  const base = {
    event_id: 'e1',
    customer_id: 'c1',
    product_id: 'p1',
    category: 'Books',
    price: 12.5,
    quantity: '3',
    transaction_date: '2024-06-01 14:13:22',
    review_rating: null,
  };
  it('accepts numbers or numeric strings and absent optional fields', () => {
    const r = parseNdjsonLine(JSON.stringify(base));
    expect(r.ok && r.event).toMatchObject({
      event_id: 'e1',
      price: 12.5,
      quantity: 3,
      country: null,
    });
    if (r.ok) expect(validateSync(plainToInstance(RawEvent, r.event))).toEqual([]);
  });
  it.each([
    ['broken JSON', '{"customer_id": "c1"', 'row', 'json'],
    ['an array', '[1]', 'row', 'json'],
    ['a numeric id', JSON.stringify({ ...base, customer_id: 5 }), 'customer_id', 'type'],
    ['rating 7', JSON.stringify({ ...base, review_rating: 7 }), 'review_rating', 'range'],
    ['no price', JSON.stringify({ ...base, price: null }), 'price', 'required'],
  ])('rejects %s', (_n, line, field, rule) => {
    const r = parseNdjsonLine(line, src);
    expect(!r.ok && r.error).toMatchObject({ field, rule });
  });
});

describe('RawEvent class and JSON Schema', () => {
  it('class-validator rejects what validate() rejects', () => {
    const ok = parseCsvLine(GOOD, SEED_LAYOUT, src);
    if (!ok.ok) throw new Error('GOOD is invalid');
    const bad = (patch: Partial<Record<keyof RawEvent, unknown>>) =>
      validateSync(plainToInstance(RawEvent, { ...ok.event, ...patch })).map((e) => e.property);
    expect(bad({})).toEqual([]);
    expect(bad({ review_rating: 7 })).toEqual(['review_rating']);
    expect(bad({ price: -1 })).toEqual(['price']);
    expect(bad({ price: 1.234 })).toEqual(['price']);
    expect(bad({ quantity: 0 })).toEqual(['quantity']);
    expect(bad({ customer_id: '' })).toEqual(['customer_id']);
    expect(bad({ transaction_date: '2024-06-01T14:13:22Z' })).toEqual(['transaction_date']);
  });

  it('lists every field, the optional ones nullable', () => {
    const props = RAW_EVENT_JSON_SCHEMA.properties as Record<string, { type: unknown }>;
    expect(RAW_EVENT_JSON_SCHEMA.required).toEqual(['event_id', ...FIELDS.map((f) => f.name)]);
    expect(props.review_rating.type).toEqual(['integer', 'null']);
    expect(props.price.type).toBe('number');
  });
});
