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
