import {
  ENTITIES,
  featureKey,
  FeatureDefinition,
  FeatureEngine,
  FeatureType,
  producedByOf,
  tiledWindowOf,
} from '@fstore/contracts';
import { formatDuration } from '@fstore/definitions';
import { StoredFeature } from '@fstore/online-store';
import { ExportedFeature, RegisteredFeature } from './feature-plan';

/** One feature as the catalog (`GET /v1/features`) shows it, whichever source it comes from. */
export interface CatalogFeature {
  name: string;
  entity: string;
  /** The entity's key columns, in key order (what an entity id's parts are). */
  keyColumns: string[];
  engine: FeatureEngine;
  type: FeatureType;
  description: string;
  aggregation: string;
  /** The aggregation's window (`30d`); null for last/last_k. */
  window: string | null;
  owner: string;
  tags: string[];
  /** The job file that produces it (flink-sql/<source>.sql or the batch job). */
  producedBy: string;
  keyTemplate: string;
  /** What reading its value from the online store needs. */
  stored: StoredFeature;
  /** The registry's latest version of it; null: never applied with `fstore apply`. */
  applied: { version: number; by: string | null; at: Date | null } | null;
}

/** A definition this process booted with (features/ checked at start). */
export function fromContract(f: FeatureDefinition): CatalogFeature {
  const a = f.definition.aggregation;
  return {
    name: f.name,
    entity: f.entity,
    keyColumns: [...ENTITIES[f.entity].keyColumns],
    engine: f.engine,
    type: f.type,
    description: f.description,
    aggregation: a.op,
    window: 'window' in a ? a.window : null,
    owner: f.definition.owner,
    tags: [...f.definition.tags],
    producedBy: f.producedBy,
    keyTemplate: keyTemplate(f.name, ENTITIES[f.entity].keyColumns),
    stored: f,
    applied: null,
  };
}

/** A definition as `fstore apply` recorded it in the registry (the export's shape). */
export function fromRegistry(
  d: ExportedFeature,
  applied: CatalogFeature['applied'] = null,
): CatalogFeature {
  const engine = d.engine as FeatureEngine;
  const type = d.type as FeatureType;
  const windowed = d.aggregation !== 'last' && d.aggregation !== 'last_k';
  return {
    name: d.name,
    entity: d.entity,
    keyColumns: [...d.keys],
    engine,
    type,
    description: d.description,
    aggregation: d.aggregation,
    // Versions applied before the export carried the text have only the milliseconds.
    window: d.window ?? (windowed && d.window_ms !== null ? formatDuration(d.window_ms) : null),
    owner: d.owner,
    tags: [...d.tags],
    producedBy: producedByOf(engine, d.source),
    keyTemplate: keyTemplate(d.name, d.keys),
    stored: {
      name: d.name,
      type,
      tiles: tiledWindowOf({
        engine,
        op: d.aggregation,
        windowMs: d.window_ms,
        granularityMs: d.granularity_ms,
        doubleSums: d.of_type === 'double',
      }),
    },
    applied,
  };
}

/**
 * The features the system has now. `fstore apply` changes the running system without restarting
 * the control plane, so the registry (each feature's latest applied version) is what runs: a
 * feature it holds is listed from there, one it removed is gone. A feature the registry never saw
 * (never applied: a stack brought up with `pipeline up`) is listed from the definitions this
 * process booted with (features/ of its checkout).
 */
export function currentCatalog(
  booted: readonly FeatureDefinition[],
  registered: readonly RegisteredFeature[],
): CatalogFeature[] {
  const catalog = new Map(booted.map((f) => [f.name, fromContract(f)]));
  for (const r of registered) {
    if (r.removed) catalog.delete(r.name);
    else {
      const applied = { version: r.version, by: r.appliedBy ?? null, at: r.appliedAt ?? null };
      catalog.set(r.name, fromRegistry(r.definition, applied));
    }
  }
  return [...catalog.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function keyTemplate(name: string, keyColumns: readonly string[]): string {
  return featureKey(
    name,
    keyColumns.map((c) => `<${c}>`),
  );
}
