import { consistencyArgs, formatConsistency } from './consistency';

describe('fstore consistency', () => {
  it('passes only the options given', () => {
    expect(consistencyArgs({})).toEqual([]);
    expect(
      consistencyArgs({ since: '2026-01-01T00:00:00Z', features: 'a,b', table: 'db.raw' }),
    ).toEqual(['--since', '2026-01-01T00:00:00Z', '--features', 'a,b', '--table', 'db.raw']);
  });

  it('prints a table per feature and the inconsistent examples', () => {
    const text = formatConsistency({
      run_id: 'r1',
      summary: {
        since: '2026-01-01T00:00:00.000Z',
        until: null,
        topic: 'fstore.serving-log',
        reads: 11,
        unreadable: 0,
        duration_s: 12.5,
        features: {
          last_purchase_amount: {
            reads: 10,
            consistent: 8,
            inconsistent: 1,
            not_yet_processed: 1,
            inconsistent_ratio: 0.1,
            examples: [
              {
                keys: { customer_id: 'c1' },
                served: 9.5,
                offline: 10,
                event_time: '2026-01-01T01:00:00.000Z',
                read_time: '2026-01-01T02:00:00.000Z',
              },
            ],
          },
          units_sold: {
            reads: 1,
            consistent: 1,
            inconsistent: 0,
            not_yet_processed: 0,
            inconsistent_ratio: 0,
            examples: [],
          },
        },
      },
    });
    expect(text.split('\n')).toEqual([
      'consistency of 11 logged reads (2026-01-01T00:00:00.000Z – now, topic fstore.serving-log) in 12.5 s (run r1)',
      '',
      'feature               reads  consistent  inconsistent  not yet processed  inconsistent %',
      'last_purchase_amount  10     8           1             1                  10.00 %',
      'units_sold            1      1           0             0                  0.00 %',
      '',
      'inconsistent reads (examples):',
      '  last_purchase_amount c1 at 2026-01-01T02:00:00.000Z: served 9.5, offline 10',
    ]);
  });
});
