import { ENTITIES, FeatureDefinition, featureTopic, type WriterRule } from '@fstore/contracts';
import { FeatureWrite, formatValue } from '@fstore/online-store';

/** The changelog topic a stream feature's Flink job writes. */
export const changelogTopic = (feature: FeatureDefinition) => featureTopic(feature.name);

export type Decoded =
  | { ok: true; write: FeatureWrite; identity: string }
  | { ok: false; rule: WriterRule; message: string };

/** Its rules are listed, with their meaning, in WRITER_RULES (docs/dead-letter-format.md). */
const fail = (rule: WriterRule, message: string): Decoded => ({ ok: false, rule, message });

/** Flink's JSON format writes TIMESTAMP(3) as `YYYY-MM-DD HH:MM:SS[.fff]`; the time is UTC. */
export function parseEventTime(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)Z?$/.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2].slice(0, 12)}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

function parseJson(bytes: Buffer | null): unknown {
  if (bytes === null) return null;
  return JSON.parse(bytes.toString('utf8'));
}

/**
 * One upsert-kafka record of a feature's changelog → the Redis write it means. The key holds the
 * entity's key columns; the value {…key, value, event_time}, or nothing (a tombstone: the
 * feature has no value now).
 */
export function decodeChangelog(
  feature: FeatureDefinition,
  key: Buffer | null,
  value: Buffer | null,
): Decoded {
  let k: unknown;
  let v: unknown;
  try {
    k = parseJson(key);
    v = parseJson(value);
  } catch (e) {
    return fail('json', `not JSON: ${(e as Error).message}`);
  }
  if (typeof k !== 'object' || k === null) return fail('key', 'the record has no key object');
  const columns = ENTITIES[feature.entity].keyColumns;
  const keyParts = columns.map((c) => (k as Record<string, unknown>)[c]);
  if (!keyParts.every((p): p is string => typeof p === 'string' && p.length > 0)) {
    return fail('key', `the key must carry ${columns.join(', ')} as non-empty strings`);
  }
  if (feature.tiles) return decodeTile(feature, keyParts, k as Record<string, unknown>, v);
  const identity = `${feature.name}\u0000${keyParts.join('\u0000')}`;
  if (v === null) {
    return { ok: true, identity, write: { feature: feature.name, keyParts, value: null } };
  }
  const row = v as Record<string, unknown>;
  const eventTime = parseEventTime(row.event_time);
  if (eventTime === undefined)
    return fail('event_time', `not a timestamp: ${String(row.event_time)}`);
  if (typeof row.value !== 'number' && typeof row.value !== 'string') {
    return fail('value', `not a number: ${JSON.stringify(row.value)}`);
  }
  if (!Number.isFinite(Number(row.value))) return fail('value', `not a number: ${row.value}`);
  // A value the online-store format cannot hold (a fraction for an int, three decimals) can never
  // be written: it is dead-lettered here, so that a failing write can only mean Redis is down.
  try {
    formatValue(feature.type, row.value);
  } catch (e) {
    return fail('value', (e as Error).message);
  }
  return {
    ok: true,
    identity,
    write: { feature: feature.name, keyParts, value: row.value, eventTime },
  };
}

/**
 * A time-window feature's record: one tile of one entity (docs/online-store-format.md, "Time
 * windows"), keyed by the entity's columns and `tile_end`; the value {…key, tile_end, events,
 * agg (not for a count), event_time}. Tiles are never retracted, so a tombstone means a job that
 * is not ours and is dead-lettered.
 */
function decodeTile(
  feature: FeatureDefinition,
  keyParts: string[],
  key: Record<string, unknown>,
  v: unknown,
): Decoded {
  const end = key.tile_end;
  if (!Number.isSafeInteger(end) || (end as number) % feature.tiles!.granularityMs !== 0) {
    return fail(
      'tile_end',
      `not the end of a ${feature.tiles!.granularityMs} ms tile: ${String(end)}`,
    );
  }
  if (v === null) return fail('tombstone', 'a tile is never deleted');
  const row = v as Record<string, unknown>;
  const eventTime = parseEventTime(row.event_time);
  if (eventTime === undefined)
    return fail('event_time', `not a timestamp: ${String(row.event_time)}`);
  // A tile's newest event lies inside it, (end − g, end]: the stored record keeps its age from
  // the end (encodeTile), and a record that cannot be stored must not hold its batch forever.
  const age = (end as number) - eventTime;
  if (age < 0 || age >= feature.tiles!.granularityMs) {
    return fail(
      'event_time',
      `${String(row.event_time)} is not inside the tile ending ${new Date(end as number).toISOString()}`,
    );
  }
  if (!Number.isSafeInteger(row.events) || (row.events as number) < 1) {
    return fail('events', `not a positive count: ${JSON.stringify(row.events)}`);
  }
  let aggregate: string | null = null;
  if (feature.tiles!.op !== 'count') {
    if (typeof row.agg !== 'number' && typeof row.agg !== 'string') {
      return fail('agg', `not a number: ${JSON.stringify(row.agg)}`);
    }
    aggregate = String(row.agg);
    if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(aggregate)) {
      return fail('agg', `not a number: ${aggregate}`);
    }
  }
  return {
    ok: true,
    identity: `${feature.name}\u0000${keyParts.join('\u0000')}\u0000${end as number}`,
    write: {
      feature: feature.name,
      keyParts,
      tile: { end: end as number, events: row.events as number, aggregate, eventTime },
    },
  };
}
