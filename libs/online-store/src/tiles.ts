import { FeatureDefinition, TiledWindow } from '@fstore/contracts';
import { tilesExpireAt, tileSlot, tileSlots, windowAt, WindowBounds } from '@fstore/definitions';
import { formatValue } from './values';

/**
 * Time-window features in Redis (docs/online-store-format.md, "Time windows"): one string per
 * feature and entity, a header then a ring of S = W/g + 1 fixed-width records (slots), each holding
 * one tile's partial aggregate, padded with spaces. The writer replaces a record only with a tile
 * at least as new (WRITE_TILE); a reader gets the whole string with the entity's plain values
 * (one MGET) and merges the tiles inside its window in one pass (mergeTiles).
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

/**
 * The string's layout, format 1: a header `1:<width, 4 digits>;` (TILES_HEADER_LENGTH characters),
 * then record k (the ring's slot k) at TILES_HEADER_LENGTH + k · width. A record is a tile as
 * `<lap>:<events>:<aggregate>:<age>` padded with spaces to the width, where the tile's end is
 * (lap · S + k) · g and its newest event time is end − age (ms); the aggregate is empty for a
 * count. Relative numbers keep a record short: every byte of a window costs its reads, in Redis
 * and in the reader (bench/window-read.ts). A slot never written is empty (spaces, or the zero
 * bytes SETRANGE fills a gap with). The width is fixed per key, so the writer replaces one record
 * in place (GETRANGE, SETRANGE: no read of the whole string) and the reader finds each record
 * without searching; a tile longer than the width makes the writer re-pad every record wider.
 */
export const TILES_FORMAT = '1';
export const TILES_HEADER_LENGTH = 7;
/** Room left in a new or widened record for its tile to grow (more events, larger sums). */
export const TILE_WIDTH_SLACK = 2;
/** The widest record the header can state. */
export const MAX_TILE_WIDTH = 9999;

export const tilesHeader = (width: number): string =>
  `${TILES_FORMAT}:${String(width).padStart(4, '0')};`;

/** A tile's slot in the ring and the lap of the ring it is on: its index e/g = lap · S + slot. */
function ringOf(tiles: TiledWindow, tileEnd: number): { slot: number; lap: number } {
  const index = tileEnd / tiles.granularityMs;
  const slots = tileSlots(tiles.windowMs, tiles.granularityMs);
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`not the end of a ${tiles.granularityMs} ms tile: ${tileEnd}`);
  }
  return {
    slot: tileSlot(tileEnd, tiles.windowMs, tiles.granularityMs),
    lap: Math.floor(index / slots),
  };
}

/** A tile as its record (unpadded). */
export function encodeTile(tiles: TiledWindow, t: Tile): string {
  const age = t.end - t.eventTime;
  if (!Number.isSafeInteger(age) || age < 0 || age >= tiles.granularityMs) {
    throw new RangeError(`event time ${t.eventTime} is not in the tile ending ${t.end}`);
  }
  return `${ringOf(tiles, t.end).lap}:${t.events}:${t.aggregate ?? ''}:${age}`;
}

/** The tile in record `slot` of a window's string; undefined for an empty slot. */
export function decodeTile(tiles: TiledWindow, packed: string, slot: number): Tile | undefined {
  const width = Number(packed.slice(TILES_FORMAT.length + 1, TILES_HEADER_LENGTH - 1));
  const at = TILES_HEADER_LENGTH + slot * width;
  const m = /^(\d+):(\d+):([^:]*):(\d+)/.exec(packed.slice(at, at + width));
  if (!m) return undefined;
  const slots = tileSlots(tiles.windowMs, tiles.granularityMs);
  const end = (Number(m[1]) * slots + slot) * tiles.granularityMs;
  return {
    end,
    events: Number(m[2]),
    aggregate: m[3] === '' ? null : m[3],
    eventTime: end - Number(m[4]),
  };
}

