import { InvalidField } from '@fstore/rest-api';

/** The longest backfill started at once (one batch run a day). */
export const MAX_BACKFILL_DAYS = 31;

const DAY_MS = 86_400_000;

/**
 * The as-of times of a backfill from `from` to `to` (dates YYYY-MM-DD, both included): each day
 * at 00:00 UTC. 400 naming the field when a date is not a calendar date, the range is reversed,
 * or it is longer than MAX_BACKFILL_DAYS.
 */
export function backfillDays(from: string, to: string): string[] {
  const start = calendarDay(from, 'from');
  const end = calendarDay(to, 'to');
  if (end < start) throw InvalidField(['body', 'to'], `${to} is before "from" (${from})`);
  const days = (end - start) / DAY_MS + 1;
  if (days > MAX_BACKFILL_DAYS) {
    throw InvalidField(
      ['body', 'to'],
      `at most ${MAX_BACKFILL_DAYS} days at once (${from} to ${to} is ${days})`,
    );
  }
  return Array.from({ length: days }, (_, i) =>
    new Date(start + i * DAY_MS).toISOString().replace('.000Z', 'Z'),
  );
}

function calendarDay(value: string, field: string): number {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  // Date.parse rolls 2024-02-30 over to March: a real day prints back as itself.
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value) {
    throw InvalidField(['body', field], `${JSON.stringify(value)} is not a date (YYYY-MM-DD)`);
  }
  return t;
}
