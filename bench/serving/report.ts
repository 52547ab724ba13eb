import type { TracingRound } from './tracing-cost';
import { LoadResult } from './wrk';

/** An fstore run, with the CPU its processes spent per request (bench/serving/cpu.ts). */
export interface FstoreRun extends LoadResult {
  cpuMicrosPerRequest?: Record<string, number>;
}

export interface Measurements {
  fstoreSingle: FstoreRun;
  fstoreBatch: FstoreRun;
  /** The batch with the product's 2 time-window features beside the 4 plain ones. */
  fstoreBatchWindowed: FstoreRun;
  feastSingle: LoadResult;
  feastBatch: LoadResult;
  redisGet: LoadResult;
  connections: number;
  durationSeconds: number;
  feastVersion: string;
  feastWorkers: number;
  products: number;
  loadAverage: string;
}

/** The targets (issue 7). */
export const TARGETS = {
  feastRatio: 5,
  singleGetRps: 10000,
  singleGetP99Ms: 10,
};

const rps = (r: LoadResult) => r.requestsPerSecond.toFixed(0);
const ms = (x: number) => x.toFixed(2);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    '| ' +
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') +
    ' |';
  const rule =
    '|' +
    widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') +
    '|';
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The printed result: the comparison table, the Redis limit and each target with PASS/MISS. */
export function formatReport(m: Measurements): {
  text: string;
  targetsMet: boolean;
  failures: string[];
} {
  const failures = [
    m.fstoreSingle,
    m.fstoreBatch,
    m.fstoreBatchWindowed,
    m.redisGet,
    m.feastSingle,
    m.feastBatch,
  ].flatMap((r) => r.failures);
  const kinds: [string, FstoreRun, LoadResult][] = [
    ['single GET (1×4)', m.fstoreSingle, m.feastSingle],
    ['batch 100×4', m.fstoreBatch, m.feastBatch],
    // Feast has no time windows: its 100×4 is the reference the windowed batch is set beside.
    ['batch 100×(4+2 windowed)', m.fstoreBatchWindowed, m.feastBatch],
  ];
  const main = table(
    ['kind', 'fstore req/s', 'p50 ms', 'p99 ms', 'Feast req/s', 'p50 ms', 'p99 ms', 'fstore/Feast'],
    kinds.map(([kind, f, x]) => [
      kind,
      rps(f),
      ms(f.p50Ms),
      ms(f.p99Ms),
      rps(x),
      ms(x.p50Ms),
      ms(x.p99Ms),
      ratio(f.requestsPerSecond, x.requestsPerSecond),
    ]),
  );
  const redis = table(
    ['Redis Cluster limit', 'GET/s', 'p50 ms', 'p99 ms', 'fstore single GET / redis GET'],
    [
      [
        'redis-benchmark --cluster -t get',
        rps(m.redisGet),
        ms(m.redisGet.p50Ms),
        ms(m.redisGet.p99Ms),
        ratio(m.fstoreSingle.requestsPerSecond, m.redisGet.requestsPerSecond),
      ],
    ],
  );
  const cpuGroups = Object.keys(m.fstoreSingle.cpuMicrosPerRequest ?? {});
  const cpu = table(
    ['CPU µs per request', ...cpuGroups],
    kinds.map(([kind, f]) => [
      kind,
      ...cpuGroups.map((g) => (f.cpuMicrosPerRequest?.[g] ?? NaN).toFixed(0)),
    ]),
  );
  const checks: [string, boolean][] = [];
  for (const [kind, f, x] of kinds) {
    checks.push([
      `${kind}: fstore ≥ ${TARGETS.feastRatio}× Feast req/s (${ratio(f.requestsPerSecond, x.requestsPerSecond)})`,
      f.requestsPerSecond >= TARGETS.feastRatio * x.requestsPerSecond,
    ]);
    checks.push([
      `${kind}: fstore p99 < Feast p99 (${ms(f.p99Ms)} vs ${ms(x.p99Ms)} ms)`,
      f.p99Ms < x.p99Ms,
    ]);
  }
  checks.push([
    `single GET ≥ ${TARGETS.singleGetRps} req/s (${rps(m.fstoreSingle)})`,
    m.fstoreSingle.requestsPerSecond >= TARGETS.singleGetRps,
  ]);
  checks.push([
    `single GET p99 ≤ ${TARGETS.singleGetP99Ms} ms (${ms(m.fstoreSingle.p99Ms)} ms)`,
    m.fstoreSingle.p99Ms <= TARGETS.singleGetP99Ms,
  ]);
  const text = [
    `Serving benchmark: ${m.connections} connections, ${m.durationSeconds} s per run, ` +
      `${m.products} products × 4 features; fstore through nginx, Feast ${m.feastVersion} ` +
      `(feast serve, ${m.feastWorkers} workers); load average ${m.loadAverage}`,
    '',
    main,
    '',
    redis,
    '',
    ...(cpuGroups.length > 0 ? [cpu, ''] : []),
    'Targets (issue 7):',
    ...checks.map(([what, ok]) => `  ${ok ? 'PASS' : 'MISS'}  ${what}`),
    ...(failures.length > 0
      ? ['', 'FAILED REQUESTS (the figures are not valid):', ...failures.map((f) => `  ${f}`)]
      : []),
  ].join('\n');
  return { text, targetsMet: failures.length === 0 && checks.every(([, ok]) => ok), failures };
}

/** Issue 18's budget: tracing at the default sampling costs at most this share of single GETs. */
export const TRACING_MAX_COST = 0.05;

/**
 * The single-GET throughput lost to tracing at the default sampling: the median over the rounds
 * of (default ÷ off), both loaded at the same time (tracing-cost.ts); one line with the medians
 * of each setting's req/s and CPU per request, and whether it is within TRACING_MAX_COST.
 */
export function formatTracingCost(rounds: readonly TracingRound[]): {
  text: string;
  withinBudget: boolean;
} {
  if (rounds.length === 0) throw new Error('formatTracingCost: no rounds');
  const median = (xs: readonly number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  const ratios = rounds.map((p) => p.sampled.requestsPerSecond / p.off.requestsPerSecond);
  const ratio = median(ratios);
  const cost = 1 - ratio;
  const withinBudget = cost <= TRACING_MAX_COST;
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const rate = (s: 'off' | 'sampled') => median(rounds.map((p) => p[s].requestsPerSecond));
  const cpu = (s: 'off' | 'sampled') => median(rounds.map((p) => p[s].cpuMicrosPerRequest));
  return {
    withinBudget,
    text:
      `tracing: single GET, ${rounds.length} rounds: median ratio ${ratio.toFixed(3)} ` +
      `(rounds ${ratios.map((r) => r.toFixed(2)).join(', ')}), cost ${pct(cost)} ` +
      `(budget ${pct(TRACING_MAX_COST)}: ${withinBudget ? 'met' : 'MISSED'}); medians ` +
      `${rate('sampled').toFixed(0)} req/s and ${cpu('sampled').toFixed(0)} µs CPU a request at ` +
      `the default sampling, ${rate('off').toFixed(0)} req/s and ${cpu('off').toFixed(0)} µs off`,
  };
}
