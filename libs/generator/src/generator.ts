import { once } from 'events';
import { createWriteStream } from 'fs';
import { FIELDS, GENERATED_COLUMNS, csvCell } from '@fstore/events';
import { fmix32, Prng, Zipf } from './prng';
import { ProgressBar } from './progress';
import { GENERATOR_DEFAULTS } from './defaults';

export { GENERATOR_DEFAULTS };

/** The malformed rows the generator injects: one per rule of docs/design.md §2, in turn. */
export const MALFORMED_KINDS = [
  'missing_field',
  'non_numeric_price',
  'rating_out_of_range',
  'impossible_date',
  'negative_price',
  'wrong_column_count',
  'invalid_utf8',
  'oversized_field',
  'zero_quantity',
  'bad_date_format',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

export type DataFormat = 'csv' | 'ndjson';

/** The dead-letter reason (field, rule) the producer must give a row of this kind. */
export function expectedReason(
  kind: MalformedKind,
  format: DataFormat,
): { field: string; rule: string } {
  switch (kind) {
    case 'missing_field':
      return { field: 'customer_id', rule: 'required' };
    case 'non_numeric_price':
      return { field: 'price', rule: 'number' };
    case 'rating_out_of_range':
      return { field: 'review_rating', rule: 'range' };
    case 'impossible_date':
      return { field: 'transaction_date', rule: 'date' };
    case 'negative_price':
      return { field: 'price', rule: 'min' };
    case 'wrong_column_count':
      return format === 'csv'
        ? { field: 'row', rule: 'column_count' }
        : { field: 'row', rule: 'json' };
    case 'invalid_utf8':
      return { field: format === 'csv' ? 'review_text' : 'row', rule: 'utf8' };
    case 'oversized_field':
      return { field: 'product_id', rule: 'max_length' };
    case 'zero_quantity':
      return { field: 'quantity', rule: 'min' };
    case 'bad_date_format':
      return { field: 'transaction_date', rule: 'format' };
  }
}

export interface GenerateOptions {
  rows: number;
  seed: number;
  out: string;
  /** Default: from the file extension (.ndjson/.jsonl → ndjson, otherwise csv). */
  format?: DataFormat;
  customers?: number;
  products?: number;
  categories?: number;
  /** First event day, YYYY-MM-DD (UTC). */
  start?: string;
  spanDays?: number;
  /** Share of rows that redeliver a recent row (same event_id, same bytes). */
  duplicates?: number;
  /** Largest out-of-order delay of an event time behind the arrival clock, seconds. */
  maxDelaySeconds?: number;
  /** Share of rows that break a rule (the kinds in turn, so each occurs). */
  malformed?: number;
  /** Zipf exponent of customer and product popularity. */
  zipf?: number;
  /** Progress on stderr: a bar on a terminal, else a plain line every 5 s (progress.ts). */
  progress?: boolean;
  onMalformed?: (line: number, kind: MalformedKind) => void;
}

export interface GenerateSummary {
  rows: number;
  bytes: number;
  duplicates: number;
  malformed: number;
  malformedByKind: Partial<Record<MalformedKind, number>>;
  format: DataFormat;
}

const CATEGORY_NAMES = [
  'Electronics',
  'Fashion',
  'Home & Garden',
  'Sports',
  'Beauty',
  'Books',
  'Toys',
  'Grocery',
  'Automotive',
  'Health',
  'Music',
  'Garden',
];
const COUNTRIES = [
  'Jamaica',
  'Samoa',
  'Netherlands',
  'Germany',
  'France',
  'Brazil',
  'India',
  'Japan',
  'Kenya',
  'Canada',
  'Mexico',
  'Norway',
  'Peru',
  'Chile',
  'Spain',
  'Italy',
];
const GENDERS = ['Female', 'Male', 'Other'];
const DEVICES = ['Mobile', 'Desktop', 'Tablet'];
const WORDS = (
  'grow buy east task hot only however few go sing role look song account idea medical it ' +
  'conference down great value quality fast ship price good bad fine love hate return box ' +
  'color size fit cheap worth again never always gift friend family daily work home easy hard'
).split(' ');

/** Column index of each field in a generated row (FIELDS order, then EventID). */
const C = Object.fromEntries(FIELDS.map((f, i) => [f.name, i])) as Record<string, number>;
const EVENT_ID = FIELDS.length;

function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 10) + ' ' + iso.slice(11, 19);
}