/**
 * A window's string holding the given tiles, each in its slot, at the given width (by default its
 * longest record's plus TILE_WIDTH_SLACK): what WRITE_TILE makes of them (tests, tools; the writer
 * is the Lua below).
 */
export function packTiles(tiles: TiledWindow, list: readonly Tile[], width?: number): string {
  const records: string[] = [];
  for (const t of list) records[ringOf(tiles, t.end).slot] = encodeTile(tiles, t);
  const w =
    width ?? Math.max(0, ...list.map((t) => encodeTile(tiles, t).length)) + TILE_WIDTH_SLACK;
  return tilesHeader(w) + Array.from(records, (r) => (r ?? '').padEnd(w, ' ')).join('');
}

/** Where and how the writer stores a tile: its slot (record), its lap and the key's expiry. */
export function tilePlacement(tiles: TiledWindow, tileEnd: number) {
  return { ...ringOf(tiles, tileEnd), expireAt: tilesExpireAt(tileEnd, tiles.windowMs) };
}

// The start of both scripts: the layout's helpers, and the packing of a format-0 hash (field =
// slot, value = `<end>:<events>:<aggregate>:<newest event time>`) into a format-1 string of the
// same tiles and expiry, at least `width` wide; returns the new header.
export const TILES_LUA = `
local HEADER, SLACK = ${TILES_HEADER_LENGTH}, ${TILE_WIDTH_SLACK}
local function pad(s, width) return s .. string.rep(' ', width - #s) end
local function header(width) return string.format('${TILES_FORMAT}:%04d;', width) end
local function packHash(key, g, slots, width)
  local expiry = redis.call('PEXPIRETIME', key)
  local fields = redis.call('HGETALL', key)
  local tiles, last = {}, -1
  for i = 1, #fields, 2 do
    local s = tonumber(fields[i])
    local e, mid, t = string.match(fields[i + 1], '^(%d+):(%d+:[^:]*):(%d+)$')
    if s and e then
      local r = string.format('%d:%s:%d', math.floor(tonumber(e) / g / slots), mid, tonumber(e) - tonumber(t))
      tiles[s] = r
      if s > last then last = s end
      if #r + SLACK > width then width = #r + SLACK end
    end
  end
  local out = { header(width) }
  for s = 0, last do out[#out + 1] = pad(tiles[s] or '', width) end
  redis.call('DEL', key)
  redis.call('SET', key, table.concat(out))
  if expiry > 0 then redis.call('PEXPIREAT', key, expiry) end
  return header(width)
end
`;

// Stores one tile in its record of the window's string, unless the record holds a newer tile (a
// greater lap: same slot), and pushes the key's expiry out to the newest tile's (never back).
// KEYS[1]: the window's key; ARGV: the slot, the tile's lap, its record, the expiry (epoch ms),
// g and S (for a hash of format 0). An expiry already past deletes the key: its tiles are outside
// every window a reader can ask for. SET … KEEPTTL when the records are widened keeps that expiry.
// A hash under the key (format 0, before this one: field = slot, value = `<end>:<events>:
// <aggregate>:<newest event time>`) is first packed into a string of the same tiles and expiry.
export const WRITE_TILE_BODY = `local key, slot, lap, tile = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
if #tile + SLACK > ${MAX_TILE_WIDTH} then return redis.error_reply('tile too long: ' .. #tile) end
-- The header (or '' for no key) in one command; a hash fails it (WRONGTYPE).
local head = redis.pcall('GETRANGE', key, 0, HEADER - 1)
if type(head) == 'table' then
  head = packHash(key, tonumber(ARGV[5]), tonumber(ARGV[6]), #tile + SLACK)
end
local width
if head == '' then
  width = #tile + SLACK
  redis.call('SET', key, header(width))
else
  width = tonumber(string.sub(head, 3, 6))
  if #tile > width then
    local old, grown = redis.call('GET', key), #tile + SLACK
    local out = { header(grown) }
    for at = HEADER + 1, #old, width do
      out[#out + 1] = pad(string.sub(old, at, at + width - 1), grown)
    end
    redis.call('SET', key, table.concat(out), 'KEEPTTL')
    width = grown
  end
end
local at = HEADER + slot * width
local stored = tonumber(string.match(redis.call('GETRANGE', key, at, at + width - 1), '^%d+'))
if stored and stored > lap then return 0 end
redis.call('SETRANGE', key, at, pad(tile, width))
local expiry = redis.call('PEXPIRETIME', key)
if expiry < tonumber(ARGV[4]) then redis.call('PEXPIREAT', key, ARGV[4]) end
return 1`;
export const WRITE_TILE = `${TILES_LUA}\n${WRITE_TILE_BODY}`;

