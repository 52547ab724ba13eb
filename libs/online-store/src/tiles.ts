import { FeatureDefinition, TiledWindow } from '@fstore/contracts';
import { tilesExpireAt, tileSlot, windowAt, WindowBounds } from '@fstore/definitions';
import { formatValue } from './values';

/**
 * Time-window features in Redis (docs/online-store-format.md, "Time windows"): one hash per
 * entity, one field per tile slot (a ring of W/g + 1 slots), each holding one tile's partial
 * aggregate as `<tile end>:<events>:<aggregate>:<newest event time>` (epoch ms; the aggregate
 * empty for a count). The writer replaces a slot only with a tile at least as new; a reader
 * merges the tiles inside its window.
 */
export interface Tile {
  /** Epoch ms; the tile is (end − g, end]. */
  end: number;
  events: number;
  /** Sum (sum, avg), minimum or maximum of the tile's values, as a plain number; null for count. */
  aggregate: string | null;
  /** The newest event time among the tile's events, epoch ms. */
  eventTime: number;
}

export const encodeTile = (t: Tile): string =>
  `${t.end}:${t.events}:${t.aggregate ?? ''}:${t.eventTime}`;

export function decodeTile(text: string): Tile | undefined {
  const [end, events, aggregate, eventTime] = text.split(':');
  if (eventTime === undefined) return undefined;
  return {
    end: Number(end),
    events: Number(events),
    aggregate: aggregate === '' ? null : aggregate,
    eventTime: Number(eventTime),
  };
}

/** Where and how the writer stores a tile: its hash field and the key's expiry. */
export function tilePlacement(tiles: TiledWindow, tileEnd: number) {
  return {
    field: String(tileSlot(tileEnd, tiles.windowMs, tiles.granularityMs)),
    expireAt: tilesExpireAt(tileEnd, tiles.windowMs),
  };
}

export const readWindow = (tiles: TiledWindow, readTime: number): WindowBounds =>
  windowAt(readTime, tiles.windowMs, tiles.granularityMs);

/** A decimal text as an integer count of 10^-scale units (exact, no double in between). */
function scaled(text: string, scale: number): bigint {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new RangeError(`not a decimal: ${text}`);
  const units = BigInt(m[2] + (m[3] ?? '').padEnd(scale, '0').slice(0, scale));
  return m[1] ? -units : units;
}

function unscaled(units: bigint, scale: number): string {
  const sign = units < 0n ? '-' : '';
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  return scale === 0
    ? `${sign}${digits}`
    : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Sums plain-number texts: exactly (as scaled integers) unless they are doubles. */
function sumOf(texts: string[], doubles: boolean): string {
  if (doubles) return String(texts.reduce((acc, t) => acc + Number(t), 0));
  const scale = Math.max(0, ...texts.map((t) => t.split('.')[1]?.length ?? 0));
  return unscaled(
    texts.reduce((acc, t) => acc + scaled(t, scale), 0n),
    scale,
  );
}

export interface WindowValue {
  value: number;
  eventTime: number;
  window: WindowBounds;
}

/**
 * The value of a window from the tiles read: those with an end inside (start, end] merged; null
 * when no event falls in the window (the value is absent, as for every feature).
 */
export function mergeTiles(
  feature: Pick<FeatureDefinition, 'type' | 'tiles'>,
  encoded: readonly string[],
  window: WindowBounds,
): WindowValue | null {
  const tiles = feature.tiles!;
  const inside = encoded
    .map(decodeTile)
    .filter((t): t is Tile => !!t && t.end > window.start && t.end <= window.end && t.events > 0);
  if (inside.length === 0) return null;
  const events = inside.reduce((n, t) => n + t.events, 0);
  const eventTime = Math.max(...inside.map((t) => t.eventTime));
  const aggregates = inside.map((t) => t.aggregate).filter((a): a is string => a !== null);
  let value: number;
  switch (tiles.op) {
    case 'count':
      value = events;
      break;
    case 'sum':
      value = Number(formatValue(feature.type, sumOf(aggregates, tiles.doubleSums)));
      break;
    case 'avg':
      value = Number(sumOf(aggregates, tiles.doubleSums)) / events;
      break;
    case 'min':
      value = Math.min(...aggregates.map(Number));
      break;
    case 'max':
      value = Math.max(...aggregates.map(Number));
      break;
  }
  return { value, eventTime, window };
}
