/**
 * The benchmark's data set: N products with the 4 product features, deterministic (a function of
 * the product's index only), seeded into fstore's Redis layout and materialized into Feast.
 */

export const PRODUCT_FEATURES = [
  'avg_review',
  'avg_review_rating',
  'revenue_by_product',
  'units_sold',
] as const;
export type ProductFeature = (typeof PRODUCT_FEATURES)[number];

/**
 * The product's time-window features (issue 15), read beside the 4 plain ones in the windowed
 * batch: kept as tiles, merged at the read. Feast has no counterpart.
 */
export const WINDOW_FEATURES = ['units_sold_7d', 'avg_rating_7d'] as const;
/** Tiles seeded per product and window feature, inside the 7-day window. */
export const TILES_PER_PRODUCT = 24;
export type WindowFeature = (typeof WINDOW_FEATURES)[number];

/**
 * One product's tiles for one window feature: TILES_PER_PRODUCT tiles ending at `newestEnd` and
 * every `granularityMs` before it, deterministic; with the value their merge must give.
 */
export function windowTiles(
  index: number,
  feature: WindowFeature,
  newestEnd: number,
  granularityMs: number,
): {
  tiles: { end: number; events: number; aggregate: string; eventTime: number }[];
  value: number;
} {
  const tiles = Array.from({ length: TILES_PER_PRODUCT }, (_, k) => {
    const events = 1 + ((index + k) % 4);
    const sum =
      feature === 'units_sold_7d'
        ? events * (1 + ((index * 3 + k) % 5))
        : events * (1 + ((index + 2 * k) % 5));
    const end = newestEnd - k * granularityMs;
    return { end, events, aggregate: String(sum), eventTime: end - 1 };
  });
  const sum = tiles.reduce((a, t) => a + Number(t.aggregate), 0);
  const events = tiles.reduce((a, t) => a + t.events, 0);
  return { tiles, value: feature === 'units_sold_7d' ? sum : sum / events };
}

export interface ProductRow {
  productId: string;
  /** Doubles and ints as numbers; the decimal (money) as its exact two-place string. */
  values: Record<ProductFeature, number | string>;
}

/** Benchmark product ids: recognisable, never clash with real product ids of the seed data. */
export function benchProductId(index: number): string {
  return `bench-p${String(index).padStart(6, '0')}`;
}

const ratings = (index: number, count: number, salt: number): number[] =>
  Array.from({ length: count }, (_, k) => 1 + ((index * 31 + k * 17 + salt) % 5));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export function productRow(index: number): ProductRow {
  const units = 1 + ((index * 37) % 500);
  const priceCents = 199 + ((index * 7919) % 50000);
  const revenueCents = BigInt(units) * BigInt(priceCents);
  const revenue = `${revenueCents / 100n}.${String(revenueCents % 100n).padStart(2, '0')}`;
  return {
    productId: benchProductId(index),
    values: {
      avg_review: mean(ratings(index, 5, 0)),
      avg_review_rating: mean(ratings(index, 1 + (index % 20), 3)),
      revenue_by_product: revenue,
      units_sold: units,
    },
  };
}

export function productRows(count: number): ProductRow[] {
  return Array.from({ length: count }, (_, i) => productRow(i));
}

/** The rows as the CSV that bench/feast/prepare_repo.py turns into Feast's offline parquet. */
export function rowsCsv(rows: readonly ProductRow[], eventTimeMs: number): string {
  const header = ['product_id', ...PRODUCT_FEATURES, 'event_time_ms'].join(',');
  const lines = rows.map((r) =>
    [r.productId, ...PRODUCT_FEATURES.map((f) => String(r.values[f])), String(eventTimeMs)].join(
      ',',
    ),
  );
  return [header, ...lines].join('\n') + '\n';
}

/** Equal as the design compares numbers: relative tolerance 1e-9 (exact for ints and cents). */
export function sameNumber(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}
