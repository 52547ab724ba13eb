import { InvalidArgumentError } from 'commander';
import { accessSync, constants, statSync } from 'fs';
import { dirname, resolve } from 'path';
import { JOB_NAME, JOB_NAME_RULE } from '@fstore/contracts/jobs';

// Commander parsers of the CLI's flags and arguments: a bad value stops the command before it
// does anything, with commander's message naming the flag (`option '--version <n>' argument
// 'abc' is invalid. expected a positive integer, e.g. 3`) and exit code 2 (main.ts).

/** A whole number ≥ 0. */
export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer');
  return Number(value);
}

/** A whole number ≥ 1 (a job version, a line count). */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive integer, e.g. 3');
  }
  return Number(value);
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90d`, `12h`, `30m` → milliseconds. */
export function duration(value: string): number {
  const m = /^([1-9]\d{0,5})([mhd])$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 30m, 12h or 90d');
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** A fraction in [0, 1]. */
export function share(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) {
    throw new InvalidArgumentError('expected a fraction in [0, 1]');
  }
  return n;
}

/** One more KEY=VALUE of a repeatable/variadic flag (KEY not empty; VALUE may be). */
export function keyValue(value: string, previous: string[] = []): string[] {
  const eq = value.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError('expected KEY=VALUE (no "=" in it)');
  if (eq === 0) throw new InvalidArgumentError('expected KEY=VALUE (the KEY is empty)');
  return [...previous, value];
}

/** KEY=VALUE strings as an object (the first "=" separates; VALUE may hold more). */
export const keyValues = (pairs: string[]): Record<string, string> =>
  Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));

function check(path: string, what: 'file' | 'folder'): string {
  const unreadable = (e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${code})`;
    return new InvalidArgumentError(`expected a readable ${what}: ${why}`);
  };
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (e) {
    throw unreadable(e);
  }
  if (what === 'file' && !isFile) throw new InvalidArgumentError('expected a file, not a folder');
  if (what === 'folder' && isFile) throw new InvalidArgumentError('expected a folder, not a file');
  try {
    accessSync(path, constants.R_OK | (what === 'folder' ? constants.X_OK : 0));
  } catch (e) {
    throw unreadable(e);
  }
  return path;
}

/** A file that exists and can be read. */
export const readableFile = (path: string): string => check(path, 'file');

/** A folder that exists and can be listed. */
export const readableDir = (path: string): string => check(path, 'folder');

/**
 * The producer's codecs: libs/ingest's COMPRESSIONS, whose module loads kafkajs (not wanted
 * for a flag check); options.spec.ts keeps the two equal.
 */
export const PRODUCE_CODECS: readonly string[] = ['none', 'gzip', 'lz4'];

/** A parser that accepts only one of `values` (a role, a format, a codec). */
export const oneOf =
  (values: readonly string[]) =>
  (value: string): string => {
    if (!values.includes(value)) {
      throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    }
    return value;
  };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO-8601 date or time (`2026-01-31`, `2026-01-31T12:00:00Z`), kept as given. */
export function isoTime(value: string): string {
  if (!ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('expected an ISO-8601 time, e.g. 2026-01-31T12:00:00Z');
  }
  return value;
}

/** A calendar day, YYYY-MM-DD. */
export function isoDate(value: string): string {
  const parsed = new Date(`${value}T00:00:00Z`);
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(parsed.getTime());
  // 2026-02-30 parses (as March 2nd): the day must come back as written
  if (!valid || parsed.toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError('expected a day as YYYY-MM-DD, e.g. 2026-01-31');
  }
  return value;
}

/** A finite number ≥ 0 (an exponent). */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('expected a number ≥ 0, e.g. 1.1');
  }
  return n;
}

/** A file to write: its folder must exist (the file itself may not yet). */
export function writableFile(path: string): string {
  const folder = dirname(resolve(path));
  let isDir: boolean;
  try {
    isDir = statSync(folder).isDirectory();
    if (isDir) accessSync(folder, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be written (${code})`;
    throw new InvalidArgumentError(`expected a file in an existing folder: ${folder} ${why}`);
  }
  if (!isDir) throw new InvalidArgumentError(`expected a file in a folder: ${folder} is a file`);
  return path;
}

/**
 * The control plane's ids (API keys, runs, operations, deployments) are UUIDs; its UuidPipe
 * (@fstore/rest-api, whose module loads NestJS) refuses any other form, and options.spec.ts
 * keeps the two in agreement. Checked here so that a mistyped id is a usage error, sent nowhere.
 */
export function uuid(value: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw new InvalidArgumentError(
      'expected an id (a UUID, e.g. 3f2c1a9e-0b4d-4c8e-9a1f-2b3c4d5e6f70)',
    );
  }
  return value;
}

/**
 * A job's name, as the control plane takes it (JOB_NAME of @fstore/contracts, the pattern its
 * routes validate): a mistyped name is a usage error here, not a 400 from the server.
 */
export function jobName(value: string): string {
  if (!JOB_NAME.test(value))
    throw new InvalidArgumentError(`expected a job name: ${JOB_NAME_RULE}`);
  return value;
}
