import { fieldError, FieldError } from './errors';
import { deriveEventId } from './event-id';
import { EVENT_ID_FIELD, FIELDS, FieldSpec, PRICE_INTEGER_DIGITS, PRICE_SCALE } from './fields';
import { RawEvent } from './raw-event';

/** A record as read from the input: field name → text (CSV cell or NDJSON value), null = absent. */
export type RawRecord = Record<string, string | null | undefined>;

/** Where a record came from: used for the derived event_id and for dead letters. */
export interface SourceRef {
  /** File basename (or `stdin`). */
  file: string;
  /** 1-based physical line. */
  line: number;
}

export type ParseResult = { ok: true; event: RawEvent } | { ok: false; error: FieldError };

const INT_RE = /^-?\d+$/;
const DECIMAL_RE = /^-?(\d+)(?:\.(\d+))?$/;
const TS_RE =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

const pad2 = (n: number) => (n < 10 ? '0' + n : String(n));

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS[month - 1];
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/** Two ASCII digits at i as a number, or -1. */
function digits2(t: string, i: number): number {
  const a = t.charCodeAt(i) - 48;
  const b = t.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** `YYYY-MM-DD HH:MM:SS` exactly (the seed's form), checked without a regex; else undefined. */
function plainTimestamp(t: string): string | FieldError | undefined {
  if (t.length !== 19 || t[4] !== '-' || t[7] !== '-' || t[10] !== ' ') return undefined;
  if (t[13] !== ':' || t[16] !== ':') return undefined;
  const y1 = digits2(t, 0);
  const y2 = digits2(t, 2);
  const month = digits2(t, 5);
  const day = digits2(t, 8);
  const hour = digits2(t, 11);
  const minute = digits2(t, 14);
  const second = digits2(t, 17);
  if (y1 < 0 || y2 < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
    return undefined;
  }
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(y1 * 100 + y2, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return fieldError('transaction_date', 'date', `"${t}" is not a real date and time`);
  }
  return t;
}

/** Parses a timestamp into the normalized UTC form `YYYY-MM-DD HH:MM:SS[.fff]`. */
export function normalizeTimestamp(text: string): string | FieldError {
  const plain = plainTimestamp(text);
  if (plain !== undefined) return plain;
  const m = TS_RE.exec(text);
  const field = 'transaction_date';
  if (!m) {
    return fieldError(
      field,
      'format',
      `"${text.slice(0, 40)}" is neither ISO-8601 nor YYYY-MM-DD HH:MM:SS`,
    );
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return fieldError(field, 'date', `"${text}" is not a real date and time`);
  }
  const frac = m[7];
  const zone = m[8];
  if (!zone || zone === 'Z' || /^[+-]00:?00$/.test(zone)) {
    // Already UTC: keep the text (fast path, no Date).
    const base = `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`;
    const ms = frac ? frac.padEnd(3, '0').slice(0, 3) : '000';
    return ms === '000' ? base : `${base}.${ms}`;
  }
  const sign = zone[0] === '-' ? -1 : 1;
  const zh = Number(zone.slice(1, 3));
  const zm = Number(zone.slice(-2));
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  const t =
    Date.UTC(year, month - 1, day, hour, minute, second, ms) - sign * (zh * 60 + zm) * 60000;
  const d = new Date(t);
  const base =
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  return ms === 0 ? base : `${base}.${String(ms).padStart(3, '0')}`;
}

function checkString(f: FieldSpec, v: string): FieldError | undefined {
  if (f.maxLength !== undefined && v.length > f.maxLength) {
    return fieldError(f.name, 'max_length', `${v.length} characters, at most ${f.maxLength}`);
  }
  return undefined;
}

function parseInt32(f: FieldSpec, v: string): number | FieldError {
  if (!INT_RE.test(v))
    return fieldError(f.name, 'integer', `"${v.slice(0, 40)}" is not an integer`);
  const n = Number(v);
  if (f.range && f.min !== undefined && f.max !== undefined) {
    if (n < f.min || n > f.max) {
      return fieldError(f.name, 'range', `${v} is outside ${f.min}..${f.max}`);
    }
  }
  if (f.min !== undefined && n < f.min) return fieldError(f.name, 'min', `${v} is below ${f.min}`);
  if (f.max !== undefined && n > f.max) return fieldError(f.name, 'max', `${v} is above ${f.max}`);
  return n;
}

function parsePrice(f: FieldSpec, v: string): number | FieldError {
  const m = DECIMAL_RE.exec(v);
  if (!m) return fieldError(f.name, 'number', `"${v.slice(0, 40)}" is not a number`);
  if (v[0] === '-' && Number(v) !== 0) return fieldError(f.name, 'min', `${v} is below 0`);
  let lead = 0;
  while (lead < m[1].length - 1 && m[1].charCodeAt(lead) === 48) lead++;
  const intDigits = m[1].length - lead;
  if (intDigits > PRICE_INTEGER_DIGITS || (m[2] !== undefined && m[2].length > PRICE_SCALE)) {
    return fieldError(f.name, 'decimal', `${v} does not fit decimal(10,2)`);
  }
  return Math.abs(Number(v));
}

/** A fresh event with every field, in message order (one hidden class for all events). */
function emptyEvent(eventId: string): RawEvent {
  return {
    event_id: eventId,
    customer_id: '',
    product_id: '',
    category: '',
    price: 0,
    quantity: 0,
    transaction_date: '',
    review_rating: null,
    review_text: null,
    customer_age: null,
    customer_gender: null,
    country: null,
    device_type: null,
    browsing_duration: null,
    previous_purchases: null,
  };
}

type Cell = string | null | undefined;

/**
 * Validates the payload cells (FIELDS order) and the input's event id; the core of validate(),
 * parseCsvLine() and parseNdjsonLine().
 */
export function validateCells(
  cells: ArrayLike<Cell>,
  inputEventId: Cell,
  source?: SourceRef,
): ParseResult {
  let eventId = inputEventId;
  if (eventId === undefined || eventId === null || eventId === '') {
    if (!source) {
      return { ok: false, error: fieldError('event_id', 'required', 'no event_id and no source') };
    }
    eventId = deriveEventId(source.file, source.line);
  } else {
    const err = checkString(EVENT_ID_FIELD, eventId);
    if (err) return { ok: false, error: err };
  }
  const event = emptyEvent(eventId);
  const target = event as unknown as Record<string, unknown>;
  const fields = FIELDS as readonly FieldSpec[];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const v = cells[i];
    if (v === undefined || v === null || v === '') {
      if (f.required) return { ok: false, error: fieldError(f.name, 'required', 'empty') };
      continue; // stays null
    }
    let value: string | number | FieldError;
    switch (f.kind) {
      case 'id':
      case 'string': {
        const err = checkString(f, v);
        if (err) return { ok: false, error: err };
        value = v;
        break;
      }
      case 'int':
        value = parseInt32(f, v);
        break;
      case 'decimal':
        value = parsePrice(f, v);
        break;
      case 'timestamp':
        value = normalizeTimestamp(v);
        break;
    }
    if (typeof value === 'object') return { ok: false, error: value };
    target[f.name] = value;
  }
  return { ok: true, event };
}

/**
 * Validates one record against docs/design.md §2 and builds the event. The first broken rule, in
 * field order, is the reason. A missing event_id is derived from `source` (see deriveEventId).
 */
export function validate(record: RawRecord, source?: SourceRef): ParseResult {
  return validateCells(
    FIELDS.map((f) => record[f.name]),
    record[EVENT_ID_FIELD.name],
    source,
  );
}
