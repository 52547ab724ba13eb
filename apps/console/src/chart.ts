/**
 * A series over time, as GET /v1/console/health/history answers it: [epoch seconds, value or
 * null] pairs (the OpenAPI types know them only as arrays of numbers or nulls).
 */
export interface TimeSeries {
  points: readonly (readonly (number | null)[])[];
}

export interface ChartGeometry {
  /** One SVG polyline `points` attribute per series ('' for a series without numbers). */
  lines: string[];
  /** The value range drawn, bottom to top (0 included, so a flat line is not mistaken for 0). */
  min: number;
  max: number;
  /** The time range drawn, epoch seconds. */
  start: number;
  end: number;
}

/**
 * Where each point of each series goes in a `width` × `height` box: time left to right, value
 * bottom to top over the range of every series (and 0). Points without a number are left out.
 * Undefined when no series has a point.
 */
export function chartGeometry(
  series: readonly TimeSeries[],
  width: number,
  height: number,
): ChartGeometry | undefined {
  const pairs = series.map((s) => s.points.map((p) => [p[0] ?? 0, p[1] ?? null] as const));
  const all = pairs.flat();
  if (all.length === 0) return undefined;
  const times = all.map(([t]) => t);
  const values = all.map(([, v]) => v).filter((v): v is number => v !== null);
  const start = Math.min(...times);
  const end = Math.max(...times);
  const min = Math.min(0, ...values);
  const max = Math.max(0, ...values);
  const x = (t: number) => (end === start ? width / 2 : ((t - start) / (end - start)) * width);
  const y = (v: number) => (max === min ? height : height - ((v - min) / (max - min)) * height);
  const round = (n: number) => Math.round(n * 10) / 10;
  const lines = pairs.map((points) =>
    points
      .filter((p): p is readonly [number, number] => p[1] !== null)
      .map(([t, v]) => `${round(x(t))},${round(y(v))}`)
      .join(' '),
  );
  return { lines, min, max, start, end };
}
