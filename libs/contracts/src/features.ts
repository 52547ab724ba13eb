import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import {
  FeatureEngine,
  FeatureType,
  LegacyEndpoint,
  loadDefinitions,
  Registry,
  ResolvedFeature,
} from '@fstore/definitions';

/**
 * The features of the top-level `features/` folder (docs/design.md §7), loaded and checked once
 * when this module is first imported: the one definition that the writer, the Spark jobs' export,
 * the feature server, the control plane and the tests read. The Redis layout they follow is
 * written down in docs/online-store-format.md.
 */
export const FEATURES_DIR = join(PROJECT_ROOT, 'features');

/** Every checked definition; a definition error stops the importing process with its message. */
export const REGISTRY: Registry = loadDefinitions(FEATURES_DIR, PROJECT_ROOT);

export type EntityName = string;

export interface EntityDefinition {
  name: EntityName;
  /** The raw-event columns that identify one entity, in key order. */
  keyColumns: readonly string[];
  description: string;
}

export const ENTITIES: Readonly<Record<EntityName, EntityDefinition>> = Object.fromEntries(
  REGISTRY.entities.map((e) => [
    e.name,
    { name: e.name, keyColumns: e.keys, description: e.description },
  ]),
);

export type { FeatureEngine, FeatureType, LegacyEndpoint };

export interface FeatureDefinition {
  name: string;
  entity: EntityName;
  engine: FeatureEngine;
  type: FeatureType;
  description: string;
  /** The job that produces it: a file under flink-sql/ (generated) or spark-jobs/. */
  producedBy: string;
  legacy?: LegacyEndpoint;
  /**
   * A stream time window: kept in Redis as tiles merged when read (docs/online-store-format.md,
   * "Time windows"). Absent for every other feature (one value per key).
   */
  tiles?: TiledWindow;
  /** The full checked definition (aggregation, expressions, window, owner, …). */
  definition: ResolvedFeature;
}

export interface TiledWindow {
  windowMs: number;
  granularityMs: number;
  op: 'count' | 'sum' | 'avg' | 'min' | 'max';
  /** Whether tile sums are doubles (summed as such) rather than exact integers or decimals. */
  doubleSums: boolean;
}

function tiledWindow(f: ResolvedFeature): TiledWindow | undefined {
  return tiledWindowOf({
    engine: f.engine,
    op: f.aggregation.op,
    windowMs: f.windowMs,
    granularityMs: f.granularityMs,
    doubleSums: f.of?.type.kind === 'double',
  });
}

/**
 * How a feature is kept in the online store, from the few facts that decide it (so a definition
 * read back from the registry's export gets the same answer as a checked one): stream time
 * windows are tiles; last/last_k and batch features are one value per key.
 */
export function tiledWindowOf(f: {
  engine: FeatureEngine;
  op: string;
  windowMs?: number | null;
  granularityMs?: number | null;
  doubleSums: boolean;
}): TiledWindow | undefined {
  if (f.engine !== 'stream' || f.op === 'last' || f.op === 'last_k') return undefined;
  return {
    windowMs: f.windowMs!,
    granularityMs: f.granularityMs!,
    op: f.op as TiledWindow['op'],
    doubleSums: f.doubleSums,
  };
}

/** The job file that produces a feature: its source's generated Flink job, or the batch job. */
export function producedByOf(engine: FeatureEngine, source: string): string {
  return engine === 'stream' ? `flink-sql/${source}.sql` : BATCH_FEATURES_JOB;
}

/** The batch job that computes every batch definition. */
export const BATCH_FEATURES_JOB = 'spark-jobs/batch_features.py';

/** The batch job that builds point-in-time correct training sets (docs/design.md §7). */
export const TRAINING_SET_JOB = 'spark-jobs/training_set.py';

/** The batch job that measures online/offline consistency from the serving log (docs/consistency.md). */
export const CONSISTENCY_JOB = 'spark-jobs/consistency.py';

/** The batch jobs that read the definitions' export (`--definitions`, added by the control plane). */
export const DEFINITIONS_JOBS: readonly string[] = [
  BATCH_FEATURES_JOB,
  TRAINING_SET_JOB,
  CONSISTENCY_JOB,
];

export const FEATURES: readonly FeatureDefinition[] = REGISTRY.features.map((f) => ({
  name: f.name,
  entity: f.entity.name,
  engine: f.engine,
  type: f.type,
  description: f.description,
  producedBy: producedByOf(f.engine, f.source),
  legacy: f.legacy,
  tiles: tiledWindow(f),
  definition: f,
}));

/** The features Flink computes from the stream: one job per source, one changelog per feature. */
export const STREAM_FEATURES: readonly FeatureDefinition[] = FEATURES.filter(
  (f) => f.engine === 'stream',
);

export function featureByName(name: string): FeatureDefinition | undefined {
  return FEATURES.find((f) => f.name === name);
}

export function featuresOf(entity: EntityName): FeatureDefinition[] {
  return FEATURES.filter((f) => f.entity === entity);
}

/** Separator of a composite entity id's parts in API paths and batch bodies: `c1:p1`. */
export const COMPOSITE_ID_SEPARATOR = ':';

/**
 * The Redis key of one feature value (docs/design.md §3): each key part in braces, joined by `_`:
 * `avg_review:{fa954a98}`, `last_review:{c1}_{p1}`. Redis Cluster hashes only the first braced
 * part, so all features of one entity (and a customer's last_review keys) share a slot.
 */
export function featureKey(feature: string, keyParts: readonly string[]): string {
  return `${featureKeyPrefix(feature)}${entityKeyPart(keyParts)}`;
}

/** The feature's part of its keys: featureKey(f, parts) = featureKeyPrefix(f) + entityKeyPart(parts). */
export function featureKeyPrefix(feature: string): string {
  return `${feature}:`;
}

/** The entity's part of its keys, `{fa954a98}` or `{c1}_{p1}`; it alone decides the slot. */
export function entityKeyPart(keyParts: readonly string[]): string {
  return keyParts.length === 1 ? `{${keyParts[0]}}` : keyParts.map((p) => `{${p}}`).join('_');
}

/** What eventTimeKey appends to a value key. */
export const EVENT_TIME_KEY_SUFFIX = ':ts';

/** The sibling key holding the value's event time (epoch milliseconds), same slot. */
export function eventTimeKey(valueKey: string): string {
  return `${valueKey}${EVENT_TIME_KEY_SUFFIX}`;
}
