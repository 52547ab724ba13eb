/**
 * The raw event of docs/design.md §2, field by field: the single definition the parser, the
 * validator, the class-validator class and the JSON Schema are all built from or checked against.
 */
export type FieldKind = 'id' | 'string' | 'decimal' | 'int' | 'timestamp';

export interface FieldSpec {
  /** snake_case name: the JSON message field and the NDJSON input field. */
  name: string;
  /** Column name in the seed CSV header (EventID is our optional 15th column). */
  column: string;
  kind: FieldKind;
  /** Required fields may not be empty; the others are null when empty. */
  required: boolean;
  maxLength?: number;
  min?: number;
  max?: number;
  /** Bounds reported as one closed range (rule `range`) rather than `min`/`max`. */
  range?: boolean;
}

/** Largest value of an int field (a 32-bit signed INT downstream). */
export const INT_MAX = 2_147_483_647;
/** decimal(10,2): at most 8 integer digits and 2 fractional digits. */
export const PRICE_INTEGER_DIGITS = 8;
export const PRICE_SCALE = 2;

export const FIELDS = [
  { name: 'customer_id', column: 'CustomerID', kind: 'id', required: true, maxLength: 64 },
  { name: 'product_id', column: 'ProductID', kind: 'id', required: true, maxLength: 64 },
  { name: 'category', column: 'Category', kind: 'id', required: true, maxLength: 64 },
  { name: 'price', column: 'Price', kind: 'decimal', required: true, min: 0 },
  { name: 'quantity', column: 'Quantity', kind: 'int', required: true, min: 1, max: INT_MAX },
  { name: 'transaction_date', column: 'TransactionDate', kind: 'timestamp', required: true },
  {
    name: 'review_rating',
    column: 'ReviewRating',
    kind: 'int',
    required: false,
    min: 1,
    max: 5,
    range: true,
  },
  { name: 'review_text', column: 'ReviewText', kind: 'string', required: false, maxLength: 2000 },
  {
    name: 'customer_age',
    column: 'CustomerAge',
    kind: 'int',
    required: false,
    min: 0,
    max: INT_MAX,
  },
  {
    name: 'customer_gender',
    column: 'CustomerGender',
    kind: 'string',
    required: false,
    maxLength: 64,
  },
  { name: 'country', column: 'Country', kind: 'string', required: false, maxLength: 64 },
  { name: 'device_type', column: 'DeviceType', kind: 'string', required: false, maxLength: 64 },
  {
    name: 'browsing_duration',
    column: 'BrowsingDuration',
    kind: 'int',
    required: false,
    min: 0,
    max: INT_MAX,
  },
  {
    name: 'previous_purchases',
    column: 'PreviousPurchases',
    kind: 'int',
    required: false,
    min: 0,
    max: INT_MAX,
  },
] as const satisfies readonly FieldSpec[];

/** The input's own event id (optional: derived from file + line when absent). */
export const EVENT_ID_FIELD = {
  name: 'event_id',
  column: 'EventID',
  kind: 'id',
  required: false,
  maxLength: 128,
} as const satisfies FieldSpec;

export type PayloadFieldName = (typeof FIELDS)[number]['name'];

/** The seed's 14 columns, in the seed's order. */
export const SEED_COLUMNS: readonly string[] = FIELDS.map((f) => f.column);
/** The generator's 15 columns: the seed's plus EventID at the end. */
export const GENERATED_COLUMNS: readonly string[] = [...SEED_COLUMNS, EVENT_ID_FIELD.column];

/** Longest input line accepted (bytes); longer lines are dead-lettered, truncated. */
export const MAX_LINE_BYTES = 64 * 1024;
