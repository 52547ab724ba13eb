import type { ChildProcess } from 'child_process';
import { loadConfig } from '@fstore/config';
import { FlinkJobs } from '@fstore/flink';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { OracleEvent, OracleValue, sameValue, streamFeatures } from '../support/oracle';
import { StreamScenario } from '../support/stream-scenario';

// The redelivery horizon (FSTORE_DEDUPE_HORIZON) on the real stack: the generated job submitted
// as a compiled plan whose event-id dedupe state lives HORIZON, nothing else changed. A
// redelivery within the horizon counts once; one after it counts again; and the Top-N state of
// the last_k features, which has no TTL, still holds an entity idle for longer than the horizon.
const HORIZON_MS = 20000;
const config = loadConfig({ ...process.env, FSTORE_DEDUPE_HORIZON: `${HORIZON_MS / 1000}s` });
const shortHorizon = FlinkJobs.fromConfig(config);
/** The default horizon (7 days): longer than a stop and a start. */
const longHorizon = FlinkJobs.fromConfig(loadConfig());
/** How jobs were submitted before the horizon: the statements as written, no compiled plan. */
const asStatements = FlinkJobs.fromConfig(config, { compiledPlans: false });
const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin', {
  commandTimeoutMs: 15000,
});
jest.setTimeout(300000);

let s: StreamScenario | undefined;
let writer: ChildProcess | undefined;

afterAll(async () => {
  await store.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until every key has the oracle's value; returns when it did. */
async function untilValues(expected: Map<string, OracleValue>): Promise<number> {
  const keys = [...expected.keys()];
  const deadline = Date.now() + 120000;
  for (;;) {
    const actual = await Promise.all(keys.map((k) => store.client.get(k)));
    const wrong = keys.filter((k, i) => !sameValue(expected.get(k)!, actual[i]));
    if (wrong.length === 0) return Date.now();
    if (Date.now() > deadline) {
      throw new Error(
        `after 120 s, key → [expected, in Redis]: ${JSON.stringify(
          wrong.map((k) => [k, expected.get(k)!.value, actual[keys.indexOf(k)]]),
        )}`,
      );
    }
    await sleep(500);
  }
}

/** An event of the scenario (its ids prefixed), of customer c1, one unit. */
function eventOf(p: string) {
  return (
    id: string,
    category: string,
    product: string,
    time: string,
    price: string,
    rating: number | null,
  ): OracleEvent => ({
    event_id: `${p}${id}`,
    customer_id: `${p}c1`,
    product_id: `${p}${product}`,
    category: `${p}${category}`,
    price,
    quantity: 1,
    transaction_date: `2024-03-01 ${time}`,
    review_rating: rating,
  });
}

/** Category x's three purchases, newest first: their amounts sum to 35.00 while `a` counts once. */
function categoryX(event: ReturnType<typeof eventOf>): OracleEvent[] {
  return [
    event('a', 'x', 'p0', '10:03:00', '10.00', null),
    event('b', 'x', 'p0', '10:02:00', '20.00', null),
    event('c', 'x', 'p0', '10:01:00', '5.00', null),
  ];
}

describe('the dedupe horizon', () => {
  afterEach(async () => {
    writer?.kill('SIGKILL');
    writer = undefined;
    await s?.cleanUp();
    s = undefined;
  });

  it('counts a redelivery within it once and one after it again; idle Top-N state is kept', async () => {
    s = await StreamScenario.create();
    const p = s.prefix;
    const event = eventOf(p);
    const x = categoryX(event);
    const a = x[0];
    // Product p1: five ratings, 1 to 5, the newest last (avg_review 3).
    const ratings = [1, 2, 3, 4, 5].map((r) => event(`r${r}`, 'y', 'p1', `09:0${r}:00`, '1.00', r));
    const first = [...x, ...ratings];
    const keysOf = (m: Map<string, OracleValue>) =>
      new Map([...m].filter(([k]) => k.includes(`{${p}x}`) || k.includes(`{${p}p1}`)));
    const before = keysOf(streamFeatures(first));
    expect(before.get(`revenue_category:{${p}x}`)?.value).toBe('35.00');
    expect(Number(before.get(`avg_review:{${p}p1}`)?.value)).toBe(3);

    await s.startJobs(new Map(), shortHorizon);
    writer = await s.startWriter();
    // Within the horizon: `a` delivered twice, seconds apart.
    await s.produce(first);
    await s.produce([a]);
    const seen = await untilValues(before);
    await sleep(3000);
    await untilValues(before); // still 35.00: the second `a` did not count

    // After the horizon (from `a`'s first delivery, which Flink had processed before `seen`):
    // `a` counts again (revenue_category x: a + a + b = 40.00), and p1, idle all that time,
    // gets a sixth rating whose average over the 5 latest needs the 4 it kept (3.8, not 5).
    await sleep(Math.max(0, seen + HORIZON_MS + 5000 - Date.now()));
    const r6 = event('r6', 'y', 'p1', '09:06:00', '1.00', 5);
    await s.produce([a, r6]);
    const after = keysOf(streamFeatures([...first, r6]));
    // The interpreter counts an event id once whenever it comes; past the horizon Flink counts
    // the late redelivery as a new event: the same as an event of its own with `a`'s values.
    const late = keysOf(streamFeatures([...first, r6, { ...a, event_id: `${p}a2` }]));
    expect(late.get(`revenue_category:{${p}x}`)?.value).toBe('40.00');
    expect(Number(after.get(`avg_review:{${p}p1}`)?.value)).toBeCloseTo(3.8, 12);
    expect(new Map([...after].filter(([k]) => k.includes(`{${p}p1}`)))).toEqual(
      new Map([...late].filter(([k]) => k.includes(`{${p}p1}`))),
    );
    await untilValues(late);
  });

  it('a job submitted as statements resumes as a compiled plan from its savepoint, ids kept', async () => {
    s = await StreamScenario.create();
    const p = s.prefix;
    const event = eventOf(p);
    const x = categoryX(event);
    const a = x[0];
    const expected = new Map(
      [...streamFeatures(x)].filter(([k]) => k.startsWith('revenue_category:')),
    );
    expect([...expected.values()].map((v) => v.value)).toEqual(['35.00']);

    await s.startJobs(new Map(), asStatements);
    writer = await s.startWriter();
    await s.produce(x);
    await untilValues(expected);
    // The upgrade of a deployment made before the horizon: its savepoint into the plan's job
    // (the same operator ids; the dedupe state, kept without a TTL so far, now with one).
    const savepoints = await s.stopJobs();
    await s.startJobs(savepoints, longHorizon);
    await s.produce([a]);
    await sleep(5000);
    await untilValues(expected); // 35.00: `a` is still known, the redelivery counted once
    // And the new job counts: one more event of category x.
    await s.produce([event('d', 'x', 'p0', '10:04:00', '1.00', null)]);
    await untilValues(new Map([[`revenue_category:{${p}x}`, { value: '31.00', kind: 'decimal' }]]));
  });
});
