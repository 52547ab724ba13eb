import { FeatureType } from '@fstore/contracts';

/** Renders a value as the plain number the format fixes for its type (docs/online-store-format.md). */
export function formatValue(type: FeatureType, value: number | string): string {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${value}`);
  switch (type) {
    case 'int':
      if (!Number.isInteger(n)) throw new RangeError(`not an integer: ${value}`);
      return String(n);
    case 'decimal':
      return typeof value === 'string' ? toTwoDecimals(value) : n.toFixed(2);
    case 'double':
      return String(n);
  }
}

/** Exact rendering of a decimal string with two places, without a round trip through a double. */
function toTwoDecimals(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new RangeError(`not a decimal: ${text}`);
  const [, sign, whole, frac = ''] = m;
  if (frac.length > 2 && /[^0]/.test(frac.slice(2))) {
    throw new RangeError(`more than two decimals: ${text}`);
  }
  return `${sign}${BigInt(whole).toString()}.${frac.slice(0, 2).padEnd(2, '0')}`;
}
