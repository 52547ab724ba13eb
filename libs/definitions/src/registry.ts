import { createHash } from 'crypto';
import {
  ColumnType,
  Expr,
  ExpressionError,
  parseColumnType,
  parseExpression,
  toSql,
  typeName,
  typeOf,
} from './expressions';
import {
  AGGREGATION_OPS,
  Aggregation,
  Entity,
  Feature,
  FEATURE_ENGINES,
  FEATURE_TYPES,
  FeatureEngine,
  FeatureType,
  LegacyEndpoint,
  parseDuration,
  REDUCERS,
  Source,
} from './vocabulary';

/**
 * The definitions of `features/` once checked: every name resolved, every expression parsed and
 * typed. What the compilers, the JSON export, the serving API and the tests read.
 */
export interface Registry {
  entities: ResolvedEntity[];
  sources: ResolvedSource[];
  features: ResolvedFeature[];
}

export interface ResolvedEntity {
  name: string;
  keys: string[];
  description: string;
}

export interface DerivedColumn {
  name: string;
  expr: Expr;
  type: ColumnType;
}

export interface ResolvedSource {
  name: string;
  description: string;
  topic: string;
  table: string;
  eventId: string;
  eventTime: string;
  /** Raw columns, in the order declared. */
  columns: { name: string; type: ColumnType }[];
  derived: DerivedColumn[];
}

export interface ResolvedFeature {
  name: string;
  entity: ResolvedEntity;
  source: string;
  engine: FeatureEngine;
  aggregation: Aggregation;
  /** What is aggregated (absent for a count of events). */
  of?: { expr: Expr; type: ColumnType };
  filter?: Expr;
  /** The time window in ms: the aggregation's, or the optional bound of last/last_k. */
  windowMs?: number;
  window?: string;
  granularityMs?: number;
  type: FeatureType;
  description: string;
  owner: string;
  tags: string[];
  legacy?: LegacyEndpoint;
  /** The file under features/ that defines it. */
  file: string;
  /** Hash of what the feature computes (not its docs): equal hashes compute equal values. */
  computeHash: string;
}

/** A definition error: where it is and what is wrong. */
export interface DefinitionProblem {
  file: string;
  feature?: string;
  field: string;
  message: string;
}

export class DefinitionError extends Error {
  constructor(readonly problems: DefinitionProblem[]) {
    super(
      `${problems.length} problem(s) in the feature definitions:\n` +
        problems
          .map(
            (p) =>
              `  ${p.file}${p.feature ? ` feature "${p.feature}"` : ''} field "${p.field}": ${p.message}`,
          )
          .join('\n'),
    );
    this.name = 'DefinitionError';
  }
}

/** A valid key prefix and API name: Redis keys are `<name>:{…}`. */
const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const COLUMN = /^[a-z_][a-z0-9_]{0,63}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const TABLE = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

/** What one file under features/ exported, with the file's path relative to the project. */
export interface LoadedModule {
  file: string;
  exports: Record<string, unknown>;
}

const isTagged = (v: unknown, kind: string): boolean =>
  typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === kind;

