import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FstoreConfig, loadConfig } from '@fstore/config';
import { flinkClientTls, JobManagerClient } from '@fstore/flink';
import { StackContext } from '../../apps/cli/src/stack/component';
import { runningPid, StackPaths } from '../../apps/cli/src/stack/processes';
import {
  ensureSupervisor,
  restartCounts,
  stopSupervisor,
  SUPERVISOR,
} from '../../apps/cli/src/stack/supervisor';
import { fstoreWithEnv } from '../support/cli';
import { flinkRequest } from '../support/flink-https';

/**
 * Issue 20: after a TaskManager kill nothing restarted it. The stack's supervisor restarts a
 * process that dies, as Kubernetes would, and leaves alone one stopped on purpose.
 *
 * 1. SIGKILLs the stack's TaskManager: the supervisor restarts it within a bound, the JobManager
 *    reports a new TaskManager with all its slots, and `stack status` counts the restart. The
 *    running Flink jobs fail over and restart from their checkpoints once it is back, hence a
 *    file of its own (`*.fault.medium-spec.ts`).
 * 2. On a stack of its own (a temporary stack dir, Redis and Kafka on other ports, so the shared
 *    stack is not touched): `stack down kafka` stays down while the supervisor keeps restarting
 *    what dies (a killed Redis node).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const INTERVAL = '2';

function context(config: FstoreConfig): StackContext {
  return { config, paths: new StackPaths(config.stackDir), log: () => undefined };
}

/** The real `fstore` of this checkout, with extra settings. */

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000}s`);
    await sleep(500);
  }
}

describe('the supervisor restarts a killed TaskManager', () => {
  const config = loadConfig();
  const ctx = context(config);
  let startedSupervisor = false;

  beforeAll(() => {
    // The stack's supervisor, if `stack up` of this checkout started one; else one for this test.
    process.env.FSTORE_SUPERVISOR_INTERVAL_SECONDS ??= INTERVAL;
    startedSupervisor = ensureSupervisor(ctx) !== undefined;
  });
  afterAll(async () => {
    if (startedSupervisor) await stopSupervisor(ctx);
  });

  it('brings it back with all its slots, and counts the restart', async () => {
    const jobManager = new JobManagerClient(
      config.flink.restUrl,
      { timeoutMs: 3000, retries: 0, backoffMs: 0 },
      () => flinkClientTls(config),
    );
    const overview = await jobManager.overview();
    expect(overview['slots-total']).toBeGreaterThanOrEqual(config.flink.taskSlots);
    const tmIds = async (): Promise<{ id: string; slotsNumber: number }[]> => {
      const res = await flinkRequest(config, `${config.flink.restUrl}/taskmanagers`);
      return (JSON.parse(res.body) as { taskmanagers: { id: string; slotsNumber: number }[] })
        .taskmanagers;
    };
    const before = new Set((await tmIds()).map((t) => t.id));
    const pid = runningPid(ctx.paths, 'taskmanager');
    expect(pid).toBeDefined();
    const restartsBefore = restartCounts(ctx.paths).taskmanager ?? 0;

    const t0 = Date.now();
    process.kill(pid!, 'SIGKILL');

    // Two checks confirm the death, then the restart: well within 30 s.
    const newPid = await waitFor('a new TaskManager process', 30000, async () => {
      const p = runningPid(ctx.paths, 'taskmanager');
      return p !== undefined && p !== pid ? p : undefined;
    });
    const restartedAfter = (Date.now() - t0) / 1000;
    expect(newPid).not.toBe(pid);
    // The new TaskManager registers with the JobManager with all its slots.
    const fresh = await waitFor('the new TaskManager registered', 120000, async () => {
      const tm = (await tmIds()).find((t) => !before.has(t.id));
      return tm && tm.slotsNumber >= config.flink.taskSlots ? tm : undefined;
    });
    expect(fresh.slotsNumber).toBe(config.flink.taskSlots);
    // The JobManager reports its slots again (the dead one's leave after the heartbeat timeout).
    const o = await jobManager.overview();
    expect(o['slots-total']).toBeGreaterThanOrEqual(config.flink.taskSlots);

    expect(restartCounts(ctx.paths).taskmanager).toBe(restartsBefore + 1);
    const status = fstoreWithEnv({}, 'stack', 'status', 'flink');
    expect(status.stdout).toMatch(
      new RegExp(`taskmanager\\s+${newPid}\\s+.*\\s${restartsBefore + 1}\\s*$`, 'm'),
    );
    const log = readFileSync(ctx.paths.logFile(SUPERVISOR), 'utf8');
    expect(log).toMatch(/flink: taskmanager died; restarting/);
    console.log(`TaskManager restarted ${restartedAfter.toFixed(1)}s after the kill`);
  }, 200000);
});

describe('the supervisor leaves a component stopped on purpose down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fstore-supervise-'));
  const env = {
    FSTORE_STACK_DIR: dir,
    FSTORE_SUPERVISOR_INTERVAL_SECONDS: INTERVAL,
    // A Redis node also binds its port + 10000 for the cluster bus: keep that below the kernel's
    // ephemeral range (32768+), where an outgoing connection can hold it (CI failure, 2026-12-01).
    FSTORE_REDIS_CLUSTER_PORTS: '17101,17102,17103,17104,17105,17106',
    FSTORE_REDIS_QUEUE_PORT: '26390',
    FSTORE_KAFKA_PORT: '29092',
    FSTORE_KAFKA_CONTROLLER_PORT: '29093',
    // The broker's metrics agent listens too (the shared stack's holds the default port).
    FSTORE_KAFKA_METRICS_PORT: '29404',
    FSTORE_KAFKA_HEAP: '256m',
  };
  const config = loadConfig({ ...process.env, ...env });
  const ctx = context(config);

  afterAll(() => {
    fstoreWithEnv(env, 'stack', 'down');
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not undo `stack down kafka`, and still restarts a killed Redis node', async () => {
    const up = fstoreWithEnv(env, 'stack', 'up', 'redis', 'kafka');
    expect([up.status, up.stderr]).toEqual([0, expect.stringContaining('supervisor: started')]);
    const supervisor = runningPid(ctx.paths, SUPERVISOR);
    expect(supervisor).toBeDefined();

    const down = fstoreWithEnv(env, 'stack', 'down', 'kafka');
    expect(down.status).toBe(0);
    expect(runningPid(ctx.paths, 'kafka')).toBeUndefined();
    // Still supervising Redis (a supervisor started again after the stop).
    const again = runningPid(ctx.paths, SUPERVISOR);
    expect(again).toBeDefined();

    const queue = runningPid(ctx.paths, 'redis-queue')!;
    process.kill(queue, 'SIGKILL');
    await waitFor('redis-queue restarted', 30000, async () => {
      const p = runningPid(ctx.paths, 'redis-queue');
      return p !== undefined && p !== queue ? p : undefined;
    });
    // Several more checks: Kafka stays down.
    await sleep(3 * Number(INTERVAL) * 1000);
    expect(runningPid(ctx.paths, 'kafka')).toBeUndefined();
    expect(restartCounts(ctx.paths)).toMatchObject({ 'redis-queue': 1 });
    expect(restartCounts(ctx.paths).kafka).toBeUndefined();
    const log = readFileSync(ctx.paths.logFile(SUPERVISOR), 'utf8');
    expect(log).not.toMatch(/kafka: .*restarting/);

    // `stack down` of everything stops the supervisor too.
    expect(fstoreWithEnv(env, 'stack', 'down').status).toBe(0);
    expect(runningPid(ctx.paths, SUPERVISOR)).toBeUndefined();
    expect(runningPid(ctx.paths, 'redis-queue')).toBeUndefined();
  }, 240000);
});
