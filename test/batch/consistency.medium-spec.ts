import { randomUUID } from 'crypto';
import { rmSync } from 'fs';
import { join } from 'path';
import { ConsoleLogger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { UsersRepository } from '@fstore/auth';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import {
  COMPOSITE_ID_SEPARATOR,
  ENTITIES,
  EntityName,
  FEATURES,
  featureKey,
} from '@fstore/contracts';
import { generate } from '@fstore/generator';
import { LivyBatchesClient } from '@fstore/livy';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { createApp } from '../../apps/feature-server/src/app';
import { stackContext } from '../../apps/cli/src/stack/stack';
import { consistency, ConsistencyResult } from '../../apps/cli/src/training/consistency';
import { OracleEvent, sameValue, streamFeatures } from '../support/oracle';
import { readEventsOfRun, writeNdjson } from '../support/events-file';
import { batchOutput, sparkSubmit } from '../support/spark';
import { StreamScenario } from '../support/stream-scenario';
import { stackWorkDir } from '../support/work-dir';

/**
 * Online/offline consistency on the real stack (docs/consistency.md): generated events through
 * the streaming path (StreamScenario: producer → the generated Flink jobs → writer → Redis) and
 * the same events loaded into a lake table of this run; a feature server (in this process) with
 * FSTORE_SERVING_LOG_SAMPLE_RATE=1 logs every value it serves to fstore.serving-log; then
 * `fstore consistency`'s code runs spark-jobs/consistency.py through the control plane: every
 * read is consistent. One value overwritten in Redis by hand (the admin user), read through the
 * API: the next report counts exactly that read of that feature as inconsistent.
 */
const ctx = stackContext();
const config = loadConfig();
const livy = LivyBatchesClient.fromConfig(ctx.config);
const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin', {
  commandTimeoutMs: 15000,
});
const pool = new Pool({ ...config.postgres, max: 2 });
const run = randomUUID().replace(/-/g, '');
const db = `test_${run}`;
const work = stackWorkDir('fstore-consistency-');
const LOAD_JOB = join(PROJECT_ROOT, 'spark-jobs', 'load_raw_events.py');
const REPORT = join(PROJECT_ROOT, 'spark-jobs', 'tests', 'jobs', 'history_report.py');
const email = `consistency-${run}@example.com`;
const password = `pw-${randomUUID()}`;

let scenario: StreamScenario;
let app: NestFastifyApplication;
let base: string;
let token: string;
let events: OracleEvent[] = [];
let since: string;
/** The ids read, per entity. */
const reads = new Map<EntityName, string[]>();

