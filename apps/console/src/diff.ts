/** One line of a line diff: kept, or only in the newer text, or only in the older one. */
export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/**
 * The lines of `after` against `before` by their longest common subsequence: every line of both
 * once, in order, kept lines as `same`; where both changed, the removed lines come first.
 */
export function lineDiff(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  // common[i][j]: the LCS length of before[i..] and after[j..].
  const common = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i][j] =
        before[i] === after[j]
          ? common[i + 1][j + 1] + 1
          : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push({ kind: 'same', text: before[i] });
      i++;
      j++;
    } else if (j >= m || (i < n && common[i + 1][j] >= common[i][j + 1])) {
      out.push({ kind: 'removed', text: before[i] });
      i++;
    } else {
      out.push({ kind: 'added', text: after[j] });
      j++;
    }
  }
  return out;
}

/**
 * A JSON value as indented lines with object keys sorted, so that two versions line up whatever
 * order the store kept their keys in.
 */
export function jsonLines(value: unknown): string[] {
  return JSON.stringify(sortKeys(value), null, 2).split('\n');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** The sign a diff line is shown with (the colour is not the only mark). */
export const diffSign = (kind: DiffLine['kind']): string =>
  kind === 'added' ? '+' : kind === 'removed' ? '-' : ' ';
