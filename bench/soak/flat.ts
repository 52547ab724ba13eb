/**
 * bench:soak's rule for "flat at the end" (issue 20), per series of samples (t in seconds, v):
 * over the second half of the run (samples with t ≥ half the last sample's t), the least-squares
 * slope extrapolated over that half's span must stay within TOLERANCE of the half's mean, or within
 * the series' absolute floor (tiny series: a few MiB of jitter on a small process is not growth).
 * Fewer than MIN_POINTS samples in the half: no verdict ('too few samples'), which --check fails.
 * --check fails a growing series too, but not a shrinking one (holdsUp).
 */

export const TOLERANCE = 0.1;
export const MIN_POINTS = 3;

export interface Point {
  t: number;
  v: number;
}

/** The least-squares slope of v over t (v units per t unit); NaN for fewer than 2 distinct t. */
export function slope(points: readonly Point[]): number {
  const n = points.length;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const mv = points.reduce((s, p) => s + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

export interface Flatness {
  verdict: 'flat' | 'growing' | 'shrinking' | 'too few samples';
  /** Slope × the half's span: how much the series moved over the second half, by the fit. */
  drift: number;
  /** The second half's mean. */
  mean: number;
  /** What |drift| had to stay within: max(TOLERANCE × |mean|, floor). */
  allowed: number;
  points: number;
}

export function flatness(series: readonly Point[], floor: number): Flatness {
  const end = series.length === 0 ? 0 : series[series.length - 1].t;
  const half = series.filter((p) => p.t >= end / 2);
  const mean = half.length === 0 ? NaN : half.reduce((s, p) => s + p.v, 0) / half.length;
  const allowed = Math.max(TOLERANCE * Math.abs(mean), floor);
  if (half.length < MIN_POINTS) {
    return { verdict: 'too few samples', drift: NaN, mean, allowed, points: half.length };
  }
  const drift = slope(half) * (half[half.length - 1].t - half[0].t);
  const verdict = Math.abs(drift) <= allowed ? 'flat' : drift > 0 ? 'growing' : 'shrinking';
  return { verdict, drift, mean, allowed, points: half.length };
}

/**
 * What --check accepts: flat, or shrinking. A leak grows; a series that falls over the second half
 * is giving back what a start-up burst took (a backlog the writer drains, the heap it needed for
 * it, a trace store evicting to its limit), which the run's printed verdict still shows.
 */
export const holdsUp = (f: Flatness): boolean => f.verdict === 'flat' || f.verdict === 'shrinking';
