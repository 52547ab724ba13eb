import { execFileSync } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import { readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Pool } from 'pg';
import { UsersRepository } from '@fstore/auth';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { FEATURES_DIR, TOPICS } from '@fstore/contracts';
import { loadDefinitions, ResolvedFeature } from '@fstore/definitions';
import { generate } from '@fstore/generator';
import { fstore, produceFile } from '../support/cli';
import { readEventsOfRun, writeNdjson } from '../support/events-file';
import { featureValues, OracleValue } from '../support/interpreter';
import { stackWorkDir } from '../support/work-dir';

// A user of the feature store adds, changes and removes a feature by editing features/ alone:
// `fstore plan` lists the change, `fstore apply` makes it so through the control plane (registry
// version, the source's job recomputed, served under its name), and the values equal the
// interpreter's, read through the serving API. Nothing under apps/ or libs/ changes.
const config = loadConfig();
const id = randomBytes(4).toString('hex');
const NAME = `spend_last_${id}`;
const prefix = `a${id}-`;
const work = stackWorkDir('fstore-apply-');
const fileV1 = join(FEATURES_DIR, `${NAME}.ts`);
const fileV2 = join(FEATURES_DIR, `${NAME}_v2.ts`);
const broken = join(FEATURES_DIR, `broken_${id}.ts`);
const pool = new Pool(config.postgres);
const email = `apply-${id}@example.com`;
const password = `${randomUUID()}-Aa1`;
let token = '';
jest.setTimeout(900000);

const definition = (k: number) => `import { feature, lastK } from '@fstore/definitions';
import { customer } from './entities';
import { transactions } from './sources';

export default feature({
  name: '${NAME}',
  entity: customer,
  source: transactions,
  engine: 'stream',
  aggregation: lastK(${k}, 'sum'),
  of: 'amount',
  type: 'decimal',
  description: 'Sum of the ${k} latest amounts of the customer (a test feature)',
  owner: 'tests',
});
`;

const gitStatus = (...paths: string[]) =>
  execFileSync('git', ['status', '--porcelain', '--', ...paths], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });

function ok(args: string[]): string {
  const res = fstore(...args);
  if (res.status !== 0) throw new Error(`fstore ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

function resolved(): ResolvedFeature {
  const registry = loadDefinitions(FEATURES_DIR, PROJECT_ROOT);
  return registry.features.find((f) => f.name === NAME)!;
}

// Response bodies are read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function serving(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Json }> {
  const request = () =>
    fetch(`${config.serving.url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
  // A kept-alive connection the load balancer closed while apply ran fails once; a new one works.
  const res = await request().catch(() => request());
  return { status: res.status, body: await res.json() };
}

async function liveDeployment() {
  const res = await fetch(`${config.control.url}/v1/deployments?live=true`, {
    headers: { authorization: `Bearer ${config.control.apiKey}` },
  });
  const { deployments } = (await res.json()) as { deployments: Record<string, unknown>[] };
  return deployments.find((d) => d.job === 'features-transactions');
}

const equal = (expected: OracleValue, actual: number | null | undefined) =>
  actual !== null && actual !== undefined && Math.abs(Number(expected.value) - actual) < 1e-9;

/** Waits until the served values of the test's customers equal the interpreter's. */
async function untilServedEqual(events: object[]) {
  const expected = featureValues(resolved(), events);
  const ids = [...expected.keys()].map((k) => /\{(.*)\}/.exec(k)![1]);
  expect(ids.length).toBeGreaterThan(50);
  let wrong: string[] = [];
  const deadline = Date.now() + 240000;
  do {
    wrong = [];
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      const res = await serving('/v1/features/batch', {
        method: 'POST',
        body: JSON.stringify({ entity: 'customer', ids: batch, features: [NAME] }),
      });
      expect(res.status).toBe(200);
      for (const r of res.body.results) {
        const want = expected.get(`${NAME}:{${r.id}}`)!;
        if (!equal(want, r.features[NAME]?.value)) wrong.push(r.id);
      }
    }
    if (wrong.length > 0) await new Promise((r) => setTimeout(r, 3000));
  } while (wrong.length > 0 && Date.now() < deadline);
  expect({ wrong: wrong.length, sample: wrong.slice(0, 3) }).toEqual({ wrong: 0, sample: [] });
  return { id: ids[0], want: expected.get(`${NAME}:{${ids[0]}}`)! };
}

/** The control plane's catalog entry of the test's feature (and one customer's value). */
async function catalogEntry(entityId?: string) {
  const query = entityId === undefined ? '' : `?entity_id=${encodeURIComponent(entityId)}`;
  const res = await fetch(`${config.control.url}/v1/features/${NAME}${query}`, {
    headers: { authorization: `Bearer ${config.control.apiKey}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Whether the control plane's list names the test's feature. */
async function listed(): Promise<boolean> {
  const res = await fetch(`${config.control.url}/v1/features`, {
    headers: { authorization: `Bearer ${config.control.apiKey}` },
  });
  const { features } = (await res.json()) as { features: { name: string }[] };
  return features.some((f) => f.name === NAME);
}

let events: object[] = [];

beforeAll(async () => {
  const users = new UsersRepository(pool);
  await users.upsert(email, password, 'reader');
  const login = await fetch(`${config.serving.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(login.status).toBe(200);
  token = ((await login.json()) as { access_token: string }).access_token;
  // The stack's definitions applied and running before the test changes them (batch values are
  // not this test's subject: their backfill is left to the schedule).
  ok(['apply', '--no-backfill']);
  const raw = join(work, 'raw.ndjson');
  await generate({
    rows: 3000,
    seed: 11,
    out: raw,
    format: 'ndjson',
    customers: 300,
    products: 50,
    categories: 4,
    start: '2024-05-01',
    spanDays: 1,
    duplicates: 0.05,
    maxDelaySeconds: 3600,
  });
  // Ids of this run only: a rerun with the same seed must not look like redeliveries.
  events = readEventsOfRun(raw, prefix, ['event_id', 'customer_id', 'product_id']);
  const file = join(work, 'events.ndjson');
  writeNdjson(file, events);
  const summary = await produceFile({
    file,
    topic: TOPICS.transactions,
    dlqTopic: TOPICS.deadLetter,
    checkpointDir: join(work, 'checkpoints'),
  });
  expect(summary).toMatchObject({ dead_lettered: 0, complete: true });
});

afterAll(async () => {
  const leftovers = [fileV1, fileV2, broken].filter((f) => {
    try {
      readFileSync(f);
      return true;
    } catch {
      return false;
    }
  });
  for (const f of leftovers) rmSync(f, { force: true });
  // Leave the stack as the checkout defines it.
  if (leftovers.length > 0) fstore('apply', '--no-backfill');
  await new UsersRepository(pool).remove(email).catch(() => undefined);
  await pool.end();
  rmSync(work, { recursive: true, force: true });
});

describe('fstore plan / apply: a feature defined in one file', () => {
  it('added, changed (recomputed) and removed, served with the interpreter’s values', async () => {
    const appsAndLibs = gitStatus('apps', 'libs');
    expect(ok(['plan'])).toMatch(/^Nothing to do/);

    // Added: one new file.
    writeFileSync(fileV1, definition(2));
    const plan = ok(['plan']);
    expect(plan).toMatch(new RegExp(`${NAME}\\s+stream\\s+add\\s+-\\s+new: last_k\\(2, sum\\)`));
    expect(plan).toMatch(/features-transactions\s+recompute\s+recomputed\s+add spend_last_/);
    ok(['apply']);
    expect(ok(['plan'])).toMatch(/^Nothing to do/);
    const one = await untilServedEqual(events);
    // The control plane lists it at once, from the registry: it was not restarted.
    expect(await listed()).toBe(true);
    const added = await catalogEntry(one.id);
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({
      name: NAME,
      entity: 'customer',
      engine: 'stream',
      aggregation: 'last_k',
      window: null,
      produced_by: 'flink-sql/transactions.sql',
      registry_version: 1,
      entity_id: one.id,
    });
    expect(equal(one.want, added.body.value as number)).toBe(true);

    // Changed: K 2 → 3 (the same feature, now in another file): recomputed.
    const before = await liveDeployment();
    rmSync(fileV1);
    writeFileSync(fileV2, definition(3));
    expect(ok(['plan'])).toMatch(
      new RegExp(`${NAME}\\s+stream\\s+change\\s+1\\s+last_k\\(2, sum\\).* -> last_k\\(3, sum\\)`),
    );
    ok(['apply']);
    const after = await liveDeployment();
    expect(after!.id).not.toBe(before!.id);
    expect(ok(['plan'])).toMatch(/^Nothing to do/);
    await untilServedEqual(events);
    expect((await catalogEntry()).body).toMatchObject({ name: NAME, registry_version: 2 });

    // A definition with an error: plan and apply refuse, naming it; nothing running changes.
    writeFileSync(
      broken,
      definition(2).replace(`'${NAME}'`, `'broken_${id}'`).replace("'amount'", "'amout'"),
    );
    for (const command of ['plan', 'apply']) {
      const res = fstore(command);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain(
        `features/broken_${id}.ts feature "broken_${id}" field "of": unknown column "amout"`,
      );
    }
    rmSync(broken);
    expect(await liveDeployment()).toMatchObject({
      id: after!.id,
      flink_job_id: after!.flink_job_id,
    });

    // Removed: the job runs without it, the registry records the removal, nothing left to do.
    rmSync(fileV2);
    expect(ok(['plan'])).toMatch(new RegExp(`${NAME}\\s+stream\\s+remove`));
    ok(['apply']);
    expect(ok(['plan'])).toMatch(/^Nothing to do/);
    const gone = await serving('/v1/features/batch', {
      method: 'POST',
      body: JSON.stringify({ entity: 'customer', ids: ['x'], features: [NAME] }),
    });
    expect(gone.status).toBe(400);
    expect(await listed()).toBe(false);
    expect((await catalogEntry()).status).toBe(404);

    // Only features/ changed (and back): nothing under apps/ or libs/.
    expect(gitStatus('apps', 'libs')).toBe(appsAndLibs);
    expect(gitStatus('features', 'flink-sql')).toBe('');
  });
});