/** Checks every definition the modules export; throws DefinitionError listing all problems. */
export function buildRegistry(modules: readonly LoadedModule[]): Registry {
  const problems: DefinitionProblem[] = [];
  const entityFile = new Map<Entity, string>();
  const sourceFile = new Map<Source, string>();
  const featureFiles: [Feature, string][] = [];
  for (const m of modules) {
    // A file may export a list, e.g. one feature per window: `['1h', '24h'].map((w) => feature(…))`.
    for (const value of Object.values(m.exports).flatMap((v) => (Array.isArray(v) ? v : [v]))) {
      if (isTagged(value, 'entity') && !entityFile.has(value as Entity)) {
        entityFile.set(value as Entity, m.file);
      } else if (isTagged(value, 'source') && !sourceFile.has(value as Source)) {
        sourceFile.set(value as Source, m.file);
      } else if (isTagged(value, 'feature') && !featureFiles.some(([f]) => f === value)) {
        featureFiles.push([value as Feature, m.file]);
      }
    }
  }

  const entities = new Map<Entity, ResolvedEntity>();
  const entityNames = new Map<string, string>();
  for (const [e, file] of entityFile) {
    const at = (field: string, message: string) => problems.push({ file, field, message });
    if (!NAME.test(String(e.name))) at('name', `entity name "${e.name}" is not ${NAME}`);
    else if (entityNames.has(e.name)) {
      at('name', `entity "${e.name}" is also defined in ${entityNames.get(e.name)}`);
    }
    entityNames.set(e.name, file);
    if (!Array.isArray(e.keys) || e.keys.length === 0) {
      at('keys', `entity "${e.name}" needs at least one key column`);
    } else {
      for (const k of e.keys) if (!COLUMN.test(k)) at('keys', `"${k}" is not a column name`);
    }
    entities.set(e, { name: e.name, keys: [...(e.keys ?? [])], description: e.description ?? '' });
  }

  const sources = new Map<Source, ResolvedSource>();
  const sourceNames = new Map<string, string>();
  for (const [s, file] of sourceFile) {
    const at = (field: string, message: string) => problems.push({ file, field, message });
    if (!NAME.test(String(s.name))) at('name', `source name "${s.name}" is not ${NAME}`);
    else if (sourceNames.has(s.name)) {
      at('name', `source "${s.name}" is also defined in ${sourceNames.get(s.name)}`);
    }
    sourceNames.set(s.name, file);
    if (!TOPIC.test(String(s.topic))) at('topic', `"${s.topic}" is not a Kafka topic name`);
    if (!TABLE.test(String(s.table))) at('table', `"${s.table}" is not a db.table name`);
    const columns: { name: string; type: ColumnType }[] = [];
    for (const [name, text] of Object.entries(s.columns ?? {})) {
      const type = parseColumnType(String(text));
      if (!COLUMN.test(name)) at(`columns.${name}`, `"${name}" is not a column name`);
      else if (!type) at(`columns.${name}`, `"${text}" is not a column type`);
      else columns.push({ name, type });
    }
    const byName = new Map(columns.map((c) => [c.name, c.type]));
    if (byName.get(s.eventId)?.kind !== 'string') {
      at('eventId', `"${s.eventId}" is not a string column of the source`);
    }
    if (byName.get(s.eventTime)?.kind !== 'timestamp') {
      at('eventTime', `"${s.eventTime}" is not a timestamp column of the source`);
    }
    const raw = new Map(byName);
    const derived: DerivedColumn[] = [];
    for (const [name, text] of Object.entries(s.derived ?? {})) {
      if (!COLUMN.test(name)) at(`derived.${name}`, `"${name}" is not a column name`);
      else if (byName.has(name)) at(`derived.${name}`, `"${name}" is already a column`);
      try {
        const expr = parseExpression(String(text));
        // Derived columns are over raw columns only: one level, no order to resolve.
        const type = typeOf(expr, raw);
        derived.push({ name, expr, type });
        byName.set(name, type);
      } catch (e) {
        at(`derived.${name}`, (e as Error).message);
      }
    }
    sources.set(s, {
      name: s.name,
      description: s.description ?? '',
      topic: s.topic,
      table: s.table,
      eventId: s.eventId,
      eventTime: s.eventTime,
      columns,
      derived,
    });
  }

  const features: ResolvedFeature[] = [];
  const featureNames = new Map<string, string>();
  for (const [f, file] of featureFiles) {
    const at = (field: string, message: string) =>
      problems.push({ file, feature: String(f.name), field, message });
    const before = problems.length;
    if (!NAME.test(String(f.name))) {
      at('name', `"${f.name}" is not a valid key prefix (${NAME})`);
    } else if (featureNames.has(f.name)) {
      at('name', `duplicate name: also defined in ${featureNames.get(f.name)}`);
    }
    featureNames.set(f.name, file);
    const ent = entities.get(f.entity);
    if (!ent) at('entity', 'not an entity() exported by a file under features/');
    const src = sources.get(f.source);
    if (!src) at('source', 'not a source() exported by a file under features/');
    if (!FEATURE_ENGINES.includes(f.engine)) {
      at('engine', `"${f.engine}" is not one of ${FEATURE_ENGINES.join(', ')}`);
    }
    if (!FEATURE_TYPES.includes(f.type)) {
      at('type', `"${f.type}" is not one of ${FEATURE_TYPES.join(', ')}`);
    }
    if (!f.description) at('description', 'a feature needs a description');
    if (!f.owner) at('owner', 'a feature needs an owner');
    if (!ent || !src) continue;

    const columns = new Map<string, ColumnType>([
      ...src.columns.map((c) => [c.name, c.type] as const),
      ...src.derived.map((d) => [d.name, d.type] as const),
    ]);
    for (const k of ent.keys) {
      const t = columns.get(k);
      if (!t)
        at('entity', `key column "${k}" of entity "${ent.name}" is not a column of ${src.name}`);
      else if (t.kind !== 'string')
        at('entity', `key column "${k}" is a ${typeName(t)}, not a string`);
    }

    const agg = f.aggregation as Aggregation | undefined;
    let windowMs: number | undefined;
    let window: string | undefined;
    if (!agg || !(AGGREGATION_OPS as readonly string[]).includes(agg.op)) {
      at('aggregation', `"${agg?.op}" is not one of ${AGGREGATION_OPS.join(', ')}`);
      continue;
    }
    if (agg.op === 'last_k') {
      if (!Number.isInteger(agg.k) || agg.k < 1 || agg.k > 1000) {
        at('aggregation.k', `K must be an integer from 1 to 1000, not ${agg.k}`);
      }
      if (!REDUCERS.includes(agg.reduce)) {
        at('aggregation.reduce', `"${agg.reduce}" is not one of ${REDUCERS.join(', ')}`);
      }
    }
    if (agg.op === 'last' || agg.op === 'last_k') {
      if (f.window !== undefined) {
        windowMs = parseDuration(f.window);
        window = f.window;
        if (windowMs === undefined)
          at('window', `"${f.window}" is not a duration like 1h, 24h, 7d`);
      }
    } else {
      windowMs = parseDuration(agg.window);
      window = agg.window;
      if (windowMs === undefined) {
        at('aggregation.window', `"${agg.window}" is not a duration like 1h, 24h, 7d`);
      }
      if (f.window !== undefined) at('window', 'a time-window aggregation carries its own window');
    }
    let granularityMs: number | undefined;
    const streamWindow = f.engine === 'stream' && agg.op !== 'last' && agg.op !== 'last_k';
    if (f.granularity !== undefined) {
      granularityMs = parseDuration(f.granularity);
      if (granularityMs === undefined) at('granularity', `"${f.granularity}" is not a duration`);
      else if (!streamWindow) {
        at('granularity', 'only stream time-window aggregations have a granularity (tiles)');
      } else if (windowMs !== undefined && windowMs % granularityMs !== 0) {
        at('granularity', `the window ${window} is not a whole number of ${f.granularity}`);
      } else if (windowMs !== undefined && windowMs / granularityMs > MAX_TILES) {
        at(
          'granularity',
          `${window} in tiles of ${f.granularity} is ${windowMs / granularityMs} tiles; ` +
            `a read merges them all, so at most ${MAX_TILES}`,
        );
      }
    } else if (streamWindow && windowMs !== undefined) {
      granularityMs = defaultGranularity(windowMs);
      if (granularityMs === undefined) {
        at(
          'aggregation.window',
          `a stream window must be at least 1m (tiles of 1 s), not ${window}`,
        );
      }
    }
    if (f.engine === 'stream' && !streamWindow && f.window !== undefined) {
      at('window', 'a stream last/last_k covers every event; a window on it is a batch form');
    }

    let filter: Expr | undefined;
    if (f.filter !== undefined) {
      try {
        filter = parseExpression(f.filter);
        const t = typeOf(filter, columns);
        if (t.kind !== 'boolean')
          at('filter', `a filter must be true or false, not a ${typeName(t)}`);
      } catch (e) {
        at('filter', (e as Error).message);
      }
    }
    let of: { expr: Expr; type: ColumnType } | undefined;
    const reducer = agg.op === 'last_k' ? agg.reduce : agg.op;
    if (f.of === undefined) {
      if (reducer !== 'count')
        at('of', `${describeAgg(agg)} needs a column or expression to aggregate`);
    } else {
      try {
        const expr = parseExpression(f.of);
        of = { expr, type: typeOf(expr, columns) };
      } catch (e) {
        at('of', (e as Error).message);
      }
    }
    if (of || reducer === 'count') {
      const problem = typeProblem(reducer, of?.type, f.type);
      if (problem) at('type', problem);
    }
    if (problems.length > before) continue;
    const resolved: Omit<ResolvedFeature, 'computeHash'> = {
      name: f.name,
      entity: ent,
      source: src.name,
      engine: f.engine,
      aggregation: { ...agg },
      of,
      filter,
      windowMs,
      window,
      granularityMs,
      type: f.type,
      description: f.description,
      owner: f.owner,
      tags: [...(f.tags ?? [])],
      legacy: f.legacy ? { ...f.legacy } : undefined,
      file,
    };
    features.push({ ...resolved, computeHash: computeHash(resolved, src) });
  }
  if (problems.length > 0) throw new DefinitionError(problems);
  features.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    entities: [...entities.values()].sort((a, b) => a.name.localeCompare(b.name)),
    sources: [...sources.values()].sort((a, b) => a.name.localeCompare(b.name)),
    features,
  };
}

