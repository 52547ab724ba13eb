import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { StackComponent, StackContext } from './component';
import {
  ensureDir,
  isAlive,
  readPidRecord,
  runningPid,
  sleep,
  spawnDaemon,
  StackPaths,
  stopProcess,
} from './processes';

/**
 * The local stack's supervisor: one process per stack (`fstore stack supervise`, started by
 * `stack up`, pid file `run/supervisor.pid`, log `logs/supervisor.log`) that restarts a stack
 * process that died, as Kubernetes restarts a container: it checks the pid files every
 * FSTORE_SUPERVISOR_INTERVAL_SECONDS; a process whose pid file is still there but which is not
 * running (a zombie counts as not running) on two checks in a row is restarted by its component's
 * own `start` (the code `stack up` runs, which starts only what is missing) and `ready`, with a
 * backoff doubling from the interval up to FSTORE_SUPERVISOR_MAX_BACKOFF_SECONDS while it keeps
 * dying. A process stopped on purpose (`stack down`) has no pid file and stays down; `stack down`
 * also stops the supervisor first, and `stack up` and the supervisor never start processes at
 * the same time (the stack lock, `run/stack.lock`).
 */
export const SUPERVISOR = 'supervisor';

/** What one check saw of one process of the stack. */
export interface Observation {
  component: string;
  process: string;
  /** Its pid file exists: `stack up` started it and `stack down` has not stopped it. */
  supervised: boolean;
  running: boolean;
  /** startedAt of its pid file: a new one means someone (re)started it meanwhile. */
  startedAt?: string;
}

export interface ProcessState {
  /** Restarts by the supervisor, ever (until `stack down` of its component). */
  restarts: number;
  /** Restarts since it last ran steadily: the backoff's exponent. */
  failures: number;
  /** When a check first found it dead (ms), and the pid file record it found dead. */
  deadSince?: number;
  deadRecord?: string;
  /** No restart before this (ms): the backoff. */
  notBefore?: number;
  lastRestartAt?: number;
}

export type SupervisorState = Record<string, ProcessState>;

export interface SupervisorTiming {
  intervalMs: number;
  maxBackoffMs: number;
}

/** The wait after the n-th restart in a row (n ≥ 1) before another one: interval·2^(n-1), capped. */
export function backoffMs(failures: number, timing: SupervisorTiming): number {
  if (failures <= 0) return 0;
  return Math.min(timing.maxBackoffMs, timing.intervalMs * 2 ** Math.min(failures - 1, 30));
}

/**
 * The pure decision of one check: which components to restart, and the state after the check.
 * A process counts as dead when two checks at least an interval apart found the same pid file
 * record and no process (one check alone could race `stack down`, which removes the pid file just
 * after the process exits, or a `stack up` that is starting it).
 */
export function decide(
  observations: readonly Observation[],
  previous: SupervisorState,
  now: number,
  timing: SupervisorTiming,
): { restart: string[]; state: SupervisorState } {
  const state: SupervisorState = {};
  const restart = new Set<string>();
  for (const o of observations) {
    const before = previous[o.process];
    if (!o.supervised) {
      // Stopped on purpose: forget it (its counter starts again at the next `stack up`).
      continue;
    }
    const s: ProcessState = before ? { ...before } : { restarts: 0, failures: 0 };
    if (o.running) {
      delete s.deadSince;
      delete s.deadRecord;
      // Running steadily for as long as the longest backoff: the backoff starts over.
      if (s.lastRestartAt !== undefined && now - s.lastRestartAt >= timing.maxBackoffMs) {
        s.failures = 0;
      }
    } else if (s.deadSince === undefined || s.deadRecord !== o.startedAt) {
      s.deadSince = now;
      s.deadRecord = o.startedAt;
    } else if (now - s.deadSince >= timing.intervalMs && now >= (s.notBefore ?? 0)) {
      restart.add(o.component);
    }
    state[o.process] = s;
  }
  return { restart: [...restart], state };
}

/** The state after restarting these processes (whether or not the restart worked). */
export function afterRestart(
  state: SupervisorState,
  processes: readonly string[],
  now: number,
  timing: SupervisorTiming,
): SupervisorState {
  const next = { ...state };
  for (const p of processes) {
    const s: ProcessState = next[p] ? { ...next[p] } : { restarts: 0, failures: 0 };
    s.restarts += 1;
    s.failures += 1;
    s.lastRestartAt = now;
    s.notBefore = now + backoffMs(s.failures, timing);
    delete s.deadSince;
    delete s.deadRecord;
    next[p] = s;
  }
  return next;
}

export function supervisorTiming(ctx: StackContext): SupervisorTiming {
  const s = ctx.config.supervisor;
  return {
    intervalMs: s.intervalSeconds * 1000,
    maxBackoffMs: Math.max(s.maxBackoffSeconds, s.intervalSeconds) * 1000,
  };
}

function stateFile(paths: StackPaths): string {
  return join(paths.run, 'supervisor-state.json');
}

export function readSupervisorState(paths: StackPaths): SupervisorState {
  try {
    return JSON.parse(readFileSync(stateFile(paths), 'utf8')) as SupervisorState;
  } catch {
    return {};
  }
}

