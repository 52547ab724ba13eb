/**
 * The arithmetic and the printed report of bench:freshness (issue 14): per variant (the generated
 * statement-set job, the four hand-written jobs) and rate, the delay produce → visible in Redis,
 * the TaskManager's CPU per 1,000 events, the highest rate with p99 ≤ 1 s, and the ratios
 * generated / hand-written.
 */

import type { StageReport } from './stages';
import {
  formatBatchTimes,
  type LoopDelay,
  type WriterBatchTimes,
  type WriterCounters,
} from '../writer-counters';

/** p99 at or under this counts as sustained (issue 6's target). */
export const LIMIT_MS = 1000;

/** Issue 21's freshness target: p99 at or under `p99Ms` at `rate` events/s. */
export const TARGET = { rate: 5000, p99Ms: 250 };

export type Variant = 'generated' | 'generated-seed' | 'handwritten';

export const VARIANTS: readonly Variant[] = ['handwritten', 'generated-seed', 'generated'];

export const VARIANT_LABEL: Record<Variant, string> = {
  generated: 'generated (1 job, statement set, every stream feature)',
  'generated-seed': 'generated, the 4 seed features only (1 job, statement set)',
  handwritten: 'hand-written (4 jobs, the 4 seed features)',
};

/**
 * The generated variant that the hand-written jobs are compared with: the one computing the same
 * four features when it ran (like for like), else the one computing every stream feature.
 */
export function comparedGenerated<T extends { variant: Variant }>(
  variants: readonly T[],
): T | undefined {
  return (
    variants.find((v) => v.variant === 'generated-seed') ??
    variants.find((v) => v.variant === 'generated')
  );
}

/** The value at percentile p of ascending values (nearest rank, as bench/freshness always had). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * CPU per 1,000 events in milliseconds, from CPU microseconds over the interval: µs per event is
 * ms per 1,000 events. With an idle rate (µs of CPU per second with the jobs running and no
 * input), also the net figure: what the events cost above idling for as long.
 */
export function cpuPerThousand(
  cpuMicros: number,
  events: number,
  seconds: number,
  idleMicrosPerSecond?: number,
): { grossMs: number; netMs?: number } {
  if (events <= 0)
    return { grossMs: NaN, netMs: idleMicrosPerSecond === undefined ? undefined : NaN };
  const grossMs = cpuMicros / events;
  if (idleMicrosPerSecond === undefined) return { grossMs };
  return { grossMs, netMs: Math.max(0, cpuMicros - idleMicrosPerSecond * seconds) / events };
}

export interface RateResult {
  rate: number;
  /** Which pass over the rates it was (1 … --rounds). */
  round: number;
  produced: number;
  achievedRate: number;
  sampled: number;
  seen: number;
  p50: number;
  p99: number;
  max: number;
  /**
   * The same sampled events seen in a time-window feature (`purchases_1h`, its tile in Redis):
   * generated jobs only (the hand-written ones have no windows).
   */
  window?: { seen: number; p50: number; p99: number };
  /** From the first event produced until the last sampled one was seen (or given up on). */
  seconds: number;
  /** TaskManager JVM CPU over those seconds, per 1,000 events produced. */
  tmCpuMsPer1000: number;
  /** The same less the TaskManager's idle CPU for as long. */
  tmNetCpuMsPer1000?: number;
  /** The bench's feature writer process, per 1,000 events. */
  writerCpuMsPer1000: number;
  /** Flink jobs RUNNING during the measurement that are not this variant's (noise). */
  otherJobs: number;
  /**
   * Where the machine's CPU went over the measurement, in cores: `machine` (all of it, from
   * /proc/stat) and each process group of the stack and the bench.
   */
  cores?: CoresBusy;
  /** Where the sampled events' delay went (bench/freshness/stages.ts). */
  stages?: StageReport;
  /** What the feature writer did over the measurement (bench/writer-counters.ts). */
  writerCounters?: WriterCounters;
  /** Its batches: waiting to be fetched, and applying (bench/writer-counters.ts). */
  writerBatches?: WriterBatchTimes;
  /**
   * How late the bench's own event loop ran: its watch of Redis and its reader of append times
   * run on it, so a late loop would be counted in the writer's stage.
   */
  benchLoopDelay?: LoopDelay;
  /** The TaskManagers' busiest thread kinds and the cores each kept busy (bench/serving/cpu.ts). */
  taskManagerThreads?: [kind: string, cores: number][];
}

export interface CoresBusy {
  machine: number;
  /** How many cores the machine has. */
  of: number;
  groups: Record<string, number>;
}

/** `1.93 of 2 (taskmanager 0.71, writer 0.37, …)`; `—` when not measured. */
export function formatCores(c: CoresBusy | undefined): string {
  if (!c) return '—';
  const groups = Object.entries(c.groups)
    .map(([group, cores]) => `${group} ${cores.toFixed(2)}`)
    .join(', ');
  return `${c.machine.toFixed(2)} of ${c.of} (${groups})`;
}

