/** The longest backfill the console starts at once (one batch run a day). */
export const MAX_BACKFILL_DAYS = 31;

/**
 * The as-of times of a backfill from `from` to `to` (ISO dates, both included): each day at
 * 00:00 UTC, what one run started "as of" that date gets. An error message instead when the
 * range is empty, reversed or longer than MAX_BACKFILL_DAYS.
 */
export function backfillDays(from: string, to: string): string[] | { error: string } {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (!day.test(from) || !day.test(to)) return { error: 'choose both dates' };
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(start) || Number.isNaN(end)) return { error: 'choose both dates' };
  if (end < start) return { error: '"to" is before "from"' };
  const days = (end - start) / 86_400_000 + 1;
  if (days > MAX_BACKFILL_DAYS) {
    return { error: `at most ${MAX_BACKFILL_DAYS} days at once (this range has ${days})` };
  }
  return Array.from({ length: days }, (_, i) =>
    new Date(start + i * 86_400_000).toISOString().replace('.000Z', 'Z'),
  );
}
