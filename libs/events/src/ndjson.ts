import { fieldError, ROW } from './errors';
import { EVENT_ID_FIELD, FIELDS, FieldSpec } from './fields';
import { ParseResult, RawRecord, SourceRef, validate } from './validate';

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
  const record: RawRecord = {};
  for (const f of NDJSON_FIELDS) {
    const v = input[f.name];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') record[f.name] = v;
    else if (typeof v === 'number' && f.kind !== 'id' && f.kind !== 'string') {
      record[f.name] = Number.isFinite(v) ? String(v) : 'NaN';
    } else {
      const want = f.kind === 'id' || f.kind === 'string' ? 'a string' : 'a number or string';
      return {
        ok: false,
        error: fieldError(f.name, 'type', `JSON ${typeof v} where ${want} is expected`),
      };
    }
  }
  return validate(record, source);
}
