import { checkEntityCsv, formatTrainingSummary, TrainingSetInputError } from './training-set';

describe('checkEntityCsv: what the CLI refuses before sending anything', () => {
  it('accepts the timestamp forms the job parses', () => {
    const csv = [
      'customer_id,"event_timestamp",label',
      'c1,2024-03-01,1',
      'c2,2024-03-01 10:00:00,0',
      '"c,3",2024-03-01T10:00:00.123Z,1',
      'c4,2024-03-01T10:00:00+01:00,1',
      '',
    ].join('\r\n');
    expect(checkEntityCsv(csv, 'event_timestamp')).toEqual({ rows: 4 });
  });

  it('names the column, the line and the value that does not parse', () => {
    expect(() => checkEntityCsv('id,ts\nc1,2024-01-01\nc2,yesterday\n', 'ts')).toThrow(
      new TrainingSetInputError(
        '--timestamp-column ts: line 3: "yesterday" is not a timestamp (ISO-8601 or YYYY-MM-DD HH:MM:SS[.fff], UTC unless an offset is given)',
      ),
    );
    expect(() => checkEntityCsv('id,ts\nc1,2024-02-30T00:00:00Z\n', 'ts')).toThrow(/line 2/);
    expect(() => checkEntityCsv('id,ts\nc1,\n', 'ts')).toThrow(/line 2: "" is not/);
    expect(() => checkEntityCsv('id,when\n', 'ts')).toThrow(
      '--timestamp-column ts: the file has no such column (columns: id, when)',
    );
  });
});

describe('formatTrainingSummary', () => {
  it('prints where the set is and the nulls per feature', () => {
    const text = formatTrainingSummary({
      run_id: 'r1',
      summary: {
        rows: 4,
        features: ['a', 'b'],
        nulls: { a: 1, b: 0 },
        table: 'training_sets.x',
        path: 'file:/w/x',
        timestamp_column: 'ts',
        snapshots_used: [],
        events_read: 10,
        partitions_read: 2,
        duration_s: 3.5,
      },
    });
    expect(text.split('\n').slice(0, 4)).toEqual([
      'training set training_sets.x: 4 rows, 2 features in 3.5 s (run r1)',
      'path: file:/w/x',
      'batch snapshots used: none',
      'events read: 10 (2 partitions)',
    ]);
    expect(text).toMatch(/a\s+1\s+25\.0 %/);
  });
});
