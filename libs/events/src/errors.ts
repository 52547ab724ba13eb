/**
 * The producer's validation rules, each with what breaking it means: the `rule` of a rejected
 * record (and of its dead letter, docs/dead-letter-format.md).
 */
export const RULES = {
  required: 'a required field is empty or missing',
  max_length: 'a string longer than its limit',
  number: 'not a decimal number',
  decimal: 'more than 2 fractional or 8 integer digits (decimal(10,2))',
  integer: 'not an integer',
  min: 'below the lower bound (price ≥ 0, quantity ≥ 1, counts ≥ 0)',
  max: 'above the upper bound of an int',
  range: 'outside a closed range (review_rating 1..5)',
  format: 'a timestamp in neither ISO-8601 nor `YYYY-MM-DD HH:MM:SS`',
  date: 'a well-formed but impossible date or time (2024-02-30, 25:00:00)',
  type: 'NDJSON: a value of the wrong JSON type',
  column_count: 'CSV: not 14 (or 15 with EventID) columns',
  quote: 'CSV: an unterminated or misplaced quote',
  json: 'NDJSON: not a JSON object',
  utf8: 'bytes that are not valid UTF-8',
  line_length: 'a line longer than MAX_LINE_BYTES',
} as const;

/** Why a record was rejected: which field (or `row`), which rule, and a readable message. */
export type Rule = keyof typeof RULES;

export interface FieldError {
  /** snake_case field name, or `row` when the record as a whole is broken. */
  field: string;
  rule: Rule;
  message: string;
}

export const ROW = 'row';

export function fieldError(field: string, rule: Rule, message: string): FieldError {
  return { field, rule, message };
}
