import { toSql, typeName } from './expressions';
import { Registry } from './registry';

/**
 * The definitions as JSON: what the parts that are not TypeScript read (the PySpark jobs, Airflow),
 * so that no definition is ever restated in Python. Expressions are SQL re-printed from their
 * parsed trees (identifiers quoted), valid in Spark SQL as in Flink SQL. Field names are
 * snake_case; `format` changes when a field changes meaning.
 */
export const EXPORT_FORMAT = 1;

export interface ExportedDefinitions {
  format: number;
  entities: { name: string; keys: string[]; description: string }[];
  sources: {
    name: string;
    description: string;
    topic: string;
    table: string;
    event_id: string;
    event_time: string;
    columns: { name: string; type: string }[];
    derived: { name: string; sql: string; type: string }[];
  }[];
  features: {
    name: string;
    entity: string;
    keys: string[];
    source: string;
    engine: string;
    /** `last`, `last_k`, `sum`, `count`, `avg`, `min`, `max`. */
    aggregation: string;
    /** last_k: K and the reducer. */
    k: number | null;
    reduce: string | null;
    /** SQL over source (and derived) columns; null for a count of events. */
    of: string | null;
    of_type: string | null;
    filter: string | null;
    window_ms: number | null;
    /** The aggregation's window as written (`24h`); null for last/last_k. */
    window?: string | null;
    granularity_ms: number | null;
    type: string;
    description: string;
    owner: string;
    tags: string[];
    file: string;
    compute_hash: string;
  }[];
}

export function exportDefinitions(registry: Registry): ExportedDefinitions {
  return {
    format: EXPORT_FORMAT,
    entities: registry.entities.map((e) => ({ ...e, keys: [...e.keys] })),
    sources: registry.sources.map((s) => ({
      name: s.name,
      description: s.description,
      topic: s.topic,
      table: s.table,
      event_id: s.eventId,
      event_time: s.eventTime,
      columns: s.columns.map((c) => ({ name: c.name, type: typeName(c.type) })),
      derived: s.derived.map((d) => ({ name: d.name, sql: toSql(d.expr), type: typeName(d.type) })),
    })),
    features: registry.features.map((f) => ({
      name: f.name,
      entity: f.entity.name,
      keys: [...f.entity.keys],
      source: f.source,
      engine: f.engine,
      aggregation: f.aggregation.op,
      k: f.aggregation.op === 'last_k' ? f.aggregation.k : null,
      reduce: f.aggregation.op === 'last_k' ? f.aggregation.reduce : null,
      of: f.of ? toSql(f.of.expr) : null,
      of_type: f.of ? typeName(f.of.type) : null,
      filter: f.filter ? toSql(f.filter) : null,
      window_ms: f.windowMs ?? null,
      window: 'window' in f.aggregation ? f.aggregation.window : null,
      granularity_ms: f.granularityMs ?? null,
      type: f.type,
      description: f.description,
      owner: f.owner,
      tags: [...f.tags],
      file: f.file,
      compute_hash: f.computeHash,
    })),
  };
}
