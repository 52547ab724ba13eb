export {
  GENERATED_LAYOUT,
  SEED_LAYOUT,
  csvCell,
  csvFieldAt,
  parseCsvHeader,
  parseCsvLine,
} from './csv';
export type { CsvLayout } from './csv';
export { ROW, RULES, type FieldError, type Rule } from './errors';
export { EVENT_ID_NAMESPACE, deriveEventId } from './event-id';
export { FIELDS, GENERATED_COLUMNS, MAX_LINE_BYTES, SEED_COLUMNS } from './fields';
export { parseNdjsonLine } from './ndjson';
export { NORMALIZED_TIMESTAMP, RAW_EVENT_JSON_SCHEMA, RawEvent } from './raw-event';
export { validate, type ParseResult, type RawRecord, type SourceRef } from './validate';
