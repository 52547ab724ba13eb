import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig } from '@fstore/config';
import { StackPaths } from './processes';
import {
  afterRestart,
  backoffMs,
  decide,
  Observation,
  SupervisorState,
  tryLock,
  unlock,
} from './supervisor';

const timing = { intervalMs: 3000, maxBackoffMs: 60000 };
const obs = (process: string, o: Partial<Observation> = {}): Observation => ({
  component: process === 'taskmanager' || process === 'jobmanager' ? 'flink' : process,
  process,
  supervised: true,
  running: true,
  startedAt: 'r1',
  ...o,
});
const dead = (process: string, startedAt = 'r1') => obs(process, { running: false, startedAt });

describe('the supervisor: which processes to restart', () => {
  it('restarts nothing while everything runs', () => {
    const { restart, state } = decide([obs('kafka'), obs('taskmanager')], {}, 0, timing);
    expect(restart).toEqual([]);
    expect(state.kafka).toEqual({ restarts: 0, failures: 0 });
  });

  it('restarts a dead process only when two checks an interval apart found it dead', () => {
    const first = decide([dead('taskmanager'), obs('jobmanager')], {}, 1000, timing);
    expect(first.restart).toEqual([]);
    // A check sooner than an interval later does not confirm it.
    expect(decide([dead('taskmanager')], first.state, 2000, timing).restart).toEqual([]);
    const second = decide([dead('taskmanager'), obs('jobmanager')], first.state, 4000, timing);
    expect(second.restart).toEqual(['flink']);
  });

  it('restarts a component once when several of its processes died', () => {
    const first = decide([dead('taskmanager'), dead('jobmanager')], {}, 0, timing);
    expect(
      decide([dead('taskmanager'), dead('jobmanager')], first.state, 3000, timing).restart,
    ).toEqual(['flink']);
  });

  it('leaves alone a process stopped on purpose (no pid file), and forgets it', () => {
    const stopped = obs('writer', { supervised: false, running: false, startedAt: undefined });
    const prev: SupervisorState = { writer: { restarts: 2, failures: 1, deadSince: 0 } };
    const { restart, state } = decide([stopped], prev, 10000, timing);
    expect(restart).toEqual([]);
    expect(state.writer).toBeUndefined();
  });

  it('does not restart what someone else restarted meanwhile (a new pid file record)', () => {
    const first = decide([dead('kafka', 'r1')], {}, 0, timing);
    const second = decide([dead('kafka', 'r2')], first.state, 3000, timing);
    expect(second.restart).toEqual([]);
    expect(decide([obs('kafka', { startedAt: 'r2' })], second.state, 6000, timing).restart).toEqual(
      [],
    );
  });

  it('a process that came back before the second check is not restarted', () => {
    const first = decide([dead('kafka')], {}, 0, timing);
    const second = decide([obs('kafka')], first.state, 3000, timing);
    expect(second.restart).toEqual([]);
    expect(second.state.kafka.deadSince).toBeUndefined();
    expect(decide([dead('kafka')], second.state, 6000, timing).restart).toEqual([]);
  });
});

describe('the supervisor: backoff and restart counter', () => {
  it('doubles the wait from the interval up to the maximum', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => backoffMs(n, timing))).toEqual([
      0, 3000, 6000, 12000, 24000, 48000, 60000, 60000,
    ]);
  });

  it('counts restarts and waits out the backoff before the next restart of a crash loop', () => {
    let state: SupervisorState = {};
    let now = 0;
    const restartsAt: number[] = [];
    // The process dies at once after every restart; checks every 3 s for 3 minutes.
    for (; now <= 180000; now += 3000) {
      const d = decide([dead('kafka', `r${restartsAt.length}`)], state, now, timing);
      state = d.state;
      if (d.restart.length) {
        restartsAt.push(now);
        state = afterRestart(state, ['kafka'], now, timing);
      }
    }
    expect(state.kafka.restarts).toBe(restartsAt.length);
    const gaps = restartsAt.slice(1).map((t, i) => t - restartsAt[i]);
    // Each gap is the backoff plus the confirming check: growing, capped.
    for (let i = 0; i < gaps.length; i++) {
      expect(gaps[i]).toBeGreaterThanOrEqual(backoffMs(i + 1, timing));
      expect(gaps[i]).toBeLessThanOrEqual(backoffMs(i + 1, timing) + 2 * timing.intervalMs);
    }
    expect(gaps[gaps.length - 1]).toBeGreaterThanOrEqual(48000);
    expect(restartsAt.length).toBeLessThan(10);
  });

  it('starts the backoff over once the process ran steadily, keeping the counter', () => {
    let state = afterRestart({}, ['kafka'], 0, timing);
    state = afterRestart(state, ['kafka'], 10000, timing);
    expect(state.kafka).toMatchObject({ restarts: 2, failures: 2 });
    state = decide([obs('kafka')], state, 30000, timing).state;
    expect(state.kafka.failures).toBe(2);
    state = decide([obs('kafka')], state, 70000, timing).state;
    expect(state.kafka).toMatchObject({ restarts: 2, failures: 0 });
  });
});

describe('the stack lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fstore-supervisor-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const paths = new StackPaths(loadConfig({ FSTORE_STACK_DIR: dir }).stackDir);

  it('is held by one process at a time; a dead holder’s lock is taken over', () => {
    expect(tryLock(paths)).toBe(true);
    unlock(paths);
    // Held by a live process (our parent): not ours.
    writeFileSync(join(paths.run, 'stack.lock'), String(process.ppid));
    expect(tryLock(paths)).toBe(false);
    // Held by a process that is gone.
    writeFileSync(join(paths.run, 'stack.lock'), '2147483646');
    expect(tryLock(paths)).toBe(true);
    unlock(paths);
  });
});
