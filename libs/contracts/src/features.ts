/**
 * The eight features of DESIGN §3: the one definition that the writer, the Spark jobs' spec, the
 * feature server, the control plane and the tests read. The Redis layout they follow is written
 * down in docs/online-store-format.md.
 */

export type EntityName = 'product' | 'customer' | 'category' | 'customer_product';

export interface EntityDefinition {
  name: EntityName;
  /** The raw-event columns that identify one entity, in key order. */
  keyColumns: readonly string[];
  description: string;
}

export const ENTITIES: Record<EntityName, EntityDefinition> = {
  product: { name: 'product', keyColumns: ['product_id'], description: 'A product' },
  customer: { name: 'customer', keyColumns: ['customer_id'], description: 'A customer' },
  category: { name: 'category', keyColumns: ['category'], description: 'A product category' },
  customer_product: {
    name: 'customer_product',
    keyColumns: ['customer_id', 'product_id'],
    description: 'A customer together with a product',
  },
};

export type FeatureEngine = 'stream' | 'batch';
export type FeatureType = 'double' | 'decimal' | 'int';

/** How a client of the original system asked for this feature (seed/API.md). */
export interface LegacyEndpoint {
  path: string;
  responseField: string;
  notFoundCode: number;
}

export interface FeatureDefinition {
  name: string;
  entity: EntityName;
  engine: FeatureEngine;
  type: FeatureType;
  description: string;
  /** The job that produces it: a file under flink-sql/ or spark-jobs/. */
  producedBy: string;
  legacy: LegacyEndpoint;
}

export const FEATURES: readonly FeatureDefinition[] = [
  {
    name: 'avg_review',
    entity: 'product',
    engine: 'stream',
    type: 'double',
    description: 'Mean rating of the 5 latest rated events of the product',
    producedBy: 'flink-sql/avg_review.sql',
    legacy: {
      path: '/api/v1/stream/review-rating-average',
      responseField: 'avg_rating',
      notFoundCode: 2003,
    },
  },
  {
    name: 'last_purchase_amount',
    entity: 'customer',
    engine: 'stream',
    type: 'decimal',
    description: "Amount (price × quantity) of the customer's latest event",
    producedBy: 'flink-sql/last_purchase_amount.sql',
    legacy: {
      path: '/api/v1/stream/customer-last-purchase-amount',
      responseField: 'amount',
      notFoundCode: 2004,
    },
  },
  {
    name: 'last_review',
    entity: 'customer_product',
    engine: 'stream',
    type: 'int',
    description: 'Rating of the latest rated event of that customer for that product',
    producedBy: 'flink-sql/last_review.sql',
    legacy: {
      path: '/api/v1/stream/customer-last-product-review-rating',
      responseField: 'rating',
      notFoundCode: 2005,
    },
  },
  {
    name: 'revenue_category',
    entity: 'category',
    engine: 'stream',
    type: 'decimal',
    description: "Sum of amount over the category's 3 latest events",
    producedBy: 'flink-sql/revenue_category.sql',
    legacy: {
      path: '/api/v1/stream/total-revenue-by-category',
      responseField: 'revenue',
      notFoundCode: 2006,
    },
  },
  {
    name: 'avg_review_rating',
    entity: 'product',
    engine: 'batch',
    type: 'double',
    description: 'Mean rating of rated events in the 30 days up to the as-of time',
    producedBy: 'spark-jobs/batch_features.py',
    legacy: {
      path: '/api/v1/offline/average-product-review-rating',
      responseField: 'avg_rating',
      notFoundCode: 2007,
    },
  },
  {
    name: 'revenue_by_category',
    entity: 'category',
    engine: 'batch',
    type: 'decimal',
    description: 'Sum of amount in the 30 days up to the as-of time',
    producedBy: 'spark-jobs/batch_features.py',
    legacy: {
      path: '/api/v1/offline/category-revenue',
      responseField: 'revenue',
      notFoundCode: 2008,
    },
  },
  {
    name: 'revenue_by_product',
    entity: 'product',
    engine: 'batch',
    type: 'decimal',
    description: 'Sum of amount in the 30 days up to the as-of time',
    producedBy: 'spark-jobs/batch_features.py',
    legacy: {
      path: '/api/v1/offline/product-revenue',
      responseField: 'revenue',
      notFoundCode: 2009,
    },
  },
  {
    name: 'units_sold',
    entity: 'product',
    engine: 'batch',
    type: 'int',
    description: 'Sum of quantity in the 30 days up to the as-of time',
    producedBy: 'spark-jobs/batch_features.py',
    legacy: {
      path: '/api/v1/offline/sold-product-units',
      responseField: 'units',
      notFoundCode: 2010,
    },
  },
];

/** The features Flink computes from the stream, each by its own job into its own changelog. */
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
 * The Redis key of one feature value (DESIGN §3): each key part in braces, joined by `_`:
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
