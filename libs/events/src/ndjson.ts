import { fieldError, ROW } from './errors';
import { EVENT_ID_FIELD, FIELDS, FieldSpec } from './fields';
import { ParseResult, SourceRef, validateCells } from './validate';

const NDJSON_FIELDS: readonly FieldSpec[] = [EVENT_ID_FIELD, ...FIELDS];

/**
 * Parses and validates one NDJSON line: a JSON object with the snake_case field names of the
 * message format. Numbers may be JSON numbers or numeric strings; null or an absent key = empty.
 * Unknown keys are ignored.
 */
export function parseNdjsonLine(line: string, source?: SourceRef): ParseResult {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: fieldError(ROW, 'json', (e as Error).message) };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, error: fieldError(ROW, 'json', 'not a JSON object') };
  }
  const input = obj as Record<string, unknown>;
  const cells: (string | null)[] = [];
  for (const f of NDJSON_FIELDS) {
    const v = input[f.name];
    if (v === undefined || v === null) cells.push(null);
    else if (typeof v === 'string') cells.push(v);
    else if (typeof v === 'number' && f.kind !== 'id' && f.kind !== 'string') {
      cells.push(Number.isFinite(v) ? String(v) : 'NaN');
    } else {
      const want = f.kind === 'id' || f.kind === 'string' ? 'a string' : 'a number or string';
      return {
        ok: false,
        error: fieldError(f.name, 'type', `JSON ${typeof v} where ${want} is expected`),
      };
    }
  }
  // NDJSON_FIELDS starts with event_id; the payload cells follow in FIELDS order.
  return validateCells(cells.slice(1), cells[0], source);
}
