import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { SourceNotAllowedError, SourcesRepository } from './sources.repository';

describe('SourcesRepository', () => {
  const root = mkdtempSync(join(tmpdir(), 'fstore-sources-'));
  mkdirSync(join(root, 'flink-sql'));
  mkdirSync(join(root, 'spark-jobs'));
  writeFileSync(join(root, 'flink-sql/job.sql'), 'INSERT INTO t SELECT 1;');
  writeFileSync(join(root, 'spark-jobs/job.py'), 'print(1)');
  writeFileSync(join(root, 'secret.sql'), 'secret');
  symlinkSync(join(root, 'secret.sql'), join(root, 'flink-sql/link.sql'));
  const sources = new SourcesRepository(root);

  it('reads a file of its kind from its folder', () => {
    expect(sources.read('flink-sql', 'flink-sql/job.sql')).toBe('INSERT INTO t SELECT 1;');
    expect(sources.read('pyspark', 'spark-jobs/job.py')).toBe('print(1)');
  });

  it.each([
    ['flink-sql', 'secret.sql'],
    ['flink-sql', 'flink-sql/../secret.sql'],
    ['flink-sql', join(root, 'flink-sql/job.sql')],
    ['flink-sql', 'flink-sql/link.sql'],
    ['flink-sql', 'spark-jobs/job.py'],
    ['pyspark', 'flink-sql/job.sql'],
    ['flink-sql', 'flink-sql/missing.sql'],
    ['flink-sql', 'flink-sql'],
  ] as const)('refuses %s %s', (kind, source) => {
    expect(() => sources.read(kind, source)).toThrow(SourceNotAllowedError);
  });
});