/** `producer 3/9, flink 150/420, writer 40/90`: p50/p99 ms per stage; `—` when no sample was
 * seen at every stage. */
export function formatStages(s: RateResult['stages']): string {
  if (!s || s.complete === 0) return '—';
  return Object.entries(s.stages)
    .map(([stage, { p50, p99 }]) => `${stage} ${num(p50)}/${num(p99)}`)
    .join(', ');
}

/** `Deduplicate[4] 0.31, rocksdb:low 0.05`: thread kinds and their cores; `—` when none. */
export function formatThreads(threads: RateResult['taskManagerThreads']): string {
  if (!threads || threads.length === 0) return '—';
  return threads.map(([kind, cores]) => `${kind} ${cores.toFixed(2)}`).join(', ');
}

/** All sampled events seen and p99 ≤ `limitMs`. */
const within = (r: RateResult, limitMs: number) => r.seen === r.sampled && r.p99 <= limitMs;

/** All sampled events seen and p99 ≤ 1 s. */
export const sustained = (r: RateResult) => within(r, LIMIT_MS);

/** What holds in `count` of `rounds` rounds holds for the rate: more than half of them. */
const inMostRounds = (count: number, rounds: number) => count * 2 > rounds;

/** A rate's rounds (--rounds): the medians and the spread of their figures. */
export interface RateRounds {
  rate: number;
  rounds: number;
  p50Median: number;
  p99Median: number;
  p99Min: number;
  p99Max: number;
  /** Rounds with every sampled event seen and p99 ≤ 1 s. */
  sustainedRounds: number;
  /** Rounds with every sampled event seen and p99 ≤ TARGET.p99Ms. */
  withinTarget: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Each rate's rounds, in the order the rates were first measured. Why rounds: on this machine a
 * rate's p99 moved by 2× between runs minutes apart (docs/benchmarks.md), more than most changes
 * measured; the median of several rounds says more than any one of them.
 */
export function rateRounds(results: readonly RateResult[]): RateRounds[] {
  const byRate = new Map<number, RateResult[]>();
  for (const r of results) {
    const rs = byRate.get(r.rate);
    if (rs) rs.push(r);
    else byRate.set(r.rate, [r]);
  }
  return [...byRate].map(([rate, rs]) => ({
    rate,
    rounds: rs.length,
    p50Median: median(rs.map((r) => r.p50)),
    p99Median: median(rs.map((r) => r.p99)),
    p99Min: Math.min(...rs.map((r) => r.p99)),
    p99Max: Math.max(...rs.map((r) => r.p99)),
    sustainedRounds: rs.filter(sustained).length,
    withinTarget: rs.filter((r) => within(r, TARGET.p99Ms)).length,
  }));
}

/**
 * The highest rate sustained in more than half of its rounds (with one round: in it); undefined:
 * none of the rates tried.
 */
export function highestSustained(results: readonly RateResult[]): number | undefined {
  const rates = rateRounds(results)
    .filter((r) => inMostRounds(r.sustainedRounds, r.rounds))
    .map((r) => r.rate);
  return rates.length > 0 ? Math.max(...rates) : undefined;
}

export interface VariantResult {
  variant: Variant;
  jobs: number;
  /** TaskManager CPU with the jobs running and no input, µs per second. */
  idleMicrosPerSecond: number;
  rates: RateResult[];
}

/** CPU per 1,000 events over all rates that were sustained by both variants (same rates). */
function meanCpu(v: VariantResult, rates: Set<number>, net: boolean): number {
  const rs = v.rates.filter((r) => rates.has(r.rate));
  if (rs.length === 0) return NaN;
  const events = rs.reduce((s, r) => s + r.produced, 0);
  const cpu = rs.reduce(
    (s, r) => s + (net ? (r.tmNetCpuMsPer1000 ?? NaN) : r.tmCpuMsPer1000) * r.produced,
    0,
  );
  return cpu / events;
}

export interface Comparison {
  /** generated / hand-written TaskManager CPU per event, over the rates both sustained. */
  cpuRatio: number;
  netCpuRatio: number;
  /** generated / hand-written highest sustained rate (NaN when either sustained none). */
  sustainedRatio: number;
  /** Either variant sustained the highest rate tried: its figure is only a lower bound. */
  atCeiling: boolean;
  /** The rates the CPU figures are averaged over (event-weighted). */
  comparedRates: number[];
  /** The issue's requirement: the shared source costs less CPU per event. */
  sharedSourceCheaper: boolean;
}

export function compare(generated: VariantResult, handwritten: VariantResult): Comparison {
  const both = generated.rates
    .filter(sustained)
    .map((r) => r.rate)
    .filter((rate) => handwritten.rates.some((h) => h.rate === rate && sustained(h)));
  // No rate sustained by both: compare over the rates both ran (CPU per event still means something).
  const rates = new Set(
    both.length > 0
      ? both
      : generated.rates
          .map((r) => r.rate)
          .filter((x) => handwritten.rates.some((h) => h.rate === x)),
  );
  const cpuRatio = meanCpu(generated, rates, false) / meanCpu(handwritten, rates, false);
  const netCpuRatio = meanCpu(generated, rates, true) / meanCpu(handwritten, rates, true);
  const g = highestSustained(generated.rates);
  const h = highestSustained(handwritten.rates);
  return {
    cpuRatio,
    netCpuRatio,
    sustainedRatio: g && h ? g / h : NaN,
    atCeiling: [g, h].some(
      (rate, i) =>
        rate !== undefined &&
        rate === Math.max(...[generated, handwritten][i].rates.map((x) => x.rate)),
    ),
    comparedRates: [...rates].sort((a, b) => a - b),
    sharedSourceCheaper: cpuRatio < 1,
  };
}

const num = (x: number | undefined, digits = 0) =>
  x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** The printed result: a table per variant, each one's sustained rate, and the comparison. */
export function formatReport(
  variants: readonly VariantResult[],
  seconds: number,
  loadAverage: string,
): string {
  const out: string[] = [];
  for (const v of variants) {
    const rounds = Math.max(1, ...v.rates.map((r) => r.round));
    const byRound = rounds > 1;
    out.push(
      `\n${VARIANT_LABEL[v.variant]}, ${seconds} s per rate` +
        (byRound ? `, ${rounds} rounds` : '') +
        `; TaskManager idle ${num(v.idleMicrosPerSecond / 1000, 1)} ms CPU/s`,
    );
    out.push(
      table(
        [
          ...(byRound ? ['round'] : []),
          'rate/s',
          'achieved/s',
          'seen/sampled',
          'p50 ms',
          'p99 ms',
          'max ms',
          'p99 ≤ 1 s',
          'window p50/p99 ms',
          'TM CPU ms/1k ev',
          'net of idle',
          'writer ms/1k ev',
          'p50/p99 ms by stage',
          'writer batches, p50/p99 ms',
          'cores busy',
          'other jobs',
        ],
        v.rates.map((r) => [
          ...(byRound ? [String(r.round)] : []),
          String(r.rate),
          num(r.achievedRate),
          `${r.seen}/${r.sampled}`,
          num(r.p50),
          num(r.p99),
          num(r.max),
          sustained(r) ? 'yes' : 'no',
          r.window ? `${num(r.window.p50)}/${num(r.window.p99)}` : '—',
          num(r.tmCpuMsPer1000, 1),
          num(r.tmNetCpuMsPer1000, 1),
          num(r.writerCpuMsPer1000, 1),
          formatStages(r.stages),
          formatBatchTimes(r.writerBatches),
          r.cores ? `${num(r.cores.machine, 2)}/${r.cores.of}` : '—',
          String(r.otherJobs),
        ]),
      ),
    );
    const summaries = rateRounds(v.rates);
    if (byRound) {
      out.push(
        table(
          [
            'rate/s',
            'rounds',
            'p50 ms, median',
            'p99 ms, median (range)',
            'p99 ≤ 1 s',
            `p99 ≤ ${TARGET.p99Ms} ms`,
          ],
          summaries.map((r) => [
            String(r.rate),
            String(r.rounds),
            num(r.p50Median),
            `${num(r.p99Median)} (${num(r.p99Min)}-${num(r.p99Max)})`,
            `${r.sustainedRounds}/${r.rounds}`,
            `${r.withinTarget}/${r.rounds}`,
          ]),
        ),
      );
    }
    const best = highestSustained(v.rates);
    out.push(
      `highest rate with p99 ≤ 1 s${byRound ? ' in most rounds' : ''}: ` +
        (best ? `${best} events/s` : 'none of the rates tried'),
    );
    const target = summaries.find((r) => r.rate === TARGET.rate);
    if (v.variant === 'generated' && target) {
      out.push(
        `issue 21: p99 ≤ ${TARGET.p99Ms} ms at ${TARGET.rate} events/s: ` +
          `${inMostRounds(target.withinTarget, target.rounds) ? 'MET' : 'MISSED'} ` +
          `(${byRound ? `median of ${target.rounds} rounds ` : ''}${num(target.p99Median)} ms)`,
      );
    }
  }
  const g = comparedGenerated(variants);
  const h = variants.find((v) => v.variant === 'handwritten');
  if (g && h) {
    const c = compare(g, h);
    out.push(
      `\n${g.variant} / hand-written, TaskManager CPU per event (rates ${c.comparedRates.join(', ')}): ` +
        `${num(c.cpuRatio, 2)}× (net of idle ${num(c.netCpuRatio, 2)}×) — shared source ` +
        `${c.sharedSourceCheaper ? 'cheaper: PASS' : 'not cheaper: MISS'}`,
    );
    out.push(
      `${g.variant} / hand-written, highest sustained rate: ${num(c.sustainedRatio, 2)}×` +
        (c.atCeiling ? ' (a variant sustained the highest rate tried: try higher --rates)' : ''),
    );
  }
  out.push(`load average at the end: ${loadAverage}`);
  return out.join('\n');
}
