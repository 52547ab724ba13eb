import { ENTITIES, featureByName, STREAM_FEATURES } from '@fstore/contracts';
import { decodeChangelog, parseEventTime } from './changelog';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('decodeChangelog', () => {
  const lastReview = featureByName('last_review')!;
  const amount = featureByName('last_purchase_amount')!;

  it('turns an upsert into a write keyed by the entity columns, with its event time', () => {
    const d = decodeChangelog(
      lastReview,
      json({ customer_id: 'c1', product_id: 'p1' }),
      json({ customer_id: 'c1', product_id: 'p1', value: 4, event_time: '2024-06-01 14:13:22.5' }),
    );
    expect(d).toEqual({
      ok: true,
      identity: 'last_review\u0000c1\u0000p1',
      write: {
        feature: 'last_review',
        keyParts: ['c1', 'p1'],
        value: 4,
        eventTime: Date.parse('2024-06-01T14:13:22.500Z'),
      },
    });
  });

  it('turns a tombstone into a deletion without an event time', () => {
    const d = decodeChangelog(amount, json({ customer_id: 'c9' }), null);
    expect(d).toMatchObject({ ok: true, write: { keyParts: ['c9'], value: null } });
    expect(d.ok && 'eventTime' in d.write).toBe(false);
  });

  it('turns a time-window record into one tile of the entity', () => {
    const spend = featureByName('spend_24h')!;
    const end = 1_796_029_920_000; // a whole number of 24-minute tiles
    const d = decodeChangelog(
      spend,
      json({ customer_id: 'c1', tile_end: end }),
      json({
        customer_id: 'c1',
        tile_end: end,
        events: 3,
        agg: 120.5,
        event_time: '2026-11-30 09:11:59.250',
      }),
    );
    expect(d).toEqual({
      ok: true,
      identity: `spend_24h\u0000c1\u0000${end}`,
      write: {
        feature: 'spend_24h',
        keyParts: ['c1'],
        tile: {
          end,
          events: 3,
          aggregate: '120.5',
          eventTime: Date.parse('2026-11-30T09:11:59.250Z'),
        },
      },
    });
    const count = featureByName('purchases_1h')!;
    expect(
      decodeChangelog(
        count,
        json({ customer_id: 'c1', tile_end: 60_000 }),
        json({ events: 1, event_time: '1970-01-01 00:00:59' }),
      ),
    ).toMatchObject({ ok: true, write: { tile: { aggregate: null, events: 1 } } });
    // The newest event time must lie inside its tile: (end − 1 min, end] here.
    for (const eventTime of ['1970-01-01 00:01:00.001', '1970-01-01 00:00:00']) {
      expect(
        decodeChangelog(
          count,
          json({ customer_id: 'c1', tile_end: 60_000 }),
          json({ events: 1, event_time: eventTime }),
        ),
      ).toMatchObject({ ok: false, rule: 'event_time' });
    }
    expect(
      decodeChangelog(
        count,
        json({ customer_id: 'c1', tile_end: 60_000 }),
        json({ events: 1, event_time: '1970-01-01 00:00:00.001' }),
      ),
    ).toMatchObject({ ok: true });
    expect(
      decodeChangelog(count, json({ customer_id: 'c1', tile_end: 59_000 }), null),
    ).toMatchObject({ ok: false, rule: 'tile_end' });
    expect(
      decodeChangelog(count, json({ customer_id: 'c1', tile_end: 60_000 }), null),
    ).toMatchObject({ ok: false, rule: 'tombstone' });
    expect(
      decodeChangelog(
        spend,
        json({ customer_id: 'c1', tile_end: end }),
        json({ events: 1, agg: null, event_time: '2026-11-30 09:11:59' }),
      ),
    ).toMatchObject({ ok: false, rule: 'agg' });
  });

  it('names what is wrong with a record it cannot apply', () => {
    expect(decodeChangelog(amount, Buffer.from('{'), null)).toMatchObject({
      ok: false,
      rule: 'json',
    });
    expect(decodeChangelog(amount, json({ product_id: 'p' }), null)).toMatchObject({
      ok: false,
      rule: 'key',
    });
    expect(
      decodeChangelog(
        amount,
        json({ customer_id: 'c' }),
        json({ value: 'x', event_time: '2024-06-01 00:00:00' }),
      ),
    ).toMatchObject({ ok: false, rule: 'value' });
    expect(
      decodeChangelog(
        amount,
        json({ customer_id: 'c' }),
        json({ value: 1, event_time: 'yesterday' }),
      ),
    ).toMatchObject({
      ok: false,
      rule: 'event_time',
    });
  });

  it('reads Flink timestamps as UTC', () => {
    expect(parseEventTime('2024-02-29 23:59:59')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(parseEventTime('2024-02-29T23:59:59.123')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 123));
    expect(parseEventTime(42)).toBeUndefined();
  });
});

describe('decodeChangelog: values the online store cannot hold', () => {
  const lastReview = STREAM_FEATURES.find((f) => f.type === 'int')!;
  const key = Buffer.from(JSON.stringify({ customer_id: 'c1', product_id: 'p1' }));
  it.each([
    [3.5, /not an integer/],
    ['1.234', /more than two decimals/],
  ])('%s for an int or decimal feature is refused as a bad value', (value, message) => {
    const feature =
      typeof value === 'number' ? lastReview : STREAM_FEATURES.find((f) => f.type === 'decimal')!;
    const k =
      feature === lastReview
        ? key
        : Buffer.from(
            JSON.stringify(
              Object.fromEntries(ENTITIES[feature.entity].keyColumns.map((c) => [c, 'x'])),
            ),
          );
    const v = Buffer.from(JSON.stringify({ value, event_time: '2024-01-01 00:00:00' }));
    const decoded = decodeChangelog(feature, k, v);
    expect(decoded).toMatchObject({ ok: false, rule: 'value' });
    expect(decoded.ok === false && decoded.message).toMatch(message);
  });
});
