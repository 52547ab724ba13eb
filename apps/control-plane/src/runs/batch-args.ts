import { closeSync, openSync, readSync, realpathSync, statSync } from 'fs';
import { isAbsolute, join, normalize, posix, sep } from 'path';
import { FstoreConfig } from '@fstore/config';
import { REGISTRY, TOPICS } from '@fstore/contracts';
import type { Registry } from '@fstore/definitions';

/**
 * The arguments an API caller may pass to each batch job: the one declaration the control plane
 * checks every run against (at the request, and again before the run reaches Livy). Connection
 * targets and credentials are never among them: the control plane adds the targets from its own
 * configuration (`fromConfig`), and credentials reach the jobs through the batch runtime's
 * environment (Livy's), never through arguments.
 */
export type ArgType =
  | { kind: 'iso-time' }
  | { kind: 'table' }
  | { kind: 'topic' }
  | { kind: 'word' }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'choice'; values: readonly string[] }
  | { kind: 'flag' }
  | { kind: 'landing-file' }
  /** Comma-separated names of features of the registry. */
  | { kind: 'features' }
  /** The name of an entity of the registry. */
  | { kind: 'entity' }
  /** A column name (an identifier). */
  | { kind: 'column' }
  /** A lowercase name, a-z 0-9 _ (a table or database name). */
  | { kind: 'name' };

export interface OptionSpec {
  type: ArgType;
  /** May be given more than once (e.g. --as-of T1 --as-of T2). */
  repeat?: boolean;
}

export interface BatchJobArgs {
  /** `--name` → its type. */
  options: Readonly<Record<string, OptionSpec>>;
  /** Positional arguments, all of one type, at most `max`. */
  positional?: { type: ArgType; max: number };
  /** Options a caller may not pass, and why (the control plane or the runtime provides them). */
  refused?: Readonly<Record<string, string>>;
  /** What the control plane appends from its configuration to every run of the job. */
  fromConfig?: (config: FstoreConfig) => string[];
  /**
   * Checks of the arguments together (after each one's own), e.g. that one is given, or that an
   * input file has the columns the others need; throws RunArgumentError naming the argument.
   */
  check?: (args: ReadonlyMap<string, string>, ctx: ArgContext) => void;
}

const TARGETS = 'connection targets come from configuration only (the control plane adds them)';
const CREDENTIALS = "credentials come from the batch runtime's environment only";
const table: OptionSpec = { type: { kind: 'table' } };

