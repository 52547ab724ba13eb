import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { checkRunArgs, RunArgumentError } from './batch-args';
import { jobError, jobSummary } from './job-output';

const landingDir = join(realpathSync(mkdtempSync(join(tmpdir(), 'fstore-ts-args-'))), 'landing');
mkdirSync(landingDir, { recursive: true });
writeFileSync(
  join(landingDir, 'rows.csv'),
  'customer_id,product_id,ts,label\nc1,p1,2024-01-01,1\n',
);
writeFileSync(join(landingDir, 'quoted.csv'), '\uFEFF"customer_id","event_timestamp"\r\nc1,x\r\n');
writeFileSync(join(landingDir, 'rows.parquet'), 'PAR1');
const ctx = { landingDir };
const JOB = 'spark-jobs/training_set.py';

function refusal(args: string[]): RunArgumentError {
  try {
    checkRunArgs(JOB, args, ctx);
  } catch (e) {
    if (e instanceof RunArgumentError) return e;
    throw e;
  }
  throw new Error(`accepted: ${args.join(' ')}`);
}

describe('spark-jobs/training_set.py: its arguments', () => {
  it('accepts rows in the landing folder, features by name or entity, a timestamp column', () => {
    expect(
      checkRunArgs(
        JOB,
        [
          '--entities',
          'rows.csv',
          '--features',
          'last_purchase_amount, last_review',
          '--out',
          'a',
          '--timestamp-column',
          'ts',
        ],
        { landingDir },
      ).slice(2, 4),
    ).toEqual(['--features', 'last_purchase_amount,last_review']);
    expect(
      checkRunArgs(
        JOB,
        [
          ...['--entities', 'rows.csv', '--entity', 'customer_product'],
          '--out',
          'x',
          '--timestamp-column',
          'ts',
        ],
        ctx,
      ),
    ).toContain('customer_product');
    // A Parquet file's columns are the job's to check.
    expect(
      checkRunArgs(JOB, ['--entities', 'rows.parquet', '--entity', 'product', '--out', 'p'], ctx),
    ).toEqual([
      '--entities',
      join(landingDir, 'rows.parquet'),
      '--entity',
      'product',
      '--out',
      'p',
    ]);
    // A header with a BOM, quotes and CRLF.
    checkRunArgs(
      JOB,
      ['--entities', 'quoted.csv', '--features', 'last_purchase_amount', '--out', 'q'],
      ctx,
    );
  });

  it('refuses an unknown feature or entity, naming it', () => {
    const e = refusal(['--entities', 'rows.csv', '--features', 'last_purchase_amount,nope']);
    expect([e.index, e.arg]).toEqual([3, '--features']);
    expect(e.reason).toMatch(
      /^unknown feature nope \(features: [a-z_0-9, ]*last_purchase_amount, /,
    );
    expect(refusal(['--entities', 'rows.csv', '--entity', 'shop']).reason).toMatch(
      /^unknown entity shop \(entities: /,
    );
  });

  it('refuses a CSV without the key or timestamp columns, before any run', () => {
    const base = ['--entities', 'rows.csv', '--out', 'x'];
    let e = refusal([
      ...base,
      '--features',
      'last_review,revenue_category',
      '--timestamp-column',
      'ts',
    ]);
    expect([e.index, e.arg]).toEqual([0, '--entities']);
    expect(e.reason).toBe(
      'the file has no key column category (entity category, feature revenue_category; columns: customer_id, product_id, ts, label)',
    );
    e = refusal([...base, '--features', 'last_review']);
    expect(e.reason).toBe(
      'the file has no timestamp column event_timestamp (columns: customer_id, product_id, ts, label)',
    );
    e = refusal([...base, '--features', 'last_review', '--timestamp-column', 'when']);
    expect([e.index, e.arg]).toEqual([6, '--timestamp-column']);
    expect(refusal([...base, '--features', 'x', '--timestamp-column', 'a-b']).arg).toBe(
      '--features',
    );
    expect(
      refusal(['--entities', 'rows.csv', '--features', 'last_review', '--timestamp-column', 'a-b'])
        .reason,
    ).toBe('must be a column name (letters, digits, _)');
  });

  it('needs rows, features and a name, and never takes --definitions or a file outside', () => {
    expect(refusal(['--features', 'last_review', '--out', 'x']).arg).toBe('--entities');
    expect(refusal(['--entities', 'rows.csv', '--out', 'x']).reason).toBe(
      'pass one of --features a,b or --entity NAME',
    );
    const e = refusal(['--entities', 'rows.csv', '--entity', 'customer']);
    expect([e.index, e.arg, e.reason]).toEqual([4, '--out', 'name the training set (--out NAME)']);
    expect(refusal(['--entities', 'rows.csv', '--entity', 'customer', '--out', 'Bad']).reason).toBe(
      'must be 1–63 of a-z 0-9 _, starting with a letter',
    );
    expect(refusal(['--entities', '../x.csv']).reason).toMatch(/'\.\.' is not allowed/);
    expect(refusal(['--definitions', '/tmp/d.json']).reason).toBe(
      'may not be passed: the control plane passes its own definitions',
    );
  });
});

describe('job output: the summary and the error a job prints', () => {
  it('reads the last summary line that parses, and the last error line', () => {
    const log = [
      'training_set [  1.0s] up',
      'TRAINING_SET_SUMMARY {"rows": 1}',
      'TRAINING_SET_SUMMARY {"rows": 2, "cut',
      'stderr: something',
    ].join('\n');
    expect(jobSummary(log)).toEqual({ name: 'TRAINING_SET_SUMMARY', value: { rows: 1 } });
    expect(jobSummary('TRAINING_SET_SUMMARY {"rows": 3}stderr: 26/01/01 WARN x {y}')).toEqual({
      name: 'TRAINING_SET_SUMMARY',
      value: { rows: 3 },
    });
    expect(jobSummary(null)).toBeUndefined();
    expect(jobSummary('no summary')).toBeUndefined();
    expect(jobError('x\nFSTORE_ERROR training_set: bad ts \nFSTORE_ERROR training_set: last')).toBe(
      'training_set: last',
    );
    expect(jobError('stdout: FSTORE_ERROR training_set: glued')).toBe('training_set: glued');
    expect(jobError('Traceback')).toBeUndefined();
  });
});
