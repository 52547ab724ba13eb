/**
 * Stream time windows on tiles (docs/online-store-format.md, "Time windows"): the one statement of
 * the rule that the Flink compiler, the online store and the docs follow. The tests' interpreter
 * restates it independently.
 *
 * Event times are cut into tiles of the feature's granularity g, aligned to the epoch: a tile is
 * (end − g, end] with `end` a multiple of g. A read at time t covers the window (end − W, end]
 * where `end` is the end of t's tile: W/g whole tiles, the newest of which is still filling.
 */

/** The end (epoch ms) of the tile an event time falls in. */
export function tileEndOf(eventTimeMs: number, granularityMs: number): number {
  return Math.ceil(eventTimeMs / granularityMs) * granularityMs;
}

export interface WindowBounds {
  /** Exclusive: events with event time > start count. Epoch ms. */
  start: number;
  /** Inclusive: events with event time ≤ end count. Epoch ms. */
  end: number;
}

/** The window a read at `readTimeMs` covers. */
export function windowAt(
  readTimeMs: number,
  windowMs: number,
  granularityMs: number,
): WindowBounds {
  const end = tileEndOf(readTimeMs, granularityMs);
  return { start: end - windowMs, end };
}

/**
 * The number of tile slots kept per entity: the window's tiles plus one, so that an event up to
 * one tile ahead of a reader's clock does not take the slot of the oldest tile still read.
 */
export function tileSlots(windowMs: number, granularityMs: number): number {
  return windowMs / granularityMs + 1;
}

/** The slot (record in the window's string) of a tile: its index modulo the slot count, a ring. */
export function tileSlot(tileEnd: number, windowMs: number, granularityMs: number): number {
  return (tileEnd / granularityMs) % tileSlots(windowMs, granularityMs);
}

/**
 * When an entity's tiles are of no more use: the newest tile leaves every window once the reader's
 * tile end passes it by W, i.e. at tileEnd + W (the granularity of slack the format allows).
 */
export function tilesExpireAt(newestTileEnd: number, windowMs: number): number {
  return newestTileEnd + windowMs;
}