async function readEntity(entity: EntityName, id: string): Promise<number> {
  const res = await fetch(`${base}/v1/features/${entity}/${encodeURIComponent(id)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return res.status;
}

/** Every stream key of the events in Redis equal to the oracle's (the pipeline caught up). */
async function untilCaughtUp(): Promise<void> {
  const expected = streamFeatures(events);
  const keys = [...expected.keys()];
  const deadline = Date.now() + 240_000;
  for (;;) {
    const values = await Promise.all(keys.map((k) => store.client.get(k)));
    const wrong = keys.filter((k, i) => !sameValue(expected.get(k)!, values[i]));
    if (wrong.length === 0) return;
    if (Date.now() > deadline) throw new Error(`not caught up: ${wrong.slice(0, 3).join(', ')}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

jest.setTimeout(900_000);

beforeAll(async () => {
  scenario = await StreamScenario.create();
  const raw = join(work, 'raw.ndjson');
  await generate({
    rows: 1500,
    seed: 16,
    out: raw,
    format: 'ndjson',
    customers: 120,
    products: 60,
    categories: 5,
    start: '2024-03-01',
    spanDays: 10,
    duplicates: 0.05,
    maxDelaySeconds: 6 * 3600,
  });
  const p = scenario.prefix;
  events = readEventsOfRun<OracleEvent>(raw, p, ['customer_id', 'product_id', 'category']);
  // The lake: the same events (load_raw_events, through Livy).
  const file = join(work, `events-${run}.ndjson`);
  writeNdjson(file, events);
  const id = await livy.submit({
    file: LOAD_JOB,
    args: ['--input', file, '--table', `${db}.transactions`],
    name: `test-consistency-load-${db}`,
  });
  await batchOutput(livy, id, 'LOAD_SUMMARY ');
  // The stream: the generated jobs and a writer on the scenario's topics.
  await scenario.startJobs();
  await scenario.startWriter();
  expect(await scenario.produce(events)).toMatchObject({ dead_lettered: 0, complete: true });
  await untilCaughtUp();
  // A feature server logging every value it serves.
  process.env.FSTORE_SERVING_LOG_SAMPLE_RATE = '1';
  const users = new UsersRepository(pool);
  await users.upsert(email, password, 'reader');
  app = await createApp(new ConsoleLogger({ logLevels: ['fatal'] }));
  await app.listen(0, config.host);
  base = await app.getUrl();
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  token = ((await login.json()) as { access_token: string }).access_token;
}, 900_000);

afterAll(async () => {
  delete process.env.FSTORE_SERVING_LOG_SAMPLE_RATE;
  await app?.close();
  await scenario?.cleanUp();
  await new UsersRepository(pool).remove(email).catch(() => undefined);
  await pool.end();
  await store.close();
  await sparkSubmit(ctx, REPORT, [`${db}.transactions`, '--drop-database', db]).catch(
    () => undefined,
  );
  rmSync(work, { recursive: true, force: true });
}, 300_000);

/** The report of every read since the test's first read, over this run's lake table. */
function report(): Promise<ConsistencyResult> {
  return consistency({
    since,
    table: `${db}.transactions`,
    historyTable: `${db}.no_history`,
  });
}

/** The figures of every feature: reads, consistent, inconsistent, not yet processed. */
function figures(r: ConsistencyResult) {
  return Object.fromEntries(
    Object.entries(r.summary.features).map(([name, f]) => [
      name,
      [f.reads, f.consistent, f.inconsistent, f.not_yet_processed],
    ]),
  );
}

describe('fstore consistency on generated data with the pipeline running', () => {
  const n = 8;
  let first: ConsistencyResult;

  it('every served value equals the offline value at its time: 0 inconsistent', async () => {
    since = new Date(Date.now() - 1000).toISOString();
    const ids: Record<EntityName, string[]> = {
      customer: [...new Set(events.map((e) => e.customer_id))].slice(0, n),
      product: [...new Set(events.map((e) => e.product_id))].slice(0, n),
      category: [...new Set(events.map((e) => e.category))].slice(0, n),
      customer_product: [
        ...new Set(events.map((e) => `${e.customer_id}${COMPOSITE_ID_SEPARATOR}${e.product_id}`)),
      ].slice(0, n),
    } as Record<EntityName, string[]>;
    for (const entity of Object.keys(ENTITIES) as EntityName[]) {
      const list = ids[entity] ?? [];
      reads.set(entity, list);
      // 404 when the entity has no value at all: the read is logged all the same.
      for (const id of list)
        expect([id, [200, 404]]).toEqual([
          id,
          expect.arrayContaining([await readEntity(entity, id)]),
        ]);
    }
    await new Promise((r) => setTimeout(r, 1500)); // the log's batch goes out (200 ms)
    first = await report();
    const expected = Object.fromEntries(
      FEATURES.map((f) => {
        const count = reads.get(f.entity)?.length ?? 0;
        return [f.name, [count, count, 0, 0]];
      }),
    );
    expect(figures(first)).toEqual(expected);
    expect(first.summary.reads).toBe(Object.values(expected).reduce((a, b) => a + b[0], 0));
    expect(first.summary.features.last_purchase_amount.inconsistent_ratio).toBe(0);
  });

  it('a value overwritten in Redis by hand is reported as that feature’s inconsistency', async () => {
    const customer = reads.get('customer')![0];
    const key = featureKey('last_purchase_amount', [customer]);
    const stored = await store.client.get(key);
    expect(stored).not.toBeNull();
    const wrong = (Number(stored) + 1000).toFixed(2);
    await store.client.set(key, wrong); // the admin user, by hand; its event time stays
    expect(await readEntity('customer', customer)).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    const second = await report();
    const want = figures(first);
    const [r, c] = want.last_purchase_amount;
    want.last_purchase_amount = [r + 1, c, 1, 0];
    for (const f of FEATURES.filter(
      (x) => x.entity === 'customer' && x.name !== 'last_purchase_amount',
    )) {
      const [fr, fc] = want[f.name];
      want[f.name] = [fr + 1, fc + 1, 0, 0];
    }
    expect(figures(second)).toEqual(want);
    const lpa = second.summary.features.last_purchase_amount;
    expect(lpa.inconsistent_ratio).toBeCloseTo(1 / (r + 1), 5);
    expect(lpa.examples).toEqual([
      expect.objectContaining({
        keys: { customer_id: customer },
        served: Number(wrong),
        offline: Number(stored),
      }),
    ]);
    // The control plane exports the last successful run's report.
    const metrics = await (await fetch(`${config.control.url}/metrics`)).text();
    const line = metrics
      .split('\n')
      .find((l) =>
        l.startsWith('fstore_consistency_inconsistent_ratio{feature="last_purchase_amount"}'),
      );
    expect(Number(line?.split(' ')[1])).toBeCloseTo(1 / (r + 1), 5);
  });
});
