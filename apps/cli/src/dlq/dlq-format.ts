import type { DeadLetterListing } from '@fstore/ingest/dlq';
import { formatTable } from '../format-table';

/** `fstore dlq list`'s text: the letters by service and rule, then the newest ones. */
export function formatListing(l: DeadLetterListing): string {
  const lines = [`${l.total} dead letters`];
  if (l.by_rule.length > 0) {
    const rows = l.by_rule.map((r) => [r.service, r.rule, String(r.count)]);
    lines.push('', formatTable(['service', 'rule', 'letters'], rows));
  }
  if (l.newest.length > 0) {
    const rows = l.newest.map((s) => [
      s.time,
      `${s.partition}/${s.offset}`,
      s.service ?? 'unreadable',
      s.rule ?? '-',
      s.field ?? '-',
      s.source ?? '-',
      s.message,
    ]);
    const header = ['time', 'partition/offset', 'service', 'rule', 'field', 'source', 'message'];
    lines.push('', 'newest first:', formatTable(header, rows));
  }
  return lines.join('\n');
}
