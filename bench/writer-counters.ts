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

/** The counters in a Prometheus text exposition; a counter not there (no sample yet) is 0. */
export function parseWriterCounters(text: string): WriterCounters {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? ([^ ]+)/.exec(line);
    if (match) sums.set(match[1], (sums.get(match[1]) ?? 0) + Number(match[2]));
  }
  const counters = {} as WriterCounters;
  for (const [key, name] of Object.entries(METRICS) as [keyof WriterCounters, string][]) {
    counters[key] = sums.get(name) ?? 0;
  }
  return counters;
}

export async function readWriterCounters(metricsUrl: string): Promise<WriterCounters> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`${metricsUrl}: HTTP ${res.status}`);
  return parseWriterCounters(await res.text());
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
