import type { IntervalHistogram } from 'perf_hooks';

/**
 * What a benchmark's feature writer did over a run (bench:freshness per rate, bench:writer), from
 * its Prometheus counters (its /metrics, each summed over its labels): records consumed, values
 * written, updates skipped as older, records dead-lettered. The rest of the records in were folded
 * into a later record of the same key in their batch (the writer applies only the last). Per
 * event, these say how much writing an event causes and how much of it the writer saves.
 */
export interface WriterCounters {
  recordsIn: number;
  written: number;
  skippedOlder: number;
  deadLettered: number;
}

const METRICS: Record<keyof WriterCounters, string> = {
  recordsIn: 'fstore_writer_records_in_total',
  written: 'fstore_writer_written_total',
  skippedOlder: 'fstore_writer_skipped_older_total',
  deadLettered: 'fstore_writer_dead_lettered_total',
};

/** The samples of a Prometheus text exposition: name, labels as written (no braces), value. */
function* samples(text: string): Generator<{ name: string; labels: string; value: number }> {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? ([^ ]+)/.exec(line);
    if (match) yield { name: match[1], labels: match[2] ?? '', value: Number(match[3]) };
  }
}

/** The counters in a Prometheus text exposition; a counter not there (no sample yet) is 0. */
export function parseWriterCounters(text: string): WriterCounters {
  const sums = new Map<string, number>();
  for (const { name, value } of samples(text)) sums.set(name, (sums.get(name) ?? 0) + value);
  const counters = {} as WriterCounters;
  for (const [key, name] of Object.entries(METRICS) as [keyof WriterCounters, string][]) {
    counters[key] = sums.get(name) ?? 0;
  }
  return counters;
}

/** The writer's Prometheus text exposition. */
async function scrape(metricsUrl: string): Promise<string> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`${metricsUrl}: HTTP ${res.status}`);
  return res.text();
}

export async function readWriterCounters(metricsUrl: string): Promise<WriterCounters> {
  return parseWriterCounters(await scrape(metricsUrl));
}

/**
 * One reading of the writer's /metrics: its counters, its batch histograms, and how late its event
 * loop ran since the reading before.
 */
export async function readWriterMetrics(metricsUrl: string): Promise<{
  counters: WriterCounters;
  batches: BatchHistograms;
  loopDelay: LoopDelay | undefined;
}> {
  const text = await scrape(metricsUrl);
  return {
    counters: parseWriterCounters(text),
    batches: parseBatchHistograms(text),
    loopDelay: parseLoopDelay(text),
  };
}

/**
 * How late an event loop ran (ms), p99 and max, over a round. While the writer's loop is late,
 * Redis's replies, the next fetch and the offset commits wait: for its own work (decoding a
 * fetch, building a group's writes, GC) or for a core.
 */
export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
}

/** What an enabled `monitorEventLoopDelay` histogram saw since it was reset (nanoseconds → ms). */
export function loopDelayOf(h: IntervalHistogram): LoopDelay {
  return { p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 };
}

/** `31/40` (p99/max, ms); `—` when not measured. */
export function formatLoopDelay(d: LoopDelay | undefined): string {
  return d ? `${Math.round(d.p99Ms)}/${Math.round(d.maxMs)}` : '—';
}

/**
 * From prom-client's default gauges (`nodejs_eventloop_lag_p99_seconds`, `…_max_seconds`): since
 * the previous scrape, as prom-client resets its `monitorEventLoopDelay` histogram at each
 * collect. Undefined when the exposition has none.
 */
export function parseLoopDelay(text: string): LoopDelay | undefined {
  const gauge = new Map<string, number>();
  for (const { name, value } of samples(text)) gauge.set(name, value);
  const p99 = gauge.get('nodejs_eventloop_lag_p99_seconds');
  const max = gauge.get('nodejs_eventloop_lag_max_seconds');
  if (p99 === undefined || max === undefined) return undefined;
  return { p99Ms: p99 * 1000, maxMs: max * 1000 };
}

export function countersBetween(before: WriterCounters, after: WriterCounters): WriterCounters {
  const delta = {} as WriterCounters;
  for (const key of Object.keys(METRICS) as (keyof WriterCounters)[]) {
    delta[key] = after[key] - before[key];
  }
  return delta;
}

/** `per event: 6.41 records in, 4.90 written, 0.12 skipped as older, 1.39 folded…, 0 dead-lettered` */
export function formatWriterCounters(c: WriterCounters, units: number, unit = 'event'): string {
  if (units <= 0) return `no ${unit}s`;
  const per = (n: number) => (n / units).toFixed(2);
  const folded = c.recordsIn - c.written - c.skippedOlder - c.deadLettered;
  return (
    `per ${unit}: ${per(c.recordsIn)} records in, ${per(c.written)} written, ` +
    `${per(c.skippedOlder)} skipped as older, ${per(folded)} folded into a later record, ` +
    `${per(c.deadLettered)} dead-lettered`
  );
}

