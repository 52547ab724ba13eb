import { InvalidArgumentError } from 'commander';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { COMPRESSIONS } from '@fstore/ingest';
import { DomainError, UuidPipe } from '@fstore/rest-api';
import {
  duration,
  isoDate,
  isoTime,
  jobName,
  keyValue,
  keyValues,
  nonNegativeInt,
  nonNegativeNumber,
  oneOf,
  positiveInt,
  PRODUCE_CODECS,
  readableDir,
  readableFile,
  share,
  uuid,
  writableFile,
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

describe('oneOf, isoTime, isoDate, nonNegativeNumber, writableFile', () => {
  it('oneOf takes only the listed values and names them', () => {
    expect(oneOf(['csv', 'ndjson'])('csv')).toBe('csv');
    expect(invalid(() => oneOf(['csv', 'ndjson'])('CSV'))).toBe('expected one of csv, ndjson');
  });

  it("the CLI's codecs are the producer's", () => {
    expect([...PRODUCE_CODECS].sort()).toEqual([...COMPRESSIONS].sort());
  });

  it("uuid takes the control plane's ids, and refuses what its UuidPipe refuses", () => {
    const pipe = new UuidPipe();
    const meta = { type: 'param', data: 'id' } as const;
    for (const ok of [
      '3f2c1a9e-0b4d-4c8e-9a1f-2b3c4d5e6f70',
      '3F2C1A9E-0B4D-4C8E-9A1F-2B3C4D5E6F70',
    ]) {
      expect(uuid(ok)).toBe(ok);
      expect(pipe.transform(ok, meta)).toBe(ok);
    }
    for (const bad of [
      '12',
      'abc',
      '',
      '3f2c1a9e-0b4d-4c8e-9a1f-2b3c4d5e6f7',
      '3f2c1a9e0b4d4c8e9a1f2b3c4d5e6f70',
      ' 3f2c1a9e-0b4d-4c8e-9a1f-2b3c4d5e6f70',
      '3f2c1a9e-0b4d-4c8e-9a1f-2b3c4d5e6f70/revoke',
      'g f2c1a9e-0b4d-4c8e-9a1f-2b3c4d5e6f70',
    ]) {
      expect(invalid(() => uuid(bad))).toBe(
        'expected an id (a UUID, e.g. 3f2c1a9e-0b4d-4c8e-9a1f-2b3c4d5e6f70)',
      );
      expect(() => pipe.transform(bad, meta)).toThrow(DomainError);
    }
  });

  it("jobName takes the control plane's job names and refuses the others before sending", () => {
    for (const ok of ['j', 'last_purchase_amount', 'training-set', 'a1', `a${'b'.repeat(62)}`]) {
      expect(jobName(ok)).toBe(ok);
    }
    for (const bad of [
      '',
      'Orders',
      '1job',
      '_job',
      '-job',
      'my job',
      'job.v2',
      'job/../x',
      `a${'b'.repeat(63)}`,
    ]) {
      expect(invalid(() => jobName(bad))).toBe(
        'expected a job name: a lower-case letter, then lower-case letters, digits, _ or - (≤ 63)',
      );
    }
  });

  it('isoTime takes ISO-8601 days and times, as given', () => {
    for (const ok of [
      '2026-01-31',
      '2026-01-31T12:00',
      '2026-01-31T12:00:00Z',
      '2026-01-31 12:00:00.5+02:00',
    ]) {
      expect(isoTime(ok)).toBe(ok);
    }
    for (const bad of ['yesterday', '1700000000', '2026-1-31', '2026-01-31T25:00', '']) {
      expect(invalid(() => isoTime(bad))).toBe(
        'expected an ISO-8601 time, e.g. 2026-01-31T12:00:00Z',
      );
    }
  });

  it('isoDate takes a real day only', () => {
    expect(isoDate('2024-02-29')).toBe('2024-02-29');
    for (const bad of ['2026-02-30', '2026-13-01', '2026-01-31T00:00', '31.01.2026']) {
      expect(invalid(() => isoDate(bad))).toBe('expected a day as YYYY-MM-DD, e.g. 2026-01-31');
    }
  });

  it('nonNegativeNumber', () => {
    expect(nonNegativeNumber('1.1')).toBe(1.1);
    expect(nonNegativeNumber('0')).toBe(0);
    for (const bad of ['abc', '-1', '', 'Infinity']) {
      expect(invalid(() => nonNegativeNumber(bad))).toBe('expected a number ≥ 0, e.g. 1.1');
    }
  });

  it('writableFile: a file in an existing folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fstore-out-'));
    try {
      expect(writableFile(join(dir, 'new.csv'))).toBe(join(dir, 'new.csv'));
      expect(invalid(() => writableFile(join(dir, 'nope', 'x.csv')))).toBe(
        `expected a file in an existing folder: ${join(dir, 'nope')} does not exist`,
      );
      writeFileSync(join(dir, 'file'), '');
      expect(invalid(() => writableFile(join(dir, 'file', 'x.csv')))).toMatch(
        /^expected a file in (an existing folder: .* cannot be written \(ENOTDIR\)|a folder: .* is a file)$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
