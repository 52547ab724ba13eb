/**
 * The soak's final check: the plain (non-window) stream features of the checked entities, as the
 * reference implementation (test/support/interpreter.ts) computes them from exactly the events
 * the soak sent, against the values in Redis.
 */
import { OracleValue, sameValue, streamFeatures } from '../../test/support/oracle';

/** The entity ids of a Redis key `<feature>:{k1}[_{k2}]`. */
export const keyParts = (key: string): string[] =>
  [...key.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);

/**
 * The reference values of the keys with a checked entity among their parts: only those have all
 * their events among the ones kept (every event touching a checked entity).
 */
export function referenceValues(
  events: readonly object[],
  checked: ReadonlySet<string>,
): Map<string, OracleValue> {
  const out = new Map<string, OracleValue>();
  for (const [key, value] of streamFeatures(events)) {
    if (keyParts(key).some((p) => checked.has(p))) out.set(key, value);
  }
  return out;
}

export interface Mismatch {
  key: string;
  expected: string;
  /** What Redis holds (null: no key). */
  actual: string | null;
}

export interface Comparison {
  compared: number;
  mismatches: Mismatch[];
}

/** Every expected key against Redis's value (doubles to a relative 1e-9, the rest exactly). */
export function compareValues(
  expected: ReadonlyMap<string, OracleValue>,
  actual: ReadonlyMap<string, string | null>,
): Comparison {
  const mismatches: Mismatch[] = [];
  for (const [key, want] of [...expected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const got = actual.get(key) ?? null;
    if (!sameValue(want, got)) mismatches.push({ key, expected: want.value, actual: got });
  }
  return { compared: expected.size, mismatches };
}

/** The comparison's line, with the first few differences. */
export function formatComparison(c: Comparison, first = 5): string {
  if (c.mismatches.length === 0) return `final values: ${c.compared} keys equal the reference`;
  const shown = c.mismatches
    .slice(0, first)
    .map((m) => `\n  ${m.key}: Redis ${m.actual ?? '(none)'}, reference ${m.expected}`)
    .join('');
  return `final values: ${c.mismatches.length} of ${c.compared} keys differ from the reference${shown}`;
}
