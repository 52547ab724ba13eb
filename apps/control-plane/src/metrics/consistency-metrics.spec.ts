import { checkRunArgs, RunArgumentError, submittedArgs } from '../runs/batch-args';
import { loadConfig } from '@fstore/config';
import { ControlMetrics } from './metrics';
import { consistencyOf } from './consistency-metrics';

const SUMMARY = {
  since: '2026-01-01T00:00:00.000Z',
  reads: 12,
  features: {
    last_purchase_amount: {
      reads: 10,
      consistent: 8,
      inconsistent: 1,
      not_yet_processed: 1,
      inconsistent_ratio: 0.1,
      examples: [{ keys: { customer_id: 'c1' }, served: 9.5, offline: 10 }],
    },
    units_sold: {
      reads: 0,
      consistent: 0,
      inconsistent: 0,
      not_yet_processed: 0,
      inconsistent_ratio: null,
    },
  },
};
const LOG = [
  'consistency [   3.0s] 12 logged reads',
  `stdout: CONSISTENCY_SUMMARY ${JSON.stringify(SUMMARY)}`,
  'stderr: 26/01/01 INFO ShutdownHookManager: done',
].join('\n');

describe('consistencyOf: the figures of a consistency run', () => {
  it('reads the last CONSISTENCY_SUMMARY line, per feature', () => {
    expect(consistencyOf(LOG)).toEqual([
      {
        feature: 'last_purchase_amount',
        reads: 10,
        consistent: 8,
        inconsistent: 1,
        not_yet_processed: 1,
        inconsistent_ratio: 0.1,
      },
      {
        feature: 'units_sold',
        reads: 0,
        consistent: 0,
        inconsistent: 0,
        not_yet_processed: 0,
        inconsistent_ratio: null,
      },
    ]);
  });
  it('is undefined for another job’s summary or none', () => {
    expect(consistencyOf('TRAINING_SET_SUMMARY {"rows": 1}')).toBeUndefined();
    expect(consistencyOf(null)).toBeUndefined();
    expect(consistencyOf('CONSISTENCY_SUMMARY {"reads": 1}')).toBeUndefined();
  });
});

describe('the control plane’s consistency metrics', () => {
  it('exports the last successful run’s report, read at scrape time', async () => {
    const metrics = new ControlMetrics();
    let run: { finishedAt: Date; logTail: string | null } | undefined = {
      finishedAt: new Date('2026-01-02T00:00:00Z'),
      logTail: LOG,
    };
    metrics.consistency.source = async () => run;
    const text = await metrics.registry.metrics();
    const lines = text.split('\n').filter((l) => l.startsWith('fstore_consistency'));
    expect(lines).toEqual([
      'fstore_consistency_inconsistent_ratio{feature="last_purchase_amount"} 0.1',
      'fstore_consistency_reads{feature="last_purchase_amount",status="consistent"} 8',
      'fstore_consistency_reads{feature="last_purchase_amount",status="inconsistent"} 1',
      'fstore_consistency_reads{feature="last_purchase_amount",status="not_yet_processed"} 1',
      'fstore_consistency_reads{feature="units_sold",status="consistent"} 0',
      'fstore_consistency_reads{feature="units_sold",status="inconsistent"} 0',
      'fstore_consistency_reads{feature="units_sold",status="not_yet_processed"} 0',
      `fstore_consistency_last_run_timestamp_seconds ${Date.parse('2026-01-02T00:00:00Z') / 1000}`,
    ]);
    run = undefined; // e.g. the runs were deleted: no stale figures, the time 0 (never)
    const after = (await metrics.registry.metrics())
      .split('\n')
      .filter((l) => l.startsWith('fstore_consistency'));
    expect(after).toEqual(['fstore_consistency_last_run_timestamp_seconds 0']);
  });
});

describe('spark-jobs/consistency.py: its arguments', () => {
  const JOB = 'spark-jobs/consistency.py';
  const ctx = { landingDir: '/nonexistent' };
  const refusal = (args: string[]) => {
    try {
      checkRunArgs(JOB, args, ctx);
    } catch (e) {
      if (e instanceof RunArgumentError) return { index: e.index, arg: e.arg, reason: e.reason };
      throw e;
    }
    throw new Error(`accepted: ${args.join(' ')}`);
  };

  it('accepts a window, features and tables', () => {
    expect(
      checkRunArgs(
        JOB,
        [
          '--since',
          '2026-01-01T00:00:00Z',
          '--until=2026-01-02T00:00:00Z',
          '--features',
          'last_purchase_amount, units_sold',
          '--table',
          'db.raw',
        ],
        ctx,
      ),
    ).toEqual([
      '--since',
      '2026-01-01T00:00:00Z',
      '--until',
      '2026-01-02T00:00:00Z',
      '--features',
      'last_purchase_amount,units_sold',
      '--table',
      'db.raw',
    ]);
    expect(checkRunArgs(JOB, [], ctx)).toEqual([]);
  });

  it('refuses bad values, a window that ends first, and what the control plane provides', () => {
    expect(refusal(['--since', 'yesterday'])).toMatchObject({ index: 1, arg: '--since' });
    expect(refusal(['--features', 'nope'])).toMatchObject({
      index: 1,
      arg: '--features',
      reason: expect.stringContaining('unknown feature nope'),
    });
    expect(
      refusal(['--since', '2026-01-02T00:00:00Z', '--until', '2026-01-01T00:00:00Z']),
    ).toMatchObject({ index: 2, arg: '--until', reason: expect.stringContaining('after --since') });
    for (const arg of ['--topic', '--brokers', '--definitions']) {
      expect(refusal([arg, 'x'])).toMatchObject({
        index: 0,
        arg,
        reason: expect.stringContaining('may not be passed'),
      });
    }
  });

  it('is submitted with the configured brokers and the serving-log topic', () => {
    const config = loadConfig({
      FSTORE_STACK_DIR: '/nonexistent',
      FSTORE_KAFKA_BROKERS: 'k1:9092',
    });
    expect(submittedArgs(JOB, ['--since', '2026-01-01T00:00:00Z'], config)).toEqual([
      '--since',
      '2026-01-01T00:00:00Z',
      '--brokers',
      'k1:9092',
      '--topic',
      'fstore.serving-log',
    ]);
  });
});
