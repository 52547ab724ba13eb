import { formatTable } from '../format-table';
import { existsSync } from 'fs';
import { join } from 'path';
import { loadConfig, PROJECT_ROOT, secretsFile } from '@fstore/config';
import { ProcessStatus, StackComponent, StackContext } from './component';
import { ControlPlaneComponent } from './control-plane';
import { AirflowComponent } from './airflow';
import { FlinkComponent } from './flink';
import { LivyComponent } from './livy';
import { KafkaComponent } from './kafka';
import { PostgresComponent } from './postgres';
import { letThrough } from './let-through';
import { ensureDir, runningPid, StackError, StackPaths } from './processes';
import { RedisComponent } from './redis';
import { ensureSecrets } from './secrets';
import { NGINX_USER, serviceUser, shareWithServiceUser } from './service-user';
import { ServingComponent } from './serving';
import { SparkComponent } from './spark';
import {
  anySupervised,
  ensureSupervisor,
  restartCounts,
  stopSupervisor,
  superviseLoop,
  SUPERVISOR,
  withStackLock,
} from './supervisor';
import { MonitoringComponent } from './monitoring';
import { WriterComponent } from './writer';

/** Every component, in start order. */
export const COMPONENTS: readonly StackComponent[] = [
  // First, so that the services' first minutes are on record (Flink pushes from its start).
  new MonitoringComponent(),
  new PostgresComponent(),
  new RedisComponent(),
  new KafkaComponent(),
  new FlinkComponent(),
  new WriterComponent(),
  new ServingComponent(),
  new SparkComponent(),
  new LivyComponent(),
  new ControlPlaneComponent(),
  new AirflowComponent(),
];

/** Names `stack up` accepts besides component names. */
export const GROUPS: Record<string, readonly string[]> = {
  core: ['postgres', 'redis', 'kafka'],
  /** What the streaming features need. */
  streaming: ['kafka', 'flink'],
  /** The batch runtime: Spark (Hive metastore in PostgreSQL), Livy, Airflow. */
  batch: ['spark', 'livy', 'airflow'],
};

export function stackContext(log: (m: string) => void = () => undefined): StackContext {
  const stackDir = loadConfig().stackDir;
  ensureSecrets(stackDir);
  const config = loadConfig();
  return { config, paths: new StackPaths(config.stackDir), log };
}

/**
 * Resolves names (components or groups) to components in start order, with the components they
 * depend on unless `withDependencies` is false (stopping one component must not stop the
 * services it uses, which others may be using too).
 */
export function selectComponents(names: string[], withDependencies = true): StackComponent[] {
  const wanted = new Set<string>();
  const add = (name: string) => {
    if (wanted.has(name)) return;
    const component = COMPONENTS.find((c) => c.name === name);
    if (!component) {
      const known = [...COMPONENTS.map((c) => c.name), ...Object.keys(GROUPS)].join(', ');
      throw new StackError(`unknown component "${name}" (known: ${known})`);
    }
    if (withDependencies) component.dependsOn?.forEach(add);
    wanted.add(name);
  };
  const requested = names.length === 0 ? COMPONENTS.map((c) => c.name) : names;
  for (const name of requested) (GROUPS[name] ?? [name]).forEach(add);
  return COMPONENTS.filter((c) => wanted.has(c.name));
}

/**
 * Brings the build ahead (bin/build.js) up to date, so that the apps started next (and restarted
 * by the supervisor) load built files instead of transpiling at start. Says so only when it had
 * something to do: an up-to-date build costs a read and a hash per file.
 */
export function ensureBuilt(ctx: StackContext): void {
  // bin/ is plain CommonJS, outside the TypeScript program.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildAhead } = require(join(PROJECT_ROOT, 'bin', 'build.js')) as {
    buildAhead(): { written: number; removed: number; summary: string };
  };
  const result = buildAhead();
  if (result.written > 0 || result.removed > 0) ctx.log(result.summary);
}

/**
 * When root runs the stack: the service user exists (service-user.ts), may enter the folders on
 * the way to what its processes run and read (the checkout, the cache folder, the stack folder:
 * an ACL entry for that user alone where the mode bits keep it out), and reads secrets.env
 * (owner root, its group, 0640). A no-op for a non-root invoker.
 */
