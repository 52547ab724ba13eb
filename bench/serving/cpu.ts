import { execFileSync } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import { runningPid, StackPaths } from '../../apps/cli/src/stack/processes';

/** Parent pid and CPU time (user + system, clock ticks) from the text of /proc/<pid>/stat. */
export function parseProcStat(stat: string): { ppid: number; ticks: number } {
  // The command (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

function readStat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone
  }
}

/** A process and its children (nginx's workers are children of its master). */
export function withChildren(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((p) => readStat(p)?.ppid === pid);
  return [pid, ...children];
}

/** The pids of those of the stack's processes `names` that run. */
export function runningPids(paths: StackPaths, names: readonly string[]): number[] {
  return names
    .map((name) => runningPid(paths, name))
    .filter((pid): pid is number => pid !== undefined);
}

/** Busy and total CPU time of the whole machine so far (clock ticks, all cores; /proc/stat). */
export function machineTicks(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal (guest time is already in user and nice).
  const t = fields.slice(0, 8).map(Number);
  const total = t.reduce((sum, x) => sum + x, 0);
  return { busy: total - t[3] - t[4], total };
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/**
 * CPU time per request of groups of processes over one load run: where a request's cost goes
 * (feature-server instances, nginx, Redis), the figure each serving change was judged by.
 */
export class CpuMeter {
  constructor(private readonly groups: Record<string, number[]>) {}

  /** Starts counting; the returned function gives µs of CPU per request for each group. */
  start(): (requests: number) => Record<string, number> {
    const before = this.ticks();
    return (requests) => {
      const after = this.ticks();
      return Object.fromEntries(
        Object.keys(this.groups).map((group) => [
          group,
          ((after[group] - before[group]) / TICKS_PER_SECOND / requests) * 1e6,
        ]),
      );
    };
  }

  private ticks(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.groups).map(([group, pids]) => [
        group,
        pids.reduce((sum, pid) => sum + (readStat(pid)?.ticks ?? 0), 0),
      ]),
    );
  }
}

/**
 * A JVM thread's kind from its Linux name (`comm`, cut to 15 characters): the numbering of
 * threads of one kind dropped (`GC Thread#1` → `GC Thread`, `rocksdb:low3` → `rocksdb:low`), so
 * that a pool's threads add up. An operator chain's task thread keeps its name
 * (`Deduplicate[4] `, trimmed): the number in brackets is the operator's, not the thread's.
 */
export function threadKind(comm: string): string {
  return comm
    .trim()
    .replace(/(#\d+|[-_ ]?\d+)$/, '')
    .trim();
}

/** CPU ticks so far of each thread kind of a process (/proc/<pid>/task/*); none if it is gone. */
function threadKindTicks(pid: number): Map<string, number> {
  const kinds = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return kinds;
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const kind = threadKind(comm);
      kinds.set(kind, (kinds.get(kind) ?? 0) + parseProcStat(stat).ticks);
    } catch {
      // the thread ended meanwhile
    }
  }
  return kinds;
}

/**
 * Where inside processes (JVMs) the CPU went over an interval, by thread kind (threadKind): which
 * of a TaskManager's operator chains, RocksDB's flushes and compactions, GC or the JIT took it.
 * A thread that ends within the interval takes its ticks with it: its kind reads low (a kind
 * left with none is not listed). The TaskManager's threads live as long as its jobs.
 */
export class ThreadMeter {
  constructor(private readonly pids: readonly number[]) {}

  /** Starts counting; the returned function gives the cores each kind kept busy since, busiest first. */
  start(): () => [kind: string, cores: number][] {
    const before = this.ticks();
    const startedAt = Date.now();
    return () => {
      const seconds = (Date.now() - startedAt) / 1000;
      return [...this.ticks()]
        .map(([kind, ticks]): [string, number] => [
          kind,
          (ticks - (before.get(kind) ?? 0)) / TICKS_PER_SECOND / seconds,
        ])
        .filter(([, cores]) => cores > 0)
        .sort((a, b) => b[1] - a[1]);
    };
  }

  private ticks(): Map<string, number> {
    const all = new Map<string, number>();
    for (const pid of this.pids) {
      for (const [kind, ticks] of threadKindTicks(pid)) all.set(kind, (all.get(kind) ?? 0) + ticks);
    }
    return all;
  }
}