/** The most tiles one window may have: a read merges every tile of it. */
export const MAX_TILES = 1000;

/**
 * The tile size of a stream window when the definition names none: the largest whole number of
 * seconds that divides the window and is at most 1/60 of it (1h → 1m, 24h → 24m, 7d → 168m), so
 * a value is exact to 1/60 of its window or better. Undefined when the window is under a minute.
 */
export function defaultGranularity(windowMs: number): number | undefined {
  const seconds = windowMs / 1000;
  for (let g = Math.floor(seconds / 60); g >= 1; g--) {
    if (seconds % g === 0) return g * 1000;
  }
  return undefined;
}

function describeAgg(a: Aggregation): string {
  return a.op === 'last_k' ? `last_k(${a.k}, ${a.reduce})` : a.op;
}

/** The value category of a column type in the online store, if it has one. */
function category(t: ColumnType): FeatureType | undefined {
  if (t.kind === 'int' || t.kind === 'bigint') return 'int';
  if (t.kind === 'decimal') return 'decimal';
  if (t.kind === 'double') return 'double';
  return undefined;
}

/** Why a declared type does not fit the aggregation of an input type (undefined: it fits). */
function typeProblem(
  reducer: string,
  input: ColumnType | undefined,
  declared: FeatureType,
): string | undefined {
  if (reducer === 'count') {
    return declared === 'int' ? undefined : `a count is an int, not a ${declared}`;
  }
  const cat = input && category(input);
  if (!input || !cat) {
    return `${reducer} of a ${input ? typeName(input) : 'missing'} value: feature values are int, decimal or double`;
  }
  if (input.kind === 'decimal' && input.scale > 2 && reducer !== 'avg') {
    return `a ${typeName(input)} has more than the two decimal places of the online store; cast or use double`;
  }
  const result: FeatureType = reducer === 'avg' ? 'double' : cat;
  return result === declared
    ? undefined
    : `${reducer} of a ${typeName(input)} is a ${result}, not a ${declared}`;
}

/**
 * A hash of what a feature computes from which events (source, entity keys, aggregation, column,
 * filter, windows, type), in a canonical form: a changed description keeps it, a changed K does not.
 */
function computeHash(f: Omit<ResolvedFeature, 'computeHash'>, src: ResolvedSource): string {
  const derived = (name: string) => {
    const d = src.derived.find((x) => x.name === name);
    return d ? `(${toSql(d.expr)})` : `\`${name}\``;
  };
  const canonical = JSON.stringify({
    source: {
      topic: src.topic,
      table: src.table,
      eventId: src.eventId,
      eventTime: src.eventTime,
    },
    engine: f.engine,
    keys: f.entity.keys,
    aggregation: f.aggregation,
    of: f.of ? toSql(f.of.expr, derived) : null,
    filter: f.filter ? toSql(f.filter, derived) : null,
    windowMs: f.windowMs ?? null,
    granularityMs: f.granularityMs ?? null,
    type: f.type,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export { ExpressionError };