/** Keyed by the job's source, as registered (spark-jobs/…). */
export const BATCH_JOB_ARGS: Readonly<Record<string, BatchJobArgs>> = {
  'spark-jobs/batch_features.py': {
    options: {
      '--as-of': { type: { kind: 'iso-time' }, repeat: true },
      '--table': table,
      '--history-table': table,
      '--online': { type: { kind: 'choice', values: ['auto', 'always', 'never'] } },
      '--dedupe': { type: { kind: 'flag' } },
      '--write-partitions': { type: { kind: 'int', min: 1, max: 64 } },
      '--log-level': {
        type: { kind: 'choice', values: ['ERROR', 'WARN', 'INFO', 'DEBUG'] },
      },
    },
    refused: {
      '--redis-nodes': TARGETS,
      '--redis-user': CREDENTIALS,
      '--redis-password-file': CREDENTIALS,
    },
    fromConfig: (c) => [
      '--redis-nodes',
      c.redis.clusterPorts.map((p) => `${c.redis.host}:${p}`).join(','),
    ],
  },
  'spark-jobs/load_raw_events.py': {
    options: {
      '--input': { type: { kind: 'landing-file' } },
      '--format': { type: { kind: 'choice', values: ['csv', 'ndjson'] } },
      '--table': table,
      '--rejects-table': table,
      '--source-name': { type: { kind: 'word' } },
    },
  },
  'spark-jobs/ingest_kafka_to_lake.py': {
    options: {
      '--topic': { type: { kind: 'topic' } },
      '--table': table,
      '--rejects-table': table,
      '--offsets-table': table,
      '--max-per-partition': { type: { kind: 'int', min: 1, max: 100_000_000 } },
      '--allow-data-loss': { type: { kind: 'flag' } },
    },
    refused: {
      '--brokers': TARGETS,
      '--kafka-option': 'Kafka client options come from configuration only',
      '--every': 'a run is one bounded batch (schedule runs instead)',
      '--max-runs': 'a run is one bounded batch (schedule runs instead)',
    },
    fromConfig: (c) => ['--brokers', c.kafka.brokers.join(',')],
  },
  'spark-jobs/training_set.py': {
    options: {
      '--entities': { type: { kind: 'landing-file' } },
      '--entities-table': table,
      '--format': { type: { kind: 'choice', values: ['csv', 'parquet'] } },
      '--features': { type: { kind: 'features' } },
      '--entity': { type: { kind: 'entity' } },
      '--timestamp-column': { type: { kind: 'column' } },
      '--out': { type: { kind: 'name' } },
      '--out-database': { type: { kind: 'name' } },
      '--table': table,
      '--history-table': table,
      '--log-level': {
        type: { kind: 'choice', values: ['ERROR', 'WARN', 'INFO', 'DEBUG'] },
      },
    },
    refused: { '--definitions': 'the control plane passes its own definitions' },
    check: checkTrainingSetArgs,
  },
  'spark-jobs/consistency.py': {
    options: {
      '--since': { type: { kind: 'iso-time' } },
      '--until': { type: { kind: 'iso-time' } },
      '--features': { type: { kind: 'features' } },
      '--table': table,
      '--history-table': table,
      '--log-level': {
        type: { kind: 'choice', values: ['ERROR', 'WARN', 'INFO', 'DEBUG'] },
      },
    },
    refused: {
      '--definitions': 'the control plane passes its own definitions',
      '--topic': 'the serving log is the topic of libs/contracts (the control plane adds it)',
      '--brokers': TARGETS,
    },
    fromConfig: (c) => ['--brokers', c.kafka.brokers.join(','), '--topic', TOPICS.servingLog],
    check: checkConsistencyArgs,
  },
  // Fixtures of the control plane's medium tests (spark-jobs/tests/jobs/).
  'spark-jobs/tests/jobs/sleep_job.py': {
    options: {},
    positional: { type: { kind: 'int', min: 0, max: 600 }, max: 1 },
  },
  'spark-jobs/tests/jobs/as_of_job.py': {
    options: {
      '--as-of': { type: { kind: 'iso-time' } },
      '--fail-on': { type: { kind: 'iso-time' } },
    },
  },
  'spark-jobs/tests/jobs/fail_job.py': {
    options: { '--as-of': { type: { kind: 'iso-time' } } },
    positional: { type: { kind: 'word' }, max: 5 },
  },
};

/** The declaration of a job source, or undefined: a job without one cannot be registered. */
export function batchJobArgs(source: string): BatchJobArgs | undefined {
  const key = posix.normalize(source.split(sep).join('/'));
  return Object.prototype.hasOwnProperty.call(BATCH_JOB_ARGS, key)
    ? BATCH_JOB_ARGS[key]
    : undefined;
}

/** An argument refused: `index` is its place in the caller's list. */
export class RunArgumentError extends Error {
  constructor(
    readonly index: number,
    readonly arg: string,
    readonly reason: string,
  ) {
    super(`${arg}: ${reason}`);
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,127}(\.[A-Za-z_][A-Za-z0-9_]{0,127})?$/;
// No leading '-': a value must never read as an option to the job's argument parser.
const TOPIC = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,248}$/;
const WORD = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,127}$/;