export async function prepareServiceUser(ctx: StackContext): Promise<void> {
  const user = serviceUser();
  const nginx = serviceUser(NGINX_USER);
  if (!user || !nginx) return;
  ensureDir(ctx.config.cacheDir);
  const log = (m: string) => ctx.log(`stack: ${m}`);
  await letThrough(
    user,
    [
      ctx.config.cacheDir,
      ctx.config.stackDir,
      PROJECT_ROOT,
      join(PROJECT_ROOT, 'node_modules'),
      join(PROJECT_ROOT, '.venv'),
    ],
    log,
  );
  // nginx: its own folder in the stack only.
  await letThrough(nginx, [ctx.config.stackDir], log);
  shareWithServiceUser(secretsFile(ctx.config.stackDir));
}

/**
 * Brings components up (with what they depend on), then makes sure the stack's supervisor runs.
 * It holds the stack lock meanwhile, so the supervisor does not restart what it is starting.
 */
export async function stackUp(ctx: StackContext, names: string[]): Promise<ProcessStatus[]> {
  const components = selectComponents(names);
  await withStackLock(ctx, async () => {
    ensureBuilt(ctx);
    await prepareServiceUser(ctx);
    for (const component of components) {
      const t0 = Date.now();
      await component.install(ctx);
      const started = await component.start(ctx);
      await component.ready(ctx);
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      ctx.log(
        `${component.name}: ${started ? `started ${started} process(es)` : component.processNames(ctx).length ? 'already running' : 'installed, nothing to run'}, healthy (${secs}s)`,
      );
    }
  });
  const supervisor = ensureSupervisor(ctx);
  if (supervisor !== undefined) {
    ctx.log(`supervisor: started (pid ${supervisor}, log ${ctx.paths.logFile(SUPERVISOR)})`);
  }
  return stackStatus(
    ctx,
    components.map((c) => c.name),
  );
}

/**
 * Stops components (not what they depend on). The supervisor is stopped first, so that it does
 * not "repair" an intentional stop, and started again if other processes still run.
 */
export async function stackDown(ctx: StackContext, names: string[]): Promise<void> {
  await stopSupervisor(ctx);
  for (const component of [...selectComponents(names, false)].reverse()) {
    await component.stop(ctx);
    ctx.log(`${component.name}: stopped`);
  }
  if (anySupervised(ctx, COMPONENTS)) ensureSupervisor(ctx);
  else ctx.log('supervisor: stopped');
}

/** `fstore stack supervise`: the supervisor's own process (started by `stack up`). */
export async function stackSupervise(ctx: StackContext): Promise<never> {
  return superviseLoop(ctx, COMPONENTS);
}

export async function stackStatus(
  ctx: StackContext,
  names: string[] = [],
): Promise<ProcessStatus[]> {
  const rows = (await Promise.all(selectComponents(names).map((c) => c.status(ctx)))).flat();
  const restarts = restartCounts(ctx.paths);
  for (const row of rows) row.restarts = restarts[row.process] ?? 0;
  if (names.length === 0) {
    // The whole stack: whether something restarts what dies.
    const pid = runningPid(ctx.paths, SUPERVISOR);
    rows.push({
      component: 'stack',
      process: SUPERVISOR,
      pid,
      address: ctx.paths.logFile(SUPERVISOR),
      healthy: pid !== undefined,
      detail: pid === undefined ? 'not running (`fstore stack up` starts it)' : undefined,
    });
  }
  return rows;
}

export function logFiles(ctx: StackContext, name: string): string[] {
  const component = COMPONENTS.find((c) => c.name === name);
  const processes = component ? component.processNames(ctx) : [name];
  const files = processes.map((p) => ctx.paths.logFile(p)).filter((f) => existsSync(f));
  if (files.length === 0) throw new StackError(`no log for "${name}" under ${ctx.paths.logs}`);
  return files;
}

export { formatTable };

export function formatStatusTable(rows: ProcessStatus[]): string {
  return formatTable(
    ['component', 'process', 'pid', 'address', 'health', 'restarts'],
    rows.map((r) => [
      r.component,
      r.process,
      r.pid === undefined ? '-' : String(r.pid),
      r.address,
      r.healthy ? 'healthy' : `DOWN${r.detail ? ` (${r.detail})` : ''}`,
      r.restarts === undefined ? '-' : String(r.restarts),
    ]),
  );
}
