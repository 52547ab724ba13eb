import { InvalidArgumentError } from 'commander';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  duration,
  keyValue,
  keyValues,
  nonNegativeInt,
  positiveInt,
  readableDir,
  readableFile,
  share,
} from './options';

const invalid = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return (e as Error).message;
  }
  throw new Error('expected InvalidArgumentError');
};

describe('CLI option parsers', () => {
  it('positiveInt takes whole numbers from 1', () => {
    expect(positiveInt('1')).toBe(1);
    expect(positiveInt('42')).toBe(42);
    for (const bad of ['abc', '0', '-1', '1.5', '', ' 3', '3x', '1e3', '99999999999999999999']) {
      expect(invalid(() => positiveInt(bad))).toBe('expected a positive integer, e.g. 3');
    }
  });

  it('nonNegativeInt and share', () => {
    expect(nonNegativeInt('0')).toBe(0);
    expect(invalid(() => nonNegativeInt('-1'))).toMatch(/non-negative integer/);
    expect(share('0.25')).toBe(0.25);
    expect(invalid(() => share('2'))).toMatch(/fraction/);
    expect(invalid(() => share(''))).toMatch(/fraction/);
  });

  it('keyValue needs an "=" and a key; the value may be empty or hold "="', () => {
    expect(keyValue('A=1', [])).toEqual(['A=1']);
    expect(keyValue('B=', ['A=1'])).toEqual(['A=1', 'B=']);
    expect(invalid(() => keyValue('FOO', []))).toBe('expected KEY=VALUE (no "=" in it)');
    expect(invalid(() => keyValue('=x', []))).toBe('expected KEY=VALUE (the KEY is empty)');
    expect(keyValues(['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' });
  });

  describe('files and folders', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'fstore-options-'));
      writeFileSync(join(dir, 'a.csv'), 'x');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('readableFile: an existing file', () => {
      expect(readableFile(join(dir, 'a.csv'))).toBe(join(dir, 'a.csv'));
      expect(invalid(() => readableFile(join(dir, 'missing.csv')))).toBe(
        'expected a readable file: it does not exist',
      );
      expect(invalid(() => readableFile(dir))).toBe('expected a file, not a folder');
    });

    it('readableFile: an unreadable file', () => {
      if (process.getuid?.() === 0) return; // root reads everything
      const file = join(dir, 'secret.csv');
      writeFileSync(file, 'x');
      chmodSync(file, 0o000);
      expect(invalid(() => readableFile(file))).toBe(
        'expected a readable file: it cannot be read (EACCES)',
      );
    });

    it('readableDir: an existing folder', () => {
      expect(readableDir(dir)).toBe(dir);
      expect(invalid(() => readableDir(join(dir, 'nope')))).toBe(
        'expected a readable folder: it does not exist',
      );
      expect(invalid(() => readableDir(join(dir, 'a.csv')))).toBe('expected a folder, not a file');
    });
  });
});

describe('duration', () => {
  it('reads minutes, hours and days', () => {
    expect(duration('30m')).toBe(1_800_000);
    expect(duration('12h')).toBe(43_200_000);
    expect(duration('90d')).toBe(7_776_000_000);
  });
  it.each(['0d', '90', '1w', '-1d', 'abc'])('refuses %s', (v) =>
    expect(() => duration(v)).toThrow(/expected a duration/),
  );
});