function reviewText(rng: Prng): string {
  const n = rng.int(4, 8);
  let s = rng.pick(WORDS);
  s = s[0].toUpperCase() + s.slice(1);
  for (let i = 1; i < n; i++) s += ' ' + rng.pick(WORDS);
  // Now and then a comma and quotes, so the CSV needs quoting.
  return rng.chance(0.01) ? `${s}, "really".` : s + '.';
}

function toNdjson(cells: string[]): string {
  const obj: Record<string, string | number | null> = { event_id: cells[EVENT_ID] || null };
  FIELDS.forEach((f, i) => {
    const v = cells[i];
    if (v === '') obj[f.name] = null;
    else if ((f.kind === 'int' || f.kind === 'decimal') && /^-?\d+(\.\d+)?$/.test(v)) {
      obj[f.name] = Number(v);
    } else obj[f.name] = v;
  });
  return JSON.stringify(obj);
}

/**
 * Writes a deterministic synthetic data set (same options and seed ⇒ same bytes), streaming in
 * constant memory: Zipf-skewed customers and products, event times over [start, start + span)
 * with out-of-order delays and deliberate ties, redeliveries and malformed rows.
 */
export async function generate(options: GenerateOptions): Promise<GenerateSummary> {
  const o = { ...GENERATOR_DEFAULTS, ...options };
  const format: DataFormat = o.format ?? (/\.(nd)?jsonl?$/i.test(o.out) ? 'ndjson' : 'csv');
  const rng = new Prng(o.seed);
  const salt = rng.u32();
  const customers = new Zipf(o.customers, o.zipf);
  const products = new Zipf(o.products, o.zipf);
  const categoryNames = Array.from({ length: o.categories }, (_, i) =>
    i < CATEGORY_NAMES.length ? CATEGORY_NAMES[i] : `Category ${i + 1}`,
  );
  const categories = new Zipf(o.categories, 0.6);
  const startMs = Date.parse(`${o.start}T00:00:00Z`);
  if (Number.isNaN(startMs)) throw new Error(`start: "${o.start}" is not a YYYY-MM-DD date`);
  const spanMs = o.spanDays * 86400_000;

  const out = createWriteStream(o.out, { highWaterMark: 1 << 20 });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  let pending = '';
  let bytes = 0;
  const flush = async (extra?: Buffer) => {
    const chunk = extra ? Buffer.concat([Buffer.from(pending), extra]) : Buffer.from(pending);
    pending = '';
    bytes += chunk.length;
    if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
  };

  let line = 0;
  if (format === 'csv') {
    pending += GENERATED_COLUMNS.join(',') + '\n';
    line = 1;
  }
  const recent: string[] = [];
  const summary: GenerateSummary = {
    rows: o.rows,
    bytes: 0,
    duplicates: 0,
    malformed: 0,
    malformedByKind: {},
    format,
  };
  const bar = o.progress ? ProgressBar.forStderr(o.rows, 'rows', 'generate') : undefined;
  let prevTime = startMs;
  let prevCustomer = 0;
  let prevProduct = 0;

  for (let i = 0; i < o.rows; i++) {
    line++;
    if (recent.length > 0 && rng.chance(o.duplicates)) {
      pending += rng.pick(recent) + '\n';
      summary.duplicates++;
    } else {
      // Arrival clock, then the event time: sometimes late by up to maxDelay, sometimes tied.
      let time = startMs + Math.floor((spanMs * i) / o.rows / 1000) * 1000;
      let c: number;
      let p: number;
      if (rng.chance(0.03)) {
        time = prevTime;
        const sameKeys = rng.chance(0.5);
        c = sameKeys ? prevCustomer : customers.sample(rng);
        p = sameKeys ? prevProduct : products.sample(rng);
      } else {
        if (rng.chance(0.25)) {
          time = Math.max(startMs, time - rng.int(0, o.maxDelaySeconds) * 1000);
        }
        c = customers.sample(rng);
        p = products.sample(rng);
      }
      prevTime = time;
      prevCustomer = c;
      prevProduct = p;
      const ch = fmix32(c ^ salt);
      const ph = fmix32(p ^ (salt + 0x632be5ab));
      const rated = rng.chance(0.85);
      const cells = [
        ch.toString(16).padStart(8, '0'),
        ph.toString(16).padStart(8, '0'),
        categoryNames[categories.quantile((ph >>> 12) / 1048576)],
        String(5 + (ph % 195)) + ['', '', '.99', '.49', '.5'][(ph >>> 8) % 5],
        String(1 + Math.floor(4 * rng.next() * rng.next())),
        formatTime(time),
        rated ? String(rng.int(1, 5)) : '',
        rated ? reviewText(rng) : '',
        String(18 + (ch % 60)),
        GENDERS[(ch >>> 8) % GENDERS.length],
        COUNTRIES[(ch >>> 12) % COUNTRIES.length],
        rng.pick(DEVICES),
        String(rng.int(5, 600)),
        String(rng.int(0, 20)),
        rng.hex16(),
      ];
      if (o.malformed > 0 && rng.chance(o.malformed)) {
        const kind = MALFORMED_KINDS[summary.malformed % MALFORMED_KINDS.length];
        summary.malformed++;
        summary.malformedByKind[kind] = (summary.malformedByKind[kind] ?? 0) + 1;
        o.onMalformed?.(line, kind);
        const bad = breakRow(cells, kind, format);
        if (typeof bad === 'string') pending += bad + '\n';
        else await flush(Buffer.concat([bad, Buffer.from('\n')]));
      } else {
        const text =
          format === 'csv'
            ? cells.slice(0, C.review_text).join(',') +
              ',' +
              csvCell(cells[C.review_text]) +
              ',' +
              cells.slice(C.review_text + 1).join(',')
            : toNdjson(cells);
        pending += text + '\n';
        if (recent.length < 256) recent.push(text);
        else recent[rng.int(0, 255)] = text;
      }
    }
    if (pending.length > 1 << 18) await flush();
    if (bar && (i & 1023) === 0) bar.update(i);
  }
  await flush();
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  bar?.done(o.rows);
  summary.bytes = bytes;
  return summary;
}