// Packs the format-0 hash under KEYS[1] into its format-1 string (ARGV: g, S); 0 when the key is
// not a hash (packed meanwhile, or gone). The writer runs it over every hash of its time-window
// features when it starts (RedisClusterOnlineStore.packFormat0Windows), so that no window stays
// unreadable until its entity's next event.
export const PACK_WINDOW_HASH = `${TILES_LUA}
local head = redis.pcall('GETRANGE', KEYS[1], 0, HEADER - 1)
if type(head) ~= 'table' then return 0 end
packHash(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), SLACK)
return 1`;

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

/** The exact sum at any size: BigInts (the rare sums mergeTiles cannot add in doubles). */
function bigSumOf(texts: readonly string[]): string {
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

/** Where doubles hold every integer exactly. */
const EXACT = 2 ** 53;

/**
 * The value of a window from its string as stored (one MGET reply): the tiles with an end inside
 * (start, end] and events, merged; null when no event falls in the window (the value is absent,
 * as for every feature). The one statement of the merge, for every way a read goes.
 *
 * One pass over the characters, no substring for the numbers (the tiles' numbers are most of a
 * windowed read's cost; bench/window-read.ts): exact sums (integers, decimals) add whole units of
 * 10^-scale in doubles while every figure stays below 2^53, where doubles are exact; anything
 * else (larger sums, a text that is not a plain decimal) goes through BigInts (bigSumOf), as
 * slow as exact. A record that does not parse is skipped, as an empty slot is.
 */
export function mergeTiles(
  feature: Pick<FeatureDefinition, 'type' | 'tiles'>,
  packed: string,
  window: WindowBounds,
): WindowValue | null {
  if (packed === '') return null; // no key: no tile
  if (!packed.startsWith(TILES_FORMAT + ':') || packed.charCodeAt(TILES_HEADER_LENGTH - 1) !== 59) {
    throw new RangeError(`not a window of tiles, format ${TILES_FORMAT}: ${packed.slice(0, 16)}`);
  }
  const width = Number(packed.slice(TILES_FORMAT.length + 1, TILES_HEADER_LENGTH - 1));
  if (!(width > 0)) throw new RangeError(`not a record width: ${packed.slice(0, 16)}`);
  return merge(feature, packed, width, window, undefined);
}

/**
 * mergeTiles' pass over the records; with `texts`, an exact sum's aggregates are collected there
 * for bigSumOf instead of added (the second pass, when the first found them too large).
 */
function merge(
  feature: Pick<FeatureDefinition, 'type' | 'tiles'>,
  packed: string,
  width: number,
  window: WindowBounds,
  texts: string[] | undefined,
): WindowValue | null {
  const { op, doubleSums, windowMs, granularityMs: g } = feature.tiles!;
  const slots = tileSlots(windowMs, g);
  const exact = (op === 'sum' || op === 'avg') && !doubleSums;
  const { start, end: last } = window;
  let inside = 0;
  let events = 0;
  let eventTime = -Infinity;
  let units = 0; // exact sums: whole units of 10^-scale
  let scale = 0;
  let total = 0; // double sums
  let extreme = op === 'min' ? Infinity : -Infinity;
  let slot = 0;
  for (let at = TILES_HEADER_LENGTH; at + width <= packed.length; at += width, slot++) {
    const stop = at + width;
    let i = at;
    let c = packed.charCodeAt(i);
    let lap = 0;
    for (; i < stop && c >= 48 && c <= 57; c = packed.charCodeAt(++i)) lap = lap * 10 + c - 48;
    if (i === at || i >= stop || c !== 58) continue; // an empty slot (or not a record)
    const end = (lap * slots + slot) * g;
    let count = 0;
    const first = i + 1;
    for (c = packed.charCodeAt(++i); i < stop && c >= 48 && c <= 57; c = packed.charCodeAt(++i)) {
      count = count * 10 + c - 48;
    }
    if (i === first || i >= stop || c !== 58 || end <= start || end > last || count <= 0) continue;
    const from = i + 1;
    i = packed.indexOf(':', from);
    if (i < 0 || i >= stop) continue;
    const to = i;
    let age = 0;
    for (c = packed.charCodeAt(++i); i < stop && c >= 48 && c <= 57; c = packed.charCodeAt(++i)) {
      age = age * 10 + c - 48;
    }
    if (i === to + 1) continue;
    inside++;
    events += count;
    if (end - age > eventTime) eventTime = end - age;
    if (to === from || op === 'count') continue;
    if (!exact) {
      const v = Number(packed.slice(from, to));
      if (op === 'min') extreme = v < extreme ? v : extreme;
      else if (op === 'max') extreme = v > extreme ? v : extreme;
      else total += v;
      continue;
    }
    if (texts) {
      texts.push(packed.slice(from, to));
      continue;
    }
    // The aggregate as a whole number of 10^-places units.
    let k = from;
    const negative = packed.charCodeAt(k) === 45; // '-'
    if (negative) k++;
    const digits = k;
    let value = 0;
    let places = -1; // digits after the point; -1 before it
    for (; k < to; k++) {
      c = packed.charCodeAt(k);
      if (c >= 48 && c <= 57) {
        value = value * 10 + c - 48;
        if (places >= 0) places++;
      } else if (c === 46 && places < 0 && k > digits)
        places = 0; // '.'
      else break;
    }
    const p = places < 0 ? 0 : places;
    // Not a plain decimal, or beyond what doubles hold exactly: BigInts decide.
    if (k < to || digits === to || value >= EXACT || p > 15)
      return merge(feature, packed, width, window, []);
    if (p > scale) {
      units *= 10 ** (p - scale);
      scale = p;
    } else value *= 10 ** (scale - p);
    if (Math.abs(units) >= EXACT || value >= EXACT)
      return merge(feature, packed, width, window, []);
    units += negative ? -value : value;
    if (Math.abs(units) >= EXACT) return merge(feature, packed, width, window, []);
  }
  if (inside === 0) return null;
  let value: number;
  if (op === 'count') value = events;
  else if (op === 'min' || op === 'max') value = extreme;
  else if (!exact) {
    value = op === 'avg' ? total / events : Number(formatValue(feature.type, String(total)));
  } else {
    // A sum of a decimal with more than two places, or of an int with any, is for formatValue
    // to judge (it fails: not the type's format).
    const judged =
      op === 'sum' &&
      ((feature.type === 'decimal' && scale > 2) || (feature.type === 'int' && scale > 0));
    if (!texts && judged) return merge(feature, packed, width, window, []);
    let sum: number;
    if (texts) {
      const text = texts.length > 0 ? bigSumOf(texts) : '0';
      sum = Number(op === 'sum' ? formatValue(feature.type, text) : text);
    } else sum = scale === 0 ? units : units / 10 ** scale;
    value = op === 'avg' ? sum / events : sum;
  }
  return { value, eventTime, window };
}
