import { execFile } from 'child_process';
import { join } from 'path';
import { promisify } from 'util';
import { PROJECT_ROOT } from '@fstore/config';
import { Harness } from './harness';

// `fstore jobs …` against a real control plane (its own schema and queue), which runs in this
// process: the CLI must be spawned asynchronously so that the server can answer it.
jest.setTimeout(300000);

const h = new Harness();
const job = `cli-run-${h.id}`;

async function fstore(key: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(PROJECT_ROOT, 'bin/fstore.js'), ...args],
      { env: { ...process.env, FSTORE_CONTROL_URL: h.base, FSTORE_API_KEY: key } },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(() => h.start());
afterAll(() => h.stop([]));

it('registers a PySpark job, runs it through Livy and lists the run', async () => {
  const reg = await fstore(
    h.keys.operator,
    'jobs',
    'register',
    job,
    'spark-jobs/tests/jobs/sleep_job.py',
  );
  expect(reg.code).toBe(0);
  expect(JSON.parse(reg.stdout)).toMatchObject({ job, version: 1 });

  const run = await fstore(h.keys.operator, 'jobs', 'run', job, '--arg', '1', '--wait');
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({
    status: 'succeeded',
    result: { state: 'success' },
  });

  const runs = await fstore(h.keys.viewer, 'jobs', 'runs', job);
  const rows = runs.stdout.trim().split('\n');
  expect(rows).toHaveLength(2);
  expect(rows[1]).toMatch(new RegExp(`^\\S+\\s+${job}\\s+1\\s+success\\s`));

  const listed = await fstore(h.keys.viewer, 'jobs', 'list');
  expect(listed.stdout).toContain(job);
});

it('exits 1 with the API error for a wrong role or an unknown job', async () => {
  const refused = await fstore(h.keys.viewer, 'jobs', 'run', job);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/403 Permission denied: role viewer/);

  const unknown = await fstore(h.keys.operator, 'jobs', 'pause', `missing-${h.id}`);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain(`404 job missing-${h.id} not found`);
});

it('features get: every feature of the entity from the running control plane', async () => {
  const id = `nobody-${h.id}`;
  const got = await fstore(h.keys.viewer, 'features', 'get', 'product', id, '--json');
  expect(got.code).toBe(0);
  const answers = JSON.parse(got.stdout) as { name: string; entity_id: string; value: unknown }[];
  const { REGISTRY } = await import('@fstore/contracts');
  const names = REGISTRY.features.filter((f) => f.entity.name === 'product').map((f) => f.name);
  expect(answers.map((a) => a.name)).toEqual(names);
  // An entity that never had an event: every value absent, none invented.
  for (const a of answers) expect(a).toMatchObject({ entity_id: id, value: null });
  const table = await fstore(h.keys.viewer, 'features', 'get', 'product', id);
  expect(table.stdout.split('\n')[0]).toMatch(/^feature\s+value\s+event_time\s+key/);
});
