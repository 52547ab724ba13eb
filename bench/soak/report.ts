/**
 * bench:soak's samples, the series they make, and the printed report: a row per sample, then per
 * series its first and last value, the second half's mean and drift, and the flatness verdict.
 */
import { formatTable } from '../../apps/cli/src/format-table';
import { Flatness, flatness, Point } from './flat';

export interface Sample {
  /** Seconds since the load started. */
  seconds: number;
  /** New events produced so far, and redeliveries. */
  produced: number;
  redelivered: number;
  /** Reads answered so far, and the failed ones by status ('socket' for no answer). */
  reads: number;
  readErrors: Record<string, number>;
  /** Resident memory (bytes) of each process of the stack (with its children), by pid file name. */
  rssBytes: Record<string, number>;
  /** Redis `used_memory` summed over the masters. */
  redisUsedMemory: number;
  /** Keys on the masters (DBSIZE summed). */
  redisKeys: number;
  /** Each running Flink job's latest completed checkpoint's state size (bytes), by job name. */
  checkpointBytes: Record<string, number>;
  /** Records the stack's feature writer has yet to consume (undefined: not read). */
  writerLag?: number;
}

const MIB = 1024 * 1024;

/**
 * Absolute floors of the flatness rule: a series moving less than this over the second half is
 * flat whatever its mean (a JVM's heap breathes by tens of MiB; a lag of some records is noise).
 */
export const FLOORS = {
  rss: 16 * MIB,
  redis: 8 * MIB,
  redisKeys: 1000,
  checkpoint: 1 * MIB,
  lag: 2000,
};

export interface Series {
  name: string;
  unit: 'bytes' | 'records';
  floor: number;
  points: Point[];
}

/** Every series the samples hold; a process or job missing from a sample has no point there. */
export function seriesOf(samples: readonly Sample[]): Series[] {
  const named = (
    prefix: string,
    pick: (s: Sample) => Record<string, number>,
    floor: number,
  ): Series[] => {
    const names = [...new Set(samples.flatMap((s) => Object.keys(pick(s))))].sort();
    return names.map((n) => ({
      name: `${prefix} ${n}`,
      unit: 'bytes',
      floor,
      points: samples
        .filter((s) => pick(s)[n] !== undefined)
        .map((s) => ({ t: s.seconds, v: pick(s)[n] })),
    }));
  };
  const out: Series[] = [
    ...named('rss', (s) => s.rssBytes, FLOORS.rss),
    {
      name: 'redis used_memory',
      unit: 'bytes',
      floor: FLOORS.redis,
      points: samples.map((s) => ({ t: s.seconds, v: s.redisUsedMemory })),
    },
    {
      // At a constant number of entities the key count is flat once each has had its first event.
      name: 'redis keys',
      unit: 'records',
      floor: FLOORS.redisKeys,
      points: samples.map((s) => ({ t: s.seconds, v: s.redisKeys })),
    },
    ...named('checkpoint', (s) => s.checkpointBytes, FLOORS.checkpoint),
  ];
  const lag = samples.filter((s) => s.writerLag !== undefined);
  if (lag.length > 0) {
    out.push({
      name: 'writer lag',
      unit: 'records',
      floor: FLOORS.lag,
      points: lag.map((s) => ({ t: s.seconds, v: s.writerLag! })),
    });
  }
  return out;
}

export const mib = (bytes: number): string => (bytes / MIB).toFixed(1);
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const errorsOf = (s: Sample) => sum(s.readErrors);

/** The progress line printed at each sample. */
export function progressLine(s: Sample): string {
  return (
    `${(s.seconds / 60).toFixed(1)} min: produced ${s.produced} (+${s.redelivered} redelivered), ` +
    `read ${s.reads} (${errorsOf(s)} failed), RSS ${mib(sum(s.rssBytes))} MiB over ` +
    `${Object.keys(s.rssBytes).length} processes, Redis ${mib(s.redisUsedMemory)} MiB in ` +
    `${s.redisKeys} keys, ` +
    `Flink state ${mib(sum(s.checkpointBytes))} MiB, writer lag ${s.writerLag ?? '-'}`
  );
}

