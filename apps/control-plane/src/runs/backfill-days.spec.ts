import { DomainError } from '@fstore/rest-api';
import { backfillDays, MAX_BACKFILL_DAYS } from './backfill-days';

/** The error's detail, or what was returned. */
function refusal(from: string, to: string): unknown {
  try {
    return backfillDays(from, to);
  } catch (e) {
    return [(e as DomainError).status, (e as DomainError).detail];
  }
}

describe('backfillDays', () => {
  it('each day from "from" to "to", both included, at 00:00 UTC (across a leap day)', () => {
    expect(backfillDays('2024-02-28', '2024-03-01')).toEqual([
      '2024-02-28T00:00:00Z',
      '2024-02-29T00:00:00Z',
      '2024-03-01T00:00:00Z',
    ]);
    expect(backfillDays('2024-03-15', '2024-03-15')).toEqual(['2024-03-15T00:00:00Z']);
    expect(backfillDays('2024-01-01', '2024-01-31')).toHaveLength(MAX_BACKFILL_DAYS);
  });

  it('refuses with 400 naming the field: not a date, a reversed range, too many days', () => {
    const detail = (loc: string, msg: string) => [
      400,
      [{ loc: ['body', loc], msg, type: 'value_error' }],
    ];
    expect(refusal('2023-02-29', '2023-03-01')).toEqual(
      detail('from', '"2023-02-29" is not a date (YYYY-MM-DD)'),
    );
    expect(refusal('2024-03-01', '2024-3-2')).toEqual(
      detail('to', '"2024-3-2" is not a date (YYYY-MM-DD)'),
    );
    expect(refusal('2024-03-02', '2024-03-01')).toEqual(
      detail('to', '2024-03-01 is before "from" (2024-03-02)'),
    );
    expect(refusal('2024-01-01', '2024-02-01')).toEqual(
      detail('to', 'at most 31 days at once (2024-01-01 to 2024-02-01 is 32)'),
    );
  });
});