/** A Prometheus histogram: cumulative counts by upper bound (`le`), ascending, `+Inf` last. */
export interface Buckets {
  le: number[];
  counts: number[];
}

/** The histogram `name` in a Prometheus text exposition, summed over its other labels. */
export function parseHistogram(text: string, name: string): Buckets {
  const byBound = new Map<number, number>();
  for (const sample of samples(text)) {
    const le = sample.name === `${name}_bucket` && /(?:^|,)le="([^"]+)"/.exec(sample.labels);
    if (!le) continue;
    const bound = le[1] === '+Inf' ? Infinity : Number(le[1]);
    byBound.set(bound, (byBound.get(bound) ?? 0) + sample.value);
  }
  const le = [...byBound.keys()].sort((a, b) => a - b);
  return { le, counts: le.map((bound) => byBound.get(bound)!) };
}

/** What was observed between two readings of the same histogram. */
export function bucketsBetween(before: Buckets, after: Buckets): Buckets {
  return {
    le: after.le,
    counts: after.counts.map((n, i) => n - (before.counts[before.le.indexOf(after.le[i])] ?? 0)),
  };
}

/**
 * The q-quantile of a histogram as Prometheus's `histogram_quantile` estimates it: linear within
 * the bucket it falls in (from 0 for the first); in the `+Inf` bucket, the highest finite bound.
 * Undefined when nothing was observed.
 */
export function bucketQuantile(b: Buckets, q: number): number | undefined {
  const total = b.counts[b.counts.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  const i = b.counts.findIndex((n) => n >= rank);
  if (b.le[i] === Infinity) return b.le[i - 1] ?? 0;
  const lower = i === 0 ? 0 : b.le[i - 1];
  const below = i === 0 ? 0 : b.counts[i - 1];
  const inBucket = b.counts[i] - below;
  return lower + (b.le[i] - lower) * (inBucket > 0 ? (rank - below) / inBucket : 1);
}

/**
 * The writer's batches over a run: how long each one's oldest record waited in its partition
 * before the writer took the batch (`fstore_writer_batch_wait_seconds`), and how long applying it
 * took until Redis and the replicas held it (`fstore_writer_batch_seconds`); p50/p99 in ms,
 * estimated from the histograms' buckets. Together they split the writer's stage of
 * bench:freshness into waiting to be fetched and applying.
 */
export interface WriterBatchTimes {
  batches: number;
  waitedMs: { p50?: number; p99?: number };
  applyingMs: { p50?: number; p99?: number };
  /** The writer's event loop over the same time (readWriterMetrics), when read. */
  loopDelay?: LoopDelay;
}

const BATCH_WAIT = 'fstore_writer_batch_wait_seconds';
const BATCH_APPLY = 'fstore_writer_batch_seconds';

export type BatchHistograms = Record<typeof BATCH_WAIT | typeof BATCH_APPLY, Buckets>;

export function parseBatchHistograms(text: string): BatchHistograms {
  return {
    [BATCH_WAIT]: parseHistogram(text, BATCH_WAIT),
    [BATCH_APPLY]: parseHistogram(text, BATCH_APPLY),
  };
}

export function batchTimesBetween(
  before: BatchHistograms,
  after: BatchHistograms,
): WriterBatchTimes {
  const ms = (b: Buckets) => {
    const at = (q: number) => {
      const seconds = bucketQuantile(b, q);
      return seconds === undefined ? undefined : seconds * 1000;
    };
    return { p50: at(0.5), p99: at(0.99) };
  };
  const waited = bucketsBetween(before[BATCH_WAIT], after[BATCH_WAIT]);
  const applying = bucketsBetween(before[BATCH_APPLY], after[BATCH_APPLY]);
  return {
    batches: applying.counts[applying.counts.length - 1] ?? 0,
    waitedMs: ms(waited),
    applyingMs: ms(applying),
  };
}

/**
 * `412 writer batches: waited 12/180, applying 9/95 ms` (p50/p99), then `, loop late 31/40 ms`
 * (p99/max) when the event loop's delay was read; `—` when not measured.
 */
export function formatBatchTimes(t: WriterBatchTimes | undefined): string {
  if (!t) return '—';
  if (t.batches === 0) return 'no writer batches';
  const pair = (p: { p50?: number; p99?: number }) =>
    `${p.p50 === undefined ? '—' : Math.round(p.p50)}/${p.p99 === undefined ? '—' : Math.round(p.p99)}`;
  const loop = t.loopDelay ? `, loop late ${formatLoopDelay(t.loopDelay)} ms` : '';
  return `${t.batches} writer batches: waited ${pair(t.waitedMs)}, applying ${pair(t.applyingMs)} ms${loop}`;
}
