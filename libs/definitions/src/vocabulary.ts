/**
 * What a user writes in `features/` (docs/design.md §7): entities, sources and features, built with the
 * functions below. The builders only tag and freeze what they are given; every check happens when
 * the folder is loaded (load.ts), so that an error can name the file, the feature and the field.
 */

/** A raw-event column's type: `string`, `int`, `bigint`, `double`, `boolean`, `timestamp`, `decimal(p,s)`. */
export type ColumnTypeName = string;

/** The types a feature value has in the online store (docs/online-store-format.md). */
export type FeatureType = 'int' | 'decimal' | 'double';
export const FEATURE_TYPES: readonly FeatureType[] = ['int', 'decimal', 'double'];

export type FeatureEngine = 'stream' | 'batch';
export const FEATURE_ENGINES: readonly FeatureEngine[] = ['stream', 'batch'];

export interface EntitySpec {
  /** Lowercase snake_case; the API's entity name. */
  name: string;
  /** The raw-event columns that identify one entity, in key order (`{c1}_{p1}`). */
  keys: readonly string[];
  description: string;
}

export interface Entity extends EntitySpec {
  readonly kind: 'entity';
}

export interface SourceSpec {
  name: string;
  description: string;
  /** The Kafka topic streaming jobs read. */
  topic: string;
  /** The lake table (`db.table`) batch jobs read. */
  table: string;
  /** The column identifying an event: a redelivery carries the same id and counts once. */
  eventId: string;
  /** The column holding the event time, a timestamp. */
  eventTime: string;
  /** Raw columns and their types, as the events carry them. */
  columns: Readonly<Record<string, ColumnTypeName>>;
  /** Columns computed from raw ones, as SQL expressions over them: `{ amount: 'price * quantity' }`. */
  derived?: Readonly<Record<string, string>>;
}

export interface Source extends SourceSpec {
  readonly kind: 'source';
}

export type Reducer = 'avg' | 'sum' | 'min' | 'max' | 'count';
export const REDUCERS: readonly Reducer[] = ['avg', 'sum', 'min', 'max', 'count'];

/** The closed vocabulary of aggregations. */
export type Aggregation =
  { op: 'last' } | { op: 'last_k'; k: number; reduce: Reducer } | { op: Reducer; window: string };
export const AGGREGATION_OPS = ['last', 'last_k', ...REDUCERS] as const;

/** How a client of the original system asked for a feature (the seed's API). */
export interface LegacyEndpoint {
  path: string;
  responseField: string;
  notFoundCode: number;
}

export interface FeatureSpec {
  /** Lowercase snake_case; the key prefix in Redis (`<name>:{…}`) and the name in the API. */
  name: string;
  entity: Entity;
  source: Source;
  engine: FeatureEngine;
  aggregation: Aggregation;
  /** The column or SQL expression aggregated; may be left out for `count`. */
  of?: string;
  /** Only events for which this SQL expression is true count. */
  filter?: string;
  /**
   * For `last` / `last_k` only: consider events in (T − window, T] (batch) instead of all events
   * up to T. Time-window aggregations carry their window in `aggregation`.
   */
  window?: string;
  /** For time windows served online: the tile size (default: the window / 60). */
  granularity?: string;
  type: FeatureType;
  description: string;
  owner: string;
  tags?: readonly string[];
  legacy?: LegacyEndpoint;
}

export interface Feature extends FeatureSpec {
  readonly kind: 'feature';
}

export const entity = (spec: EntitySpec): Entity => Object.freeze({ ...spec, kind: 'entity' });
export const source = (spec: SourceSpec): Source => Object.freeze({ ...spec, kind: 'source' });
export const feature = (spec: FeatureSpec): Feature => Object.freeze({ ...spec, kind: 'feature' });

/** The value of the latest event. */
export const last = (): Aggregation => ({ op: 'last' });
/** The K latest events, reduced. */
export const lastK = (k: number, reduce: Reducer): Aggregation => ({ op: 'last_k', k, reduce });
/** A reduction over a time window ending at the read time (stream) or the as-of time (batch). */
export const sum = (window: string): Aggregation => ({ op: 'sum', window });
export const count = (window: string): Aggregation => ({ op: 'count', window });
export const avg = (window: string): Aggregation => ({ op: 'avg', window });
export const min = (window: string): Aggregation => ({ op: 'min', window });
export const max = (window: string): Aggregation => ({ op: 'max', window });

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `1h`, `7d` → milliseconds; undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^([1-9]\d{0,6})([smhd])$/.exec(typeof text === 'string' ? text.trim() : '');
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/** Milliseconds in the largest unit that divides them: 2592000000 → `30d`, 1440000 → `24m`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}
