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
  return exactSumOf(texts) ?? bigSumOf(texts);
}

/** The exact sum at any size: BigInts. */
function bigSumOf(texts: string[]): string {
  const scale = Math.max(0, ...texts.map((t) => t.split('.')[1]?.length ?? 0));
  return unscaled(
    texts.reduce((acc, t) => acc + scaled(t, scale), 0n),
    scale,
  );
}

/**
 * The same sum, written the same way, in doubles holding whole units of 10^-scale (digits read
 * one by one, added only while every figure stays below 2^53, where doubles are exact); undefined
 * for a text that is not a plain decimal or a sum too large for that (bigSumOf decides). BigInts
 * cost a window of tiles several times what all the rest of its read does.
 */
function exactSumOf(texts: readonly string[]): string | undefined {
  const EXACT = 2 ** 53;
  let units = 0;
  let scale = 0;
  for (const text of texts) {
    const start = text.charCodeAt(0) === 45 ? 1 : 0; // '-'
    let value = 0;
    let places = -1; // digits after the point; -1 before it
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        value = value * 10 + (c - 48);
        if (places >= 0) places++;
      } else if (c === 46 && places < 0 && i > start)
        places = 0; // '.'
      else return undefined;
    }
    const k = Math.max(places, 0);
    if (text.length === start || value >= EXACT || k > 15) return undefined;
    if (k > scale) {
      units *= 10 ** (k - scale);
      scale = k;
    } else value *= 10 ** (scale - k);
    if (Math.abs(units) >= EXACT || value >= EXACT) return undefined;
    units += start === 1 ? -value : value;
    if (Math.abs(units) >= EXACT) return undefined;
  }
  const digits = String(Math.abs(units)).padStart(scale + 1, '0');
  const sign = units < 0 ? '-' : '';
  return scale === 0
    ? `${sign}${digits}`
    : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

export interface WindowValue {
  value: number;
  eventTime: number;
  window: WindowBounds;
}

/**
 * Number(text.slice(from, to)), without the slice for up to 15 digits (exact as integers): the
 * three numbers of every tile are most of a window's read.
 */
function numberAt(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return Number(text.slice(from, to));
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(text.slice(from, to));
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The value of a window from the tiles read (joined by ';', as READ_ENTITIES answers): those with
 * an end inside (start, end] and events merged; null when no event falls in the window (the value
 * is absent, as for every feature). The one statement of the merge, for every way a read goes.
 */
export function mergeTiles(
  feature: Pick<FeatureDefinition, 'type' | 'tiles'>,
  joined: string,
  window: WindowBounds,
): WindowValue | null {
  const tiles = feature.tiles!;
  let inside = 0;
  let events = 0;
  let eventTime = -Infinity;
  const aggregates: string[] = [];
  // One pass over the text; each tile `<end>:<events>:<aggregate>:<newest event time>`.
  for (let at = 0; at < joined.length;) {
    let next = joined.indexOf(';', at);
    if (next < 0) next = joined.length;
    const c1 = joined.indexOf(':', at);
    const c2 = c1 < 0 || c1 > next ? -1 : joined.indexOf(':', c1 + 1);
    const c3 = c2 < 0 || c2 > next ? -1 : joined.indexOf(':', c2 + 1);
    if (c3 >= 0 && c3 < next) {
      const end = numberAt(joined, at, c1);
      const count = numberAt(joined, c1 + 1, c2);
      if (end > window.start && end <= window.end && count > 0) {
        const c4 = joined.indexOf(':', c3 + 1);
        inside++;
        events += count;
        eventTime = Math.max(eventTime, numberAt(joined, c3 + 1, c4 < 0 || c4 > next ? next : c4));
        if (c3 > c2 + 1) aggregates.push(joined.slice(c2 + 1, c3));
      }
    }
    at = next + 1;
  }
  if (inside === 0) return null;
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