/** One row per sample. */
export function formatSamples(samples: readonly Sample[]): string {
  return formatTable(
    [
      'min',
      'produced',
      'redelivered',
      'reads',
      'failed',
      'RSS MiB',
      'Redis MiB',
      'keys',
      'state MiB',
      'lag',
    ],
    samples.map((s) => [
      (s.seconds / 60).toFixed(1),
      String(s.produced),
      String(s.redelivered),
      String(s.reads),
      String(errorsOf(s)),
      mib(sum(s.rssBytes)),
      mib(s.redisUsedMemory),
      String(s.redisKeys),
      mib(sum(s.checkpointBytes)),
      s.writerLag === undefined ? '-' : String(s.writerLag),
    ]),
  );
}

export interface MemoryPerKeys {
  /** The sample it was taken at (seconds since the load started). */
  seconds: number;
  /** Keys added since the first sample (the run's own, when nothing else wrote). */
  keysAdded: number;
  /** Redis memory those keys added, per 1,000 of them, in bytes. */
  bytesPerThousandKeys: number;
}

/**
 * Redis memory per 1,000 keys of the run's entities (issue 15's figure): used_memory and DBSIZE at
 * the first sample taken `atSeconds` after the start or later (else the last), less the first
 * sample's, so what the stack held before the run does not count. Undefined when no key was added.
 */
export function memoryPerThousandKeys(
  samples: readonly Sample[],
  atSeconds = 600,
): MemoryPerKeys | undefined {
  const first = samples[0];
  const at = samples.find((s) => s.seconds >= atSeconds) ?? samples[samples.length - 1];
  if (first === undefined || at === undefined) return undefined;
  const keysAdded = at.redisKeys - first.redisKeys;
  if (keysAdded <= 0) return undefined;
  return {
    seconds: at.seconds,
    keysAdded,
    bytesPerThousandKeys: ((at.redisUsedMemory - first.redisUsedMemory) / keysAdded) * 1000,
  };
}

export const formatMemoryPerKeys = (m: MemoryPerKeys | undefined): string =>
  m === undefined
    ? 'Redis memory per 1,000 keys: no key added'
    : `Redis memory per 1,000 keys at ${(m.seconds / 60).toFixed(1)} min: ` +
      `${(m.bytesPerThousandKeys / 1024).toFixed(1)} KiB (${m.keysAdded} keys added by the run)`;

export interface Verdict {
  series: string;
  unit: Series['unit'];
  first: number;
  last: number;
  flatness: Flatness;
}

export const verdicts = (samples: readonly Sample[]): Verdict[] =>
  seriesOf(samples).map((s) => ({
    series: s.name,
    unit: s.unit,
    first: s.points[0]?.v ?? NaN,
    last: s.points[s.points.length - 1]?.v ?? NaN,
    flatness: flatness(s.points, s.floor),
  }));

/** One row per series: values in MiB (bytes) or records, and the verdict. */
export function formatVerdicts(rows: readonly Verdict[]): string {
  const fmt = (unit: Series['unit'], v: number) =>
    Number.isNaN(v) ? '-' : unit === 'bytes' ? mib(v) : v.toFixed(0);
  return formatTable(
    ['series', 'unit', 'first', 'last', '2nd-half mean', 'drift', 'allowed', 'verdict'],
    rows.map((r) => [
      r.series,
      r.unit === 'bytes' ? 'MiB' : 'records',
      fmt(r.unit, r.first),
      fmt(r.unit, r.last),
      fmt(r.unit, r.flatness.mean),
      fmt(r.unit, r.flatness.drift),
      fmt(r.unit, r.flatness.allowed),
      r.flatness.verdict,
    ]),
  );
}

/** VmRSS of /proc/<pid>/status, in bytes (undefined: none, e.g. a kernel thread or a zombie). */
export function parseVmRss(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * A consumer group's lag: per partition the log end minus the committed offset (the whole log when
 * nothing is committed yet, offset -1), summed.
 */
export function groupLag(
  ends: readonly { topic: string; partition: number; high: string; low: string }[],
  committed: readonly { topic: string; partition: number; offset: string }[],
): number {
  let lag = 0;
  for (const e of ends) {
    const c = committed.find((o) => o.topic === e.topic && o.partition === e.partition);
    const offset = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(e.low);
    lag += Math.max(0, Number(e.high) - offset);
  }
  return lag;
}
