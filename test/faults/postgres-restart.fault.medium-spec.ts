import { ChildProcess, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import { join } from 'path';
import { Client, Pool } from 'pg';
import { UsersRepository } from '@fstore/auth';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { featureKey } from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { ApiKeyEntity, createApiKey, openDatabase } from '@fstore/control-store';
import { fstore } from '../support/cli';
import { freePort } from '../support/free-port';

/**
 * Issue 20: PostgreSQL restarts while a feature-server instance and a control plane (both of this
 * checkout, each its own process) run against the local stack. The feature server must stay
 * alive and keep serving feature reads (they need Redis only) while login answers 503; the control
 * plane must answer 503 (not 500) with the standard error body, and 2xx once PostgreSQL is back.
 *
 * It stops the stack's PostgreSQL with the stack's own command (`fstore stack down postgres`) and
 * always starts it again (`fstore stack up postgres`), within about a minute: other tests using
 * PostgreSQL at that moment may fail, hence a file of its own (`*.fault.medium-spec.ts`).
 */
const config = loadConfig();
const store = RedisClusterOnlineStore.fromConfig(config, 'fstore-admin');
const id = randomUUID().slice(0, 8);
const schema = `control_t_fault_${id}`;
const queue = `fstore-control-test-fault-${id}`;
const email = `fault-${id}@example.com`;
const password = `pw-${randomUUID()}`;
const product = `fault-p-${id}`;
const children: ChildProcess[] = [];
let serving = '';
let control = '';
let apiKey = '';
let featureServer: ReturnType<typeof startApp>;

// Response bodies are checked field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(
  url: string,
  init: { method?: string; body?: unknown; auth?: string } = {},
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  if (init.auth) headers.authorization = `Bearer ${init.auth}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(10000),
  });
  return { status: res.status, body: await res.json() };
}

/** `node bin/app.js <app> …` of this checkout, as the stack runs it, with its output kept. */
function startApp(app: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/app.js'), app, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { text: '' };
  const keep = (d: Buffer) => (output.text = (output.text + d.toString()).slice(-20000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  children.push(child);
  return Object.assign(child, { output });
}

async function until<T>(what: string, check: () => Promise<T | undefined>, ms: number) {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${String(last)})`);
    await sleep(300);
  }
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
const login = () =>
  call(`${serving}/api/auth/login`, { method: 'POST', body: { email, password } });
const readFeature = () =>
  call(`${serving}/api/v1/offline/sold-product-units?product_id=${product}`, {
    auth: accessToken,
  });
const listJobs = () => call(`${control}/v1/jobs`, { auth: apiKey });
let accessToken = '';

/** The stack's PostgreSQL row: this test may only restart a server the stack itself runs. */
function stackPostgresPid(): number | undefined {
  const status = fstore('stack', 'status', 'postgres').stdout;
  const m = /^postgres\s+postgres\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

beforeAll(async () => {
  if (stackPostgresPid() === undefined) {
    throw new Error('the stack does not run PostgreSQL itself (`fstore stack up postgres`)');
  }
  const pool = new Pool({ ...config.postgres, max: 1 });
  try {
    const users = new UsersRepository(pool);
    await users.upsert(email, password, 'reader');
  } finally {
    await pool.end();
  }
  await store.write([
    { feature: 'units_sold', keyParts: [product], value: 7, eventTime: Date.now() },
  ]);
  process.env.FSTORE_CONTROL_PG_SCHEMA = schema;
  const db = await openDatabase(loadConfig(), schema);
  try {
    apiKey = (await createApiKey(db.getRepository(ApiKeyEntity), 'fault-test', 'viewer')).key;
  } finally {
    await db.destroy();
  }
  delete process.env.FSTORE_CONTROL_PG_SCHEMA;

  const servingPort = await freePort();
  featureServer = startApp('feature-server', [], { FSTORE_SERVING_PORT: String(servingPort) });
  serving = `http://${config.host}:${servingPort}`;
  const controlPort = await freePort();
  const controlPlane = startApp('control-plane', ['--no-worker'], {
    FSTORE_CONTROL_PORT: String(controlPort),
    FSTORE_CONTROL_PG_SCHEMA: schema,
    FSTORE_CONTROL_QUEUE: queue,
  });
  control = `http://${config.host}:${controlPort}`;
  for (const [name, child, url] of [
    ['feature server', featureServer, serving],
    ['control plane', controlPlane, control],
  ] as const) {
    await until(
      `${name} ready`,
      async () => {
        if (!alive(child)) throw new Error(`${name} exited: ${child.output.text}`);
        return (await call(`${url}/health/ready`)).status === 200 ? true : undefined;
      },
      90000,
    );
  }
  const first = await login();
  expect(first.status).toBe(200);
  accessToken = first.body.access_token;
}, 180000);

afterAll(async () => {
  for (const child of children) if (alive(child)) child.kill('SIGTERM');
  // PostgreSQL is back (the test restores it); remove what this test made.
  const client = new Client({ ...config.postgres });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.query('DELETE FROM auth_users WHERE email = $1', [email]);
  } finally {
    await client.end();
  }
  const key = featureKey('units_sold', [product]);
  await store.client.del(key, `${key}:ts`);
  await store.close();
}, 60000);

describe('a PostgreSQL restart', () => {
  it('leaves the feature server serving reads and makes the control plane answer 503, then 2xx', async () => {
    // Both pools hold idle connections now: the restart closes them under the running processes.
    expect((await listJobs()).status).toBe(200);
    expect((await login()).status).toBe(200);
    expect(await readFeature()).toEqual({ status: 200, body: { units: 7 } });

    let restored = { status: null as number | null, stderr: 'not restarted' };
    const down = fstore('stack', 'down', 'postgres');
    try {
      expect(down.status).toBe(0);
      expect(stackPostgresPid()).toBeUndefined();
      // Past the moment the closed connections are reported (and would have ended the process).
      await sleep(1500);

      for (let i = 0; i < 5; i++) {
        expect(alive(featureServer)).toBe(true);
        expect(await readFeature()).toEqual({ status: 200, body: { units: 7 } });
        await sleep(200);
      }
      const refused = await login();
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({
        error_code: 1400,
        error_message: expect.stringMatching(/^user database unavailable: /),
        error_detail: null,
      });
      const ready = await call(`${serving}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.checks).toEqual({
        redis: 'ok',
        postgres: expect.stringMatching(/^unavailable: /),
      });

      const jobs = await listJobs();
      expect(jobs.status).toBe(503);
      expect(jobs.body).toEqual({
        error_code: 1400,
        error_message: expect.stringMatching(/unavailable: /),
        error_detail: null,
      });
      const controlReady = await call(`${control}/health/ready`);
      expect(controlReady.status).toBe(503);
      expect(controlReady.body.error_message).toMatch(/postgres: /);
    } finally {
      restored = fstore('stack', 'up', 'postgres');
    }
    expect(restored.status === 0 ? 0 : restored.stderr).toBe(0); // stderr names the failure

    const back = await until(
      'the control plane to answer 2xx again',
      async () => {
        const r = await listJobs();
        return r.status >= 200 && r.status < 300 ? r : undefined;
      },
      30000,
    );
    expect(back.status).toBe(200);
    expect((await call(`${control}/health/ready`)).status).toBe(200);
    expect(alive(featureServer)).toBe(true);
    expect((await login()).status).toBe(200);
    expect((await call(`${serving}/health/ready`)).body.checks.postgres).toBe('ok');
    expect(await readFeature()).toEqual({ status: 200, body: { units: 7 } });
  }, 120000);
});
