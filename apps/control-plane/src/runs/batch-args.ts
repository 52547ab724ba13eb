import { realpathSync, statSync } from 'fs';
import { isAbsolute, join, normalize, posix, sep } from 'path';
import { FstoreConfig } from '@fstore/config';

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
  | { kind: 'landing-file' };

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
  // Fixtures of the control plane's medium tests (spark-jobs/tests/jobs/).
  'spark-jobs/tests/jobs/sleep_job.py': {
    options: {},
    positional: { type: { kind: 'int', min: 0, max: 600 }, max: 1 },
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
}

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
        out.push(name, checkValue(option.type, value, ctx));
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
  return out;
}

/** The full argument list a run is submitted with: its checked arguments, then configuration's. */
export function submittedArgs(source: string, args: readonly string[], config: FstoreConfig) {
  const checked = checkRunArgs(source, args, { landingDir: config.control.landingDir });
  return [...checked, ...(batchJobArgs(source)?.fromConfig?.(config) ?? [])];
}