function writeSupervisorState(paths: StackPaths, state: SupervisorState): void {
  ensureDir(paths.run);
  const tmp = `${stateFile(paths)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 1));
  renameSync(tmp, stateFile(paths));
}

/** Restart counts per process, for `stack status`. */
export function restartCounts(paths: StackPaths): Record<string, number> {
  return Object.fromEntries(
    Object.entries(readSupervisorState(paths)).map(([p, s]) => [p, s.restarts]),
  );
}

/**
 * The stack lock: held by `stack up` while it starts components and by the supervisor while it
 * restarts one, so that the two never start the same process twice. A lock whose holder died is
 * taken over.
 */
export function tryLock(paths: StackPaths): boolean {
  ensureDir(paths.run);
  const file = join(paths.run, 'stack.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (holder === process.pid) return true;
      if (holder > 0 && isAlive(holder)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

export function unlock(paths: StackPaths): void {
  const file = join(paths.run, 'stack.lock');
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
  } catch {
    // Not held.
  }
}

/** Waits for the stack lock (the supervisor holds it while it restarts a component). */
export async function withStackLock<T>(
  ctx: StackContext,
  fn: () => Promise<T>,
  timeoutMs = 600000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  while (!tryLock(ctx.paths)) {
    if (Date.now() > deadline) {
      throw new Error(`the stack lock ${join(ctx.paths.run, 'stack.lock')} stayed held`);
    }
    if (!said) ctx.log('waiting for the supervisor to finish a restart');
    said = true;
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    unlock(ctx.paths);
  }
}

/** Every process of the stack as one check sees it. */
export function observe(ctx: StackContext, components: readonly StackComponent[]): Observation[] {
  return components.flatMap((c) =>
    c.processNames(ctx).map((process) => {
      const record = readPidRecord(ctx.paths, process);
      return {
        component: c.name,
        process,
        supervised: record !== undefined,
        running: record !== undefined && runningPid(ctx.paths, process) !== undefined,
        startedAt: record?.startedAt,
      };
    }),
  );
}

/** Whether any process of the stack is meant to run (has a pid file). */
export function anySupervised(ctx: StackContext, components: readonly StackComponent[]): boolean {
  return observe(ctx, components).some((o) => o.supervised);
}

/** Starts the supervisor unless it runs; returns its pid if it started it. */
export function ensureSupervisor(ctx: StackContext): number | undefined {
  if (runningPid(ctx.paths, SUPERVISOR) !== undefined) return undefined;
  return spawnDaemon(ctx.paths, {
    name: SUPERVISOR,
    command: process.execPath,
    args: [join(PROJECT_ROOT, 'bin/fstore.js'), 'stack', 'supervise'],
    // Whichever checkout started it: the stack has one supervisor.
    match: ['\0stack\0supervise'],
    // The CLI's own loop: it starts PostgreSQL as `postgres` and the rest as the service user,
    // and hands them their folders, which takes the invoker's rights (root when root runs it).
    runAs: 'invoker',
  });
}

export async function stopSupervisor(ctx: StackContext): Promise<boolean> {
  return stopProcess(ctx.paths, SUPERVISOR, 'SIGTERM', 10000);
}

/** The supervisor's loop (`fstore stack supervise`); runs until SIGTERM. */
export async function superviseLoop(
  ctx: StackContext,
  components: readonly StackComponent[],
): Promise<never> {
  const timing = supervisorTiming(ctx);
  const stop = () => {
    unlock(ctx.paths);
    ctx.log('stopping');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  ctx.log(
    `supervising ${ctx.paths.root}: checks every ${timing.intervalMs / 1000}s, backoff up to ${timing.maxBackoffMs / 1000}s`,
  );
  let state = readSupervisorState(ctx.paths);
  for (;;) {
    try {
      const observations = observe(ctx, components);
      const decision = decide(observations, state, Date.now(), timing);
      state = decision.state;
      for (const name of decision.restart) {
        if (!tryLock(ctx.paths)) break; // `stack up` is starting things: look again next time.
        try {
          const component = components.find((c) => c.name === name)!;
          const dead = observe(ctx, [component]).filter((o) => o.supervised && !o.running);
          if (dead.length === 0) continue; // Started meanwhile.
          const processes = dead.map((o) => o.process);
          const counts = processes.map((p) => `${p} #${(state[p]?.restarts ?? 0) + 1}`);
          ctx.log(`${name}: ${processes.join(', ')} died; restarting (${counts.join(', ')})`);
          state = afterRestart(state, processes, Date.now(), timing);
          writeSupervisorState(ctx.paths, state);
          const t0 = Date.now();
          try {
            await component.start(ctx);
            await component.ready(ctx);
            ctx.log(`${name}: healthy again (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
          } catch (e) {
            const wait = backoffMs(state[processes[0]].failures, timing) / 1000;
            ctx.log(`${name}: restart failed (${(e as Error).message}); next try in ≥${wait}s`);
          }
        } finally {
          unlock(ctx.paths);
        }
      }
      writeSupervisorState(ctx.paths, state);
    } catch (e) {
      ctx.log(`check failed: ${(e as Error).message}`);
    }
    await sleep(timing.intervalMs);
  }
}
