/**
 * What bench:soak sends (issue 20): a paced schedule, the events of a bounded set of entities with
 * a share of redeliveries, and which entities the final check compares with the reference.
 */
import type { OracleEvent } from '../../test/support/oracle';

/** How many of a schedule's `perSecond` operations are due `elapsedMs` after its start. */
export const dueBy = (elapsedMs: number, perSecond: number): number =>
  Math.floor((Math.max(0, elapsedMs) * perSecond) / 1000);

/**
 * The index of the earlier event that event `i` is followed by again (a redelivery: the same
 * event id and payload), or undefined. Spread evenly: one every 1/share events, each resending
 * the event sent `lag` events before it (within a ring of at least `lag` + 1 recent messages).
 */
export function redeliveryOf(i: number, share: number, lag: number): number | undefined {
  if (share <= 0 || i < lag) return undefined;
  return Math.floor((i + 1) * share) > Math.floor(i * share) ? i - lag : undefined;
}

export interface SoakShape {
  /** Entity-id prefix of the run (`soak<run>-`): every key the soak makes starts with it. */
  prefix: string;
  customers: number;
  products: number;
  categories: number;
  /** Customers 0..checkCustomers-1 and products 0..checkProducts-1 are compared at the end. */
  checkCustomers: number;
  checkProducts: number;
}

/**
 * `YYYY-MM-DD HH:MM:SS.fff`, UTC: the producer's transaction_date format, and Flink's JSON
 * TIMESTAMP(3) in the changelogs.
 */
export const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

/**
 * Event i of the run. Customer i mod C and product i mod P: the keys of every feature stay within
 * C customers, P products, lcm(C, P) customer × product pairs and the categories, whatever the
 * run's length, so memory should not grow with it. The checked customers buy in a category of
 * their own (`cat-check`): its whole history is theirs, so it is checked with them. Ids are padded
 * so that their byte order is the order they were produced in.
 */
export function soakEvent(shape: SoakShape, i: number, atMs: number): OracleEvent {
  const c = i % shape.customers;
  const p = i % shape.products;
  const category = c < shape.checkCustomers ? 'cat-check' : `cat${i % shape.categories}`;
  return {
    event_id: `${shape.prefix}e${String(i).padStart(10, '0')}`,
    customer_id: `${shape.prefix}c${c}`,
    product_id: `${shape.prefix}p${p}`,
    category: `${shape.prefix}${category}`,
    price: Number(`${10 + (i % 90)}.${String(i % 100).padStart(2, '0')}`),
    quantity: 1 + (i % 3),
    transaction_date: utc(atMs),
    review_rating: i % 4 === 0 ? null : 1 + (i % 5),
  };
}

/** Whether the final check needs the event: it touches a checked customer or product. */
export function isChecked(shape: SoakShape, e: OracleEvent): boolean {
  const index = (id: string, kind: string) => Number(id.slice(shape.prefix.length + kind.length));
  return (
    index(e.customer_id, 'c') < shape.checkCustomers ||
    index(e.product_id, 'p') < shape.checkProducts
  );
}

/** The entity ids whose keys the final check compares (a key with one of them among its parts). */
export function checkedIds(shape: SoakShape): Set<string> {
  return new Set([
    ...Array.from({ length: shape.checkCustomers }, (_, c) => `${shape.prefix}c${c}`),
    ...Array.from({ length: shape.checkProducts }, (_, p) => `${shape.prefix}p${p}`),
    ...(shape.checkCustomers > 0 ? [`${shape.prefix}cat-check`] : []),
  ]);
}

/** The Kafka message of an event: keyed by customer, the source's other columns empty or fixed. */
export function wireMessage(e: OracleEvent): { key: string; value: string } {
  return {
    key: e.customer_id,
    value: JSON.stringify({
      ...e,
      review_text: null,
      customer_age: 30,
      customer_gender: null,
      country: null,
      device_type: null,
      browsing_duration: 60,
      previous_purchases: 1,
    }),
  };
}
