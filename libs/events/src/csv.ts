import { fieldError, FieldError, ROW } from './errors';
import { EVENT_ID_FIELD, FIELDS, GENERATED_COLUMNS, SEED_COLUMNS } from './fields';
import { ParseResult, SourceRef, validateCells } from './validate';

/** The column layout a CSV header declares: the seed's 14 columns, or those plus EventID. */
export interface CsvLayout {
  columns: readonly string[];
  hasEventId: boolean;
}

export const SEED_LAYOUT: CsvLayout = { columns: SEED_COLUMNS, hasEventId: false };
export const GENERATED_LAYOUT: CsvLayout = { columns: GENERATED_COLUMNS, hasEventId: true };

/** Reads a header line; accepts exactly the seed's columns, optionally followed by EventID. */
export function parseCsvHeader(line: string): CsvLayout | FieldError {
  const cells = splitCsv(line.replace(/^\uFEFF/, '').replace(/\r$/, ''));
  const names = Array.isArray(cells) ? cells.map((c) => c.trim()) : [];
  const same = (want: readonly string[]) =>
    names.length === want.length &&
    want.every((c, i) => c.toLowerCase() === names[i].toLowerCase());
  if (same(SEED_COLUMNS)) return SEED_LAYOUT;
  if (same(GENERATED_COLUMNS)) return GENERATED_LAYOUT;
  return fieldError(
    ROW,
    'column_count',
    `unexpected CSV header; want ${SEED_COLUMNS.join(',')}[,${EVENT_ID_FIELD.column}]`,
  );
}

/** Splits one CSV line (RFC 4180 quoting; a record never spans lines). */
export function splitCsv(line: string): string[] | FieldError {
  if (line.indexOf('"') < 0) return line.split(',');
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return fieldError(ROW, 'quote', 'unterminated quoted field');
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(value);
      if (i === n) return out;
      if (line[i] !== ',') return fieldError(ROW, 'quote', 'characters after a closing quote');
      i++;
    } else {
      const c = line.indexOf(',', i);
      const cell = c < 0 ? line.slice(i) : line.slice(i, c);
      if (cell.indexOf('"') >= 0) return fieldError(ROW, 'quote', 'quote inside an unquoted field');
      out.push(cell);
      if (c < 0) return out;
      i = c + 1;
    }
  }
}

/** Quotes a CSV cell when it has to be. */
export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Column index of a field's cell in a layout (for locating e.g. invalid bytes). */
export function csvFieldAt(layout: CsvLayout, index: number): string {
  if (index < FIELDS.length) return FIELDS[index].name;
  return layout.hasEventId && index === FIELDS.length ? EVENT_ID_FIELD.name : ROW;
}

/**
 * Parses and validates one CSV data line (without its line break). Columns follow `layout`
 * (default: the seed's 14); an empty EventID cell means "derive it from `source`".
 */
export function parseCsvLine(
  line: string,
  layout: CsvLayout = SEED_LAYOUT,
  source?: SourceRef,
): ParseResult {
  const cells = splitCsv(line);
  if (!Array.isArray(cells)) return { ok: false, error: cells };
  if (cells.length !== layout.columns.length) {
    return {
      ok: false,
      error: fieldError(
        ROW,
        'column_count',
        `${cells.length} columns, expected ${layout.columns.length}`,
      ),
    };
  }
  return validateCells(cells, layout.hasEventId ? cells[FIELDS.length] : undefined, source);
}
