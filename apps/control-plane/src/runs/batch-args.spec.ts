import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig } from '@fstore/config';
import { checkRunArgs, RunArgumentError, submittedArgs } from './batch-args';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'fstore-landing-')));
const landingDir = join(root, 'landing');
mkdirSync(join(landingDir, 'day1'), { recursive: true });
writeFileSync(join(landingDir, 'day1/events.csv'), 'x');
writeFileSync(join(root, 'secret.csv'), 'secret');
symlinkSync(join(root, 'secret.csv'), join(landingDir, 'link.csv'));
symlinkSync('/etc', join(landingDir, 'etc'));
const ctx = { landingDir };

const BATCH = 'spark-jobs/batch_features.py';
const LOAD = 'spark-jobs/load_raw_events.py';
const INGEST = 'spark-jobs/ingest_kafka_to_lake.py';

function refusal(source: string, args: string[]): RunArgumentError {
  try {
    checkRunArgs(source, args, ctx);
  } catch (e) {
    if (e instanceof RunArgumentError) return e;
    throw e;
  }
  throw new Error(`accepted: ${args.join(' ')}`);
}

describe('checkRunArgs: what callers may pass', () => {
  it('accepts what the DAG and the tests pass today', () => {
    const db = 'test_0123456789abcdef';
    // batch_features_daily: params.args, then as_of (appended as --as-of).
    expect(
      checkRunArgs(
        BATCH,
        [
          '--table',
          `${db}.transactions`,
          '--history-table',
          `${db}.history`,
          '--as-of',
          '2024-02-05T00:00:00+00:00',
        ],
        ctx,
      ),
    ).toEqual([
      '--table',
      `${db}.transactions`,
      '--history-table',
      `${db}.history`,
      '--as-of',
      '2024-02-05T00:00:00+00:00',
    ]);
    expect(
      checkRunArgs(
        BATCH,
        [
          '--as-of',
          '2024-03-15T00:00:00Z',
          '--as-of=2024-03-16T00:00:00.000Z',
          '--online',
          'never',
          '--dedupe',
        ],
        ctx,
      ),
    ).toEqual([
      '--as-of',
      '2024-03-15T00:00:00Z',
      '--as-of',
      '2024-03-16T00:00:00.000Z',
      '--online',
      'never',
      '--dedupe',
    ]);
    expect(checkRunArgs('spark-jobs/tests/jobs/sleep_job.py', ['1'], ctx)).toEqual(['1']);
    expect(
      checkRunArgs(
        'spark-jobs/tests/jobs/fail_job.py',
        ['control-plane-test', '--as-of', '2026-01-31T00:00:00Z'],
        ctx,
      ),
    ).toEqual(['control-plane-test', '--as-of', '2026-01-31T00:00:00Z']);
    expect(
      checkRunArgs(
        INGEST,
        ['--topic', 'ecommerce.transactions', '--table', 'db.t', '--max-per-partition', '500'],
        ctx,
      ),
    ).toEqual([
      '--topic',
      'ecommerce.transactions',
      '--table',
      'db.t',
      '--max-per-partition',
      '500',
    ]);
  });

  it('resolves --input inside the landing folder (relative or absolute)', () => {
    const file = join(landingDir, 'day1/events.csv');
    expect(checkRunArgs(LOAD, ['--input', 'day1/events.csv'], ctx)).toEqual(['--input', file]);
    expect(checkRunArgs(LOAD, ['--input', file, '--format', 'csv'], ctx)).toEqual([
      '--input',
      file,
      '--format',
      'csv',
    ]);
  });

  it.each([
    [
      BATCH,
      ['--redis-nodes', '127.0.0.1:17999'],
      0,
      '--redis-nodes',
      /may not be passed: connection targets come from configuration only/,
    ],
    [
      BATCH,
      ['--as-of', '2024-01-01', '--redis-nodes=127.0.0.1:17999'],
      2,
      '--redis-nodes',
      /may not be passed/,
    ],
    [
      BATCH,
      ['--redis-password-file', '/srv/fstore/.stack/secrets.env'],
      0,
      '--redis-password-file',
      /credentials/,
    ],
    [
      INGEST,
      ['--kafka-option', 'security.protocol=SSL'],
      0,
      '--kafka-option',
      /may not be passed: Kafka client options/,
    ],
    [INGEST, ['--brokers', '127.0.0.1:17999'], 0, '--brokers', /may not be passed/],
    [INGEST, ['--every', '1'], 0, '--every', /bounded/],
    [LOAD, ['--input', '/etc/passwd'], 1, '--input', /must be a file inside the landing folder/],
    [LOAD, ['--input', '../../x'], 1, '--input', /'\.\.' is not allowed/],
    [LOAD, ['--input', 'day1/../../secret.csv'], 1, '--input', /'\.\.' is not allowed/],
    [LOAD, ['--input', 'link.csv'], 1, '--input', /must be a file inside the landing folder/],
    [LOAD, ['--input', 'etc/passwd'], 1, '--input', /must be a file inside the landing folder/],
    [LOAD, ['--input', 'file:///etc/passwd'], 1, '--input', /must be a file inside/],
    [LOAD, ['--input', 'day1'], 1, '--input', /must be a file inside/],
    [LOAD, ['--input', 'nope.csv'], 1, '--input', /no such file/],
    [BATCH, ['--as-of', 'yesterday'], 1, '--as-of', /ISO-8601/],
    [BATCH, ['--as-of'], 0, '--as-of', /needs a value/],
    [BATCH, ['--table', 'x; DROP'], 1, '--table', /table name/],
    [BATCH, ['--table', 'a.b', '--table', 'c.d'], 2, '--table', /once/],
    [BATCH, ['--dedupe=yes'], 0, '--dedupe', /takes no value/],
    [BATCH, ['--write-partitions', '100000'], 1, '--write-partitions', /integer from 1 to 64/],
    [BATCH, ['extra'], 0, 'extra', /is not an argument/],
    [LOAD, ['--source-name', '--redis-nodes'], 1, '--source-name', /not first/],
    ['spark-jobs/tests/jobs/sleep_job.py', ['1', '2'], 1, '2', /is not an argument/],
  ] as const)('refuses %s %j', (source, args, index, arg, reason) => {
    const e = refusal(source, [...args]);
    expect([e.index, e.arg]).toEqual([index, arg]);
    expect(e.reason).toMatch(reason);
  });

  it('a job without a declaration takes nothing', () => {
    expect(refusal('spark-jobs/tests/jobs/lake_dump.py', []).reason).toMatch(
      /declares no arguments/,
    );
  });
});

describe('submittedArgs: the connection targets come from configuration', () => {
  const config = loadConfig({
    FSTORE_STACK_DIR: '/nonexistent',
    FSTORE_REDIS_HOST: 'redis.internal',
    FSTORE_REDIS_CLUSTER_PORTS: '7001,7002',
    FSTORE_KAFKA_BROKERS: 'k1:9092,k2:9092',
  });
  it('appends the configured Redis nodes and Kafka brokers', () => {
    expect(submittedArgs(BATCH, ['--as-of', '2024-01-01T00:00:00Z'], config)).toEqual([
      '--as-of',
      '2024-01-01T00:00:00Z',
      '--redis-nodes',
      'redis.internal:7001,redis.internal:7002',
    ]);
    expect(submittedArgs(INGEST, [], config)).toEqual(['--brokers', 'k1:9092,k2:9092']);
    expect(submittedArgs('spark-jobs/tests/jobs/sleep_job.py', ['1'], config)).toEqual(['1']);
  });
  it('checks the stored arguments again', () => {
    expect(() => submittedArgs(BATCH, ['--redis-nodes', '127.0.0.1:17999'], config)).toThrow(
      RunArgumentError,
    );
  });
});
