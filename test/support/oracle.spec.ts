import { REGISTRY } from '@fstore/contracts';
import {
  batchFeatures,
  historyFeatures,
  streamFeatures,
  OracleEvent,
  windowValues,
} from './oracle';

// Hand-worked examples of docs/design.md §3, so that the oracle itself is checked.
const ev = (id: string, over: Partial<OracleEvent>): OracleEvent => ({
  event_id: id,
  customer_id: 'c1',
  product_id: 'p1',
  category: 'Sports',
  price: '10.00',
  quantity: 1,
  transaction_date: '2024-06-01 00:00:00',
  review_rating: null,
  ...over,
});

describe('oracle: stream features', () => {
  it('takes the 5 latest rated events by (time, event_id), each event_id once', () => {
    const events = [
      ev('a', { review_rating: 1, transaction_date: '2024-06-01 00:00:01' }),
      ev('b', { review_rating: 2, transaction_date: '2024-06-01 00:00:02' }),
      ev('c', { review_rating: 3, transaction_date: '2024-06-01 00:00:03' }),
      ev('d', { review_rating: 4, transaction_date: '2024-06-01 00:00:04' }),
      ev('e', { review_rating: 5, transaction_date: '2024-06-01 00:00:05' }),
      // same time as e; 'f' > 'e' so f is later; a duplicate of f counts once
      ev('f', { review_rating: 5, transaction_date: '2024-06-01 00:00:05' }),
      ev('f', { review_rating: 5, transaction_date: '2024-06-01 00:00:05' }),
      ev('g', {
        review_rating: null,
        transaction_date: '2024-06-01 00:00:09',
        price: '3.25',
        quantity: 2,
      }),
    ];
    const f = streamFeatures(events);
    expect(f.get('avg_review:{p1}')).toEqual({
      value: String((2 + 3 + 4 + 5 + 5) / 5),
      kind: 'double',
    });
    expect(f.get('last_purchase_amount:{c1}')).toEqual({ value: '6.50', kind: 'decimal' });
    expect(f.get('last_review:{c1}_{p1}')).toEqual({ value: '5', kind: 'int' });
    // g (6.50) + f (10.00) + e (10.00)
    expect(f.get('revenue_category:{Sports}')).toEqual({ value: '26.50', kind: 'decimal' });
    // The order of arrival does not matter.
    expect(streamFeatures([...events].reverse())).toEqual(f);
  });
});

describe('oracle: batch features', () => {
  it('sums over (T - 30 days, T]: the lower bound is excluded, T included', () => {
    const T = Date.parse('2024-07-01T00:00:00Z');
    const events = [
      ev('x', { transaction_date: '2024-06-01 00:00:00', quantity: 7 }), // exactly T - 30 days
      ev('y', {
        transaction_date: '2024-06-01 00:00:01',
        quantity: 2,
        price: '0.10',
        review_rating: 4,
      }),
      ev('z', { transaction_date: '2024-07-01 00:00:00', quantity: 1, price: '99.99' }),
      ev('w', { transaction_date: '2024-07-01 00:00:01', quantity: 100 }),
    ];
    const f = batchFeatures(events, T);
    expect(f.get('units_sold:{p1}')).toEqual({ value: '3', kind: 'int' });
    expect(f.get('revenue_by_product:{p1}')).toEqual({ value: '100.19', kind: 'decimal' });
    expect(f.get('revenue_by_category:{Sports}')).toEqual({ value: '100.19', kind: 'decimal' });
    expect(f.get('avg_review_rating:{p1}')).toEqual({ value: '4', kind: 'double' });
    expect(batchFeatures(events, Date.parse('2025-01-01T00:00:00Z')).size).toBe(0);
  });
});

describe('oracle: stream time windows at a read time', () => {
  const purchases = REGISTRY.features.find((f) => f.name === 'purchases_1h')!;
  const spend = REGISTRY.features.find((f) => f.name === 'spend_24h')!;
  const t = (s: string) => `2024-06-01 ${s}`;
  const events = [
    ev('a', { transaction_date: t('10:00:00') }), // exactly a tile end: in the tile ending 10:00
    ev('b', { transaction_date: t('10:00:00.001'), price: '2.50', quantity: 2 }),
    ev('c', { transaction_date: t('10:59:30') }),
    ev('c', { transaction_date: t('10:59:30') }), // redelivered: once
  ];

  it('covers (end − W, end] with end the end of the read time’s tile', () => {
    // Read at 11:00:00.000 exactly: the window is (10:00, 11:00]; 'a' is out, 'b' and 'c' in.
    const at11 = windowValues(purchases, events, Date.parse('2024-06-01T11:00:00Z'));
    expect([at11.start, at11.end]).toEqual([
      Date.parse('2024-06-01T10:00:00Z'),
      Date.parse('2024-06-01T11:00:00Z'),
    ]);
    expect(at11.values.get('purchases_1h:{c1}')).toEqual({ value: '2', kind: 'int' });
    // Read at 10:59:59.999: same tile end, same window.
    expect(windowValues(purchases, events, Date.parse('2024-06-01T10:59:59.999Z')).end).toBe(
      at11.end,
    );
    // Read at 10:00:00.001: the window (09:01, 10:01] holds 'a' and 'b'.
    const early = windowValues(purchases, events, Date.parse('2024-06-01T10:00:00.001Z'));
    expect(early.values.get('purchases_1h:{c1}')).toEqual({ value: '2', kind: 'int' });
    // Long after: empty, so absent.
    const late = windowValues(purchases, events, Date.parse('2024-06-01T12:30:00Z'));
    expect(late.values.has('purchases_1h:{c1}')).toBe(false);
    // The day's spend: 10.00 + 5.00 + 10.00, on 24-minute tiles.
    const day = windowValues(spend, events, Date.parse('2024-06-01T11:00:00Z'));
    expect(day.end % (24 * 60_000)).toBe(0);
    expect(day.values.get('spend_24h:{c1}')).toEqual({ value: '25.00', kind: 'decimal' });
  });

  it('leaves time windows out of the end-of-stream values', () => {
    expect(streamFeatures(events).has('purchases_1h:{c1}')).toBe(false);
  });

  it('puts them in the batch history as of T: the online value at a read time whose tile ends at T', () => {
    const T = Date.parse('2024-06-01T11:00:00Z');
    const history = historyFeatures(events, T);
    expect(history.get('purchases_1h:{c1}')).toEqual(
      windowValues(purchases, events, T - 1).values.get('purchases_1h:{c1}'),
    );
    expect(history.get('spend_24h:{c1}')).toEqual({ value: '25.00', kind: 'decimal' });
    // The batch features too; no stream last / last_k (online only).
    expect(history.get('units_sold:{p1}')).toEqual(batchFeatures(events, T).get('units_sold:{p1}'));
    expect([...history.keys()].some((k) => k.startsWith('last_purchase_amount:'))).toBe(false);
  });
});