/** Turns a valid row into one that breaks exactly the rule of `kind`. */
function breakRow(cells: string[], kind: MalformedKind, format: DataFormat): string | Buffer {
  const c = [...cells];
  const encode = (cs: string[]) => (format === 'csv' ? cs.map(csvCell).join(',') : toNdjson(cs));
  switch (kind) {
    case 'missing_field':
      c[C.customer_id] = '';
      break;
    case 'non_numeric_price':
      c[C.price] = 'abc';
      break;
    case 'rating_out_of_range':
      c[C.review_rating] = '7';
      break;
    case 'impossible_date':
      c[C.transaction_date] =
        c[C.transaction_date].slice(0, 5) + '02-30' + c[C.transaction_date].slice(10);
      break;
    case 'negative_price':
      c[C.price] = '-' + c[C.price];
      break;
    case 'wrong_column_count': {
      if (format === 'csv') return c.slice(0, -3).join(',');
      const json = toNdjson(c);
      return json.slice(0, json.length >> 1);
    }
    case 'invalid_utf8': {
      c[C.review_text] = 'Bad bytes XX here.';
      c[C.review_rating] = c[C.review_rating] || '3';
      const [before, after] = encode(c).split('XX');
      return Buffer.concat([
        Buffer.from(before),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from(after),
      ]);
    }
    case 'oversized_field':
      c[C.product_id] = 'p'.repeat(65) + c[C.product_id];
      break;
    case 'zero_quantity':
      c[C.quantity] = '0';
      break;
    case 'bad_date_format':
      c[C.transaction_date] = c[C.transaction_date].replace(
        /^(\d{4})-(\d{2})-(\d{2}) /,
        '$2/$3/$1 ',
      );
      break;
  }
  return encode(c);
}