export interface ArgContext {
  /** The folder whose files a run may read (FSTORE_CONTROL_LANDING_DIR). */
  landingDir: string;
  /** The definitions names are checked against (default: features/ as the control plane runs). */
  registry?: Registry;
}

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** The value as the job receives it; throws an Error saying why not. */
function checkValue(type: ArgType, value: string, ctx: ArgContext): string {
  switch (type.kind) {
    case 'iso-time':
      if (!ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
        throw new Error('must be an ISO-8601 time (e.g. 2026-01-31T00:00:00Z)');
      }
      return value;
    case 'table':
      if (!TABLE.test(value)) throw new Error('must be a table name, database.table');
      return value;
    case 'topic':
      if (!TOPIC.test(value) || value === '.' || value === '..') {
        throw new Error('must be a Kafka topic name: 1–249 of A-Z a-z 0-9 . _ - (not first)');
      }
      return value;
    case 'word':
      if (!WORD.test(value)) throw new Error('must be 1–128 of A-Z a-z 0-9 . _ - (not first)');
      return value;
    case 'int': {
      if (!/^\d+$/.test(value) || Number(value) < type.min || Number(value) > type.max) {
        throw new Error(`must be an integer from ${type.min} to ${type.max}`);
      }
      return String(Number(value));
    }
    case 'choice':
      if (!type.values.includes(value)) throw new Error(`must be one of ${type.values.join(', ')}`);
      return value;
    case 'flag':
      throw new Error('takes no value');
    case 'landing-file':
      return landingFile(value, ctx.landingDir);
    case 'features': {
      const registry = ctx.registry ?? REGISTRY;
      const names = value.split(',').map((n) => n.trim());
      if (names.some((n) => n === '')) throw new Error('must be feature names separated by commas');
      const unknown = names.filter((n) => !registry.features.some((f) => f.name === n));
      if (unknown.length > 0) {
        throw new Error(
          `unknown feature ${unknown.join(', ')} (features: ${registry.features.map((f) => f.name).join(', ')})`,
        );
      }
      return names.join(',');
    }
    case 'entity': {
      const registry = ctx.registry ?? REGISTRY;
      if (!registry.entities.some((e) => e.name === value)) {
        throw new Error(
          `unknown entity ${value} (entities: ${registry.entities.map((e) => e.name).join(', ')})`,
        );
      }
      return value;
    }
    case 'column':
      if (!COLUMN.test(value)) throw new Error('must be a column name (letters, digits, _)');
      return value;
    case 'name':
      if (!NAME.test(value)) throw new Error('must be 1–63 of a-z 0-9 _, starting with a letter');
      return value;
  }
}

/** The first line of a file (at most 64 KiB), without its line break. */
function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8');
    return text.split(/\r?\n/)[0].replace(/^\uFEFF/, '');
  } finally {
    closeSync(fd);
  }
}

/** The timestamp column training_set.py reads when none is given. */
export const DEFAULT_TIMESTAMP_COLUMN = 'event_timestamp';

/**
 * spark-jobs/training_set.py: rows from a file or a table, features by name or entity; a CSV's
 * header must name the features' key columns and the timestamp column (a Parquet file's columns
 * are checked by the job).
 */
function checkTrainingSetArgs(args: ReadonlyMap<string, string>, ctx: ArgContext): void {
  const registry = ctx.registry ?? REGISTRY;
  const fail = (arg: string, reason: string) => {
    throw new RunArgumentError(-1, arg, reason);
  };
  if (args.has('--entities') === args.has('--entities-table')) {
    fail('--entities', 'pass one of --entities FILE (in the landing folder) or --entities-table');
  }
  if (args.has('--features') === args.has('--entity')) {
    fail('--features', 'pass one of --features a,b or --entity NAME');
  }
  if (!args.has('--out')) fail('--out', 'name the training set (--out NAME)');
  const file = args.get('--entities');
  const format = args.get('--format') ?? (file?.toLowerCase().endsWith('.csv') ? 'csv' : 'parquet');
  if (!file || format !== 'csv') return;
  const header = firstLine(file)
    .split(',')
    .map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const names = args.has('--features')
    ? args.get('--features')!.split(',')
    : registry.features.filter((f) => f.entity.name === args.get('--entity')).map((f) => f.name);
  for (const name of names) {
    const f = registry.features.find((x) => x.name === name)!;
    for (const key of f.entity.keys) {
      if (!header.includes(key)) {
        fail(
          '--entities',
          `the file has no key column ${key} (entity ${f.entity.name}, feature ${f.name}; columns: ${header.join(', ')})`,
        );
      }
    }
  }
  const ts = args.get('--timestamp-column') ?? DEFAULT_TIMESTAMP_COLUMN;
  if (!header.includes(ts)) {
    fail(
      args.has('--timestamp-column') ? '--timestamp-column' : '--entities',
      `the file has no timestamp column ${ts} (columns: ${header.join(', ')})`,
    );
  }
}

