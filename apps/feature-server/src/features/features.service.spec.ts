import { EntityName } from '@fstore/contracts';
import { FeatureValue, OnlineStore } from '@fstore/online-store';
import { FeaturesService } from './features.service';
import { servingConfig, servingLogOff, storeReading } from './features.fakes';
import { ServingLog, ServingLogSink } from './serving-log';

const HOUR = 3600 * 1000;
const now = Date.now();

/** A store answering from a table: `${feature name} ${key parts}` -> value. */
function fakeStore(table: Record<string, FeatureValue>): OnlineStore {
  return storeReading(async (_: EntityName, entities: readonly (readonly string[])[], features) =>
    entities.map((parts) => features.map((f) => table[`${f.name} ${parts.join(':')}`] ?? null)),
  );
}

const off = servingLogOff;
const config = servingConfig;

describe('FeaturesService.batch', () => {
  it('gives each value its own event time and staleness, a missing one null', async () => {
    const asOf = now - 30 * HOUR;
    const service = new FeaturesService(
      config,
      fakeStore({
        'avg_review p1': { value: 4.5, eventTime: now - 2 * HOUR },
        'avg_review p2': { value: 3, eventTime: now - 1000 },
        'avg_review p3': { value: 2, eventTime: now - 2 * HOUR },
        'units_sold p1': { value: 10, eventTime: asOf },
        'units_sold p2': { value: 11, eventTime: asOf },
        'units_sold p3': { value: 12, eventTime: 0 },
      }),
      off,
    );
    const results = await service.batch(
      'product',
      ['p1', 'p2', 'p3', 'p4'],
      ['avg_review', 'units_sold'],
    );
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(results.map((r) => r.features)).toEqual([
      {
        avg_review: { value: 4.5, event_time: iso(now - 2 * HOUR), stale: true },
        units_sold: { value: 10, event_time: iso(asOf), stale: false },
      },
      {
        avg_review: { value: 3, event_time: iso(now - 1000), stale: false },
        units_sold: { value: 11, event_time: iso(asOf), stale: false },
      },
      {
        avg_review: { value: 2, event_time: iso(now - 2 * HOUR), stale: true },
        units_sold: { value: 12, event_time: null, stale: true },
      },
      { avg_review: null, units_sold: null },
    ]);
  });

  it('names the bad id of a batch by its index', async () => {
    const service = new FeaturesService(config, fakeStore({}), off);
    await expect(service.batch('customer_product', ['c1:p1', 'c2'])).rejects.toMatchObject({
      status: 400,
      detail: [{ loc: ['body', 'ids', '1'], type: 'value_error.id' }],
    });
  });
});

describe('FeaturesService with the serving log on', () => {
  it('logs each value it served, a missing one as null, without waiting for the send', async () => {
    const sent: { key: string; value: string }[][] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const sink: ServingLogSink = {
      send: async (messages) => {
        sent.push(messages);
        await slow;
      },
      close: async () => undefined,
    };
    const log = new ServingLog(1, () => sink, {
      logged: () => undefined,
      dropped: () => undefined,
    });
    const service = new FeaturesService(
      config,
      fakeStore({ 'avg_review p1': { value: 4.5, eventTime: now - 1000 } }),
      log,
    );
    const before = Date.now();
    await service.batch('product', ['p1', 'p2'], ['avg_review']);
    expect(sent).toEqual([]); // nothing sent on the request path
    const flushed = log.flush();
    release();
    await flushed;
    const records = sent.flat().map((m) => ({ key: m.key, ...JSON.parse(m.value) }));
    expect(records).toEqual([
      {
        key: 'p1',
        feature: 'avg_review',
        entity: 'product',
        keys: { product_id: 'p1' },
        value: 4.5,
        event_time_ms: now - 1000,
        read_time_ms: expect.any(Number),
        as_of_ms: records[0].read_time_ms,
      },
      {
        key: 'p2',
        feature: 'avg_review',
        entity: 'product',
        keys: { product_id: 'p2' },
        value: null,
        event_time_ms: null,
        read_time_ms: records[1].read_time_ms,
        as_of_ms: records[1].read_time_ms,
      },
    ]);
    expect(records[0].read_time_ms).toBeGreaterThanOrEqual(before);
  });
});
