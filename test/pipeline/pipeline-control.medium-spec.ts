import { loadConfig } from '@fstore/config';
import { REGISTRY } from '@fstore/contracts';
import { compileStreamJobs } from '@fstore/definitions';
import { fstore } from '../support/cli';
import { flinkRequest } from '../support/flink-https';

// One control path: `fstore pipeline up|down|status` deploy, pause and resume the jobs compiled
// from features/ through the control plane, so its API lists them with their state.
const config = loadConfig();
const jobs = compileStreamJobs(REGISTRY);
jest.setTimeout(600000);

async function controlPlane(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${config.control.url}${path}`, {
    headers: { authorization: `Bearer ${config.control.apiKey}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** The execution config Flink runs a job with (its REST API's `/jobs/:id/config`). */
async function executionConfig(flinkJobId: string): Promise<Record<string, unknown>> {
  const res = await flinkRequest(config, `${config.flink.restUrl}/jobs/${flinkJobId}/config`);
  expect(res.status).toBe(200);
  return (JSON.parse(res.body) as { 'execution-config': Record<string, unknown> })[
    'execution-config'
  ];
}

async function liveDeployment(job: string): Promise<Record<string, unknown> | undefined> {
  const { deployments } = await controlPlane('/v1/deployments?live=true');
  return (deployments as Record<string, unknown>[]).find((d) => d.job === job);
}

const ok = (res: ReturnType<typeof fstore>) => {
  if (res.status !== 0) throw new Error(`fstore failed (${res.status}): ${res.stderr}`);
  return res.stdout;
};

describe('fstore pipeline, through the control plane', () => {
  it('up deploys every compiled job once; down pauses with a savepoint; up resumes it', async () => {
    expect(jobs.map((j) => j.jobName)).toEqual(['features-transactions']);
    const [job] = jobs;

    ok(fstore('pipeline', 'up'));
    const first = await liveDeployment(job.jobName);
    expect(first).toMatchObject({ desired_state: 'running', observed_state: 'RUNNING' });
    const registered = await controlPlane(`/v1/jobs/${job.jobName}`);
    expect(registered).toMatchObject({ kind: 'flink-sql' });
    expect((registered.versions as { source: string }[]).at(-1)!.source).toBe(job.file);
    // The script's SET 'pipeline.object-reuse' reaches the job (the planner may not drop it).
    expect(await executionConfig(String(first!.flink_job_id))).toMatchObject({
      'object-reuse-mode': true,
    });

    // Again: nothing changes, the same deployment and Flink job.
    expect(ok(fstore('pipeline', 'up'))).toMatch(/features-transactions .* already running/);
    expect(await liveDeployment(job.jobName)).toMatchObject({
      id: first!.id,
      flink_job_id: first!.flink_job_id,
    });

    expect(ok(fstore('pipeline', 'down'))).toMatch(/stopped with savepoint/);
    const paused = await liveDeployment(job.jobName);
    expect(paused).toMatchObject({ id: first!.id, desired_state: 'paused' });
    expect(String(paused!.last_savepoint)).toMatch(/savepoint/);
    expect(ok(fstore('pipeline', 'status'))).toMatch(/features-transactions .* paused, savepoint/);

    expect(ok(fstore('pipeline', 'up'))).toMatch(/resumed from savepoint/);
    const resumed = await liveDeployment(job.jobName);
    expect(resumed).toMatchObject({
      id: first!.id,
      desired_state: 'running',
      observed_state: 'RUNNING',
    });
    expect(resumed!.flink_job_id).not.toBe(first!.flink_job_id);
  });
});
