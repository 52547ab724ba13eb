import { backfillDays, MAX_BACKFILL_DAYS } from './backfill';

describe('backfillDays', () => {
  it('one as-of a day: each day of the range at 00:00 UTC, both ends included', () => {
    expect(backfillDays('2024-02-28', '2024-03-01')).toEqual([
      '2024-02-28T00:00:00Z',
      '2024-02-29T00:00:00Z',
      '2024-03-01T00:00:00Z',
    ]);
    expect(backfillDays('2024-03-15', '2024-03-15')).toEqual(['2024-03-15T00:00:00Z']);
  });

  it('refuses a missing, reversed or too long range with the reason', () => {
    expect(backfillDays('', '2024-03-01')).toEqual({ error: 'choose both dates' });
    expect(backfillDays('2024-03-02', '2024-03-01')).toEqual({ error: '"to" is before "from"' });
    expect(backfillDays('2024-01-01', '2024-02-01')).toEqual({
      error: `at most ${MAX_BACKFILL_DAYS} days at once (this range has 32)`,
    });
    expect(backfillDays('2024-01-01', '2024-01-31')).toHaveLength(31);
  });
});
