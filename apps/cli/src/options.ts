import { InvalidArgumentError } from 'commander';
import { accessSync, constants, statSync } from 'fs';

// Commander parsers of the CLI's flags and arguments: a bad value stops the command before it
// does anything, with commander's message naming the flag (`option '--version <n>' argument
// 'abc' is invalid. expected a positive integer, e.g. 3`) and exit code 1.

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
