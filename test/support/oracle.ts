/**
 * The reference implementation the engines are compared with: the interpreter of the feature
 * definitions (interpreter.ts), and how a value read from Redis is compared with its value.
 */
export interface OracleEvent {
  event_id: string;
  customer_id: string;
  product_id: string;
  category: string;
  /** decimal(10,2), as text ("12.50") or number */
  price: string | number;
  quantity: number;
  /** `YYYY-MM-DD HH:MM:SS[.fff]` or ISO-8601, UTC */
  transaction_date: string;
  review_rating: number | null;
}

export {
  batchFeatures,
  eventTimeMs,
  featureValues,
  historyFeatures,
  isStreamWindow,
  streamFeatures,
  valueAt,
  windowValues,
  type OracleValue,
} from './interpreter';
import type { OracleValue } from './interpreter';

/** Whether a value read from Redis equals the oracle's (doubles to a relative 1e-9). */
export function sameValue(expected: OracleValue, actual: string | null): boolean {
  if (actual === null) return false;
  if (expected.kind !== 'double') return expected.value === actual;
  const e = Number(expected.value);
  const a = Number(actual);
  return Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e));
}
