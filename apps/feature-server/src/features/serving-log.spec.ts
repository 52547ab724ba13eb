import { featureByName, FEATURES } from '@fstore/contracts';
import { servedRecord, ServingLog, ServingLogSink } from './serving-log';

function counting() {
  const c = { logged: 0, dropped: 0 };
  return {
    c,
    counters: { logged: (n: number) => (c.logged += n), dropped: (n: number) => (c.dropped += n) },
  };
}

const avgReview = featureByName('avg_review')!;
const value = { value: 4, eventTime: 1_000 };

describe('ServingLog', () => {
  it('at rate 0 creates no sink and records nothing', async () => {
    const { c, counters } = counting();
    let made = 0;
    const log = new ServingLog(
      0,
      () => {
        made++;
        throw new Error('unused');
      },
      counters,
    );
    expect(log.enabled).toBe(false);
    log.record('product', [['p1']], [avgReview], [[value]], 5_000);
    await log.close();
    expect([made, c]).toEqual([0, { logged: 0, dropped: 0 }]);
  });

  it('samples at its rate (each value drawn once)', async () => {
    const sent: string[] = [];
    const sink: ServingLogSink = {
      send: async (m) => void sent.push(...m.map((x) => x.value)),
      close: async () => undefined,
    };
    const draws = [0.05, 0.5, 0.09, 0.95];
    const { c, counters } = counting();
    const log = new ServingLog(0.1, () => sink, counters, { random: () => draws.shift()! });
    log.record(
      'product',
      [['p1'], ['p2'], ['p3'], ['p4']],
      [avgReview],
      [[value], [value], [value], [value]],
      5_000,
    );
    await log.flush();
    expect(sent.map((v) => JSON.parse(v).keys.product_id)).toEqual(['p1', 'p3']);
    expect(c).toEqual({ logged: 2, dropped: 0 });
  });

  it('a failing send drops its batch, counted, and the next batch goes on', async () => {
    let fail = true;
    const sent: string[] = [];
    const sink: ServingLogSink = {
      send: async (m) => {
        if (fail) throw new Error('broker down');
        sent.push(...m.map((x) => x.value));
      },
      close: async () => undefined,
    };
    const { c, counters } = counting();
    const log = new ServingLog(1, () => sink, counters, { maxBatch: 2 });
    log.record('product', [['p1'], ['p2'], ['p3']], [avgReview], [[value], [value], [null]], 5_000);
    await log.flush();
    expect(c).toEqual({ logged: 0, dropped: 3 });
    fail = false;
    log.record('product', [['p4']], [avgReview], [[value]], 5_000);
    await log.flush();
    expect(c).toEqual({ logged: 1, dropped: 3 });
    expect(sent).toHaveLength(1);
  });

  it('drops beyond its buffer while sends are slow', async () => {
    const { c, counters } = counting();
    const log = new ServingLog(
      1,
      () => ({ send: async () => undefined, close: async () => undefined }),
      counters,
      {
        maxBuffered: 2,
      },
    );
    log.record(
      'product',
      [['p1'], ['p2'], ['p3']],
      [avgReview],
      [[value], [value], [value]],
      5_000,
    );
    await log.close();
    expect(c).toEqual({ logged: 2, dropped: 1 });
  });
});

describe('servedRecord', () => {
  it('stands a time window for its window end, any other feature for the read time', () => {
    const windowed = FEATURES.find((f) => f.tiles);
    expect(servedRecord(avgReview, 'product', { product_id: 'p' }, value, 123_456).as_of_ms).toBe(
      123_456,
    );
    if (!windowed) return;
    const g = windowed.tiles!.granularityMs;
    const read = 10 * g + 1;
    const served = { value: 1, eventTime: 5 * g, window: { start: 3 * g, end: 11 * g } };
    const keys = { x: 'y' };
    expect(servedRecord(windowed, windowed.entity, keys, served, read).as_of_ms).toBe(11 * g);
    // Nothing in the window: the window the read covered.
    expect(servedRecord(windowed, windowed.entity, keys, null, read)).toMatchObject({
      value: null,
      event_time_ms: null,
      as_of_ms: 11 * g,
    });
  });
});