/** spark-jobs/consistency.py: a window that ends after it starts. */
function checkConsistencyArgs(args: ReadonlyMap<string, string>): void {
  const since = args.get('--since');
  const until = args.get('--until');
  if (since && until && Date.parse(until) <= Date.parse(since)) {
    throw new RunArgumentError(-1, '--until', `must be after --since (${since})`);
  }
}

/**
 * A file inside the landing folder: a path relative to it, or an absolute path inside it; no
 * `..` part, no URL, and after resolving symbolic links still a regular file inside it.
 */
export function landingFile(value: string, landingDir: string): string {
  const outside = `must be a file inside the landing folder (${landingDir})`;
  if (value.length === 0 || /^[a-z][a-z0-9+.-]*:/i.test(value) || value.includes('\0')) {
    throw new Error(outside);
  }
  if (value.split(/[\\/]+/).includes('..')) throw new Error(`${outside}; '..' is not allowed`);
  let base: string;
  try {
    base = realpathSync(landingDir);
  } catch {
    throw new Error(`the landing folder ${landingDir} does not exist`);
  }
  const path = isAbsolute(value) ? normalize(value) : join(landingDir, value);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new Error(`${outside}; no such file`);
  }
  if (!real.startsWith(base + sep) || !statSync(real).isFile()) throw new Error(outside);
  return real;
}

/**
 * Checks a caller's arguments against the job's declaration and returns them normalized
 * (`--name=value` split in two, numbers canonical, input files resolved): what is stored with the
 * run. Throws RunArgumentError naming the first argument refused.
 */
export function checkRunArgs(source: string, args: readonly string[], ctx: ArgContext): string[] {
  const spec = batchJobArgs(source);
  if (!spec) throw new RunArgumentError(0, source, 'the job declares no arguments');
  const out: string[] = [];
  const seen = new Set<string>();
  const values = new Map<string, string>();
  let positional = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('-')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg : arg.slice(0, eq);
      const option = Object.prototype.hasOwnProperty.call(spec.options, name)
        ? spec.options[name]
        : undefined;
      if (!option) {
        const why = spec.refused?.[name];
        const allowed = Object.keys(spec.options).join(', ') || 'none';
        throw new RunArgumentError(
          i,
          name,
          why
            ? `may not be passed: ${why}`
            : `is not an argument of ${source} that callers may pass (allowed: ${allowed})`,
        );
      }
      if (seen.has(name) && !option.repeat) {
        throw new RunArgumentError(i, name, 'may be given once');
      }
      seen.add(name);
      if (option.type.kind === 'flag') {
        if (eq !== -1) throw new RunArgumentError(i, name, 'takes no value');
        out.push(name);
        continue;
      }
      let value: string;
      let at = i;
      if (eq !== -1) value = arg.slice(eq + 1);
      else {
        if (i + 1 >= args.length) throw new RunArgumentError(i, name, 'needs a value');
        value = args[++i];
        at = i;
      }
      try {
        const checked = checkValue(option.type, value, ctx);
        out.push(name, checked);
        values.set(name, checked);
      } catch (e) {
        throw new RunArgumentError(at, name, (e as Error).message);
      }
      continue;
    }
    if (!spec.positional || positional >= spec.positional.max) {
      throw new RunArgumentError(i, arg, `is not an argument of ${source} that callers may pass`);
    }
    positional++;
    try {
      out.push(checkValue(spec.positional.type, arg, ctx));
    } catch (e) {
      throw new RunArgumentError(i, `argument ${positional}`, (e as Error).message);
    }
  }
  if (spec.check) {
    try {
      spec.check(values, ctx);
    } catch (e) {
      if (!(e instanceof RunArgumentError) || e.index !== -1) throw e;
      // The argument named: its place in the caller's list (or after it when it is missing).
      const at = args.findIndex((a) => a === e.arg || a.startsWith(`${e.arg}=`));
      throw new RunArgumentError(at === -1 ? args.length : at, e.arg, e.reason);
    }
  }
  return out;
}

/** The full argument list a run is submitted with: its checked arguments, then configuration's. */
export function submittedArgs(source: string, args: readonly string[], config: FstoreConfig) {
  const checked = checkRunArgs(source, args, { landingDir: config.control.landingDir });
  return [...checked, ...(batchJobArgs(source)?.fromConfig?.(config) ?? [])];
}
