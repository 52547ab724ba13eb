import type { FstoreConfig } from '@fstore/config';

export interface PromSample {
  labels: Record<string, string>;
  value: number | null;
}

/** One series over time: [epoch seconds, value] pairs (null where the value is not a number). */
export interface PromRange {
  labels: Record<string, string>;
  points: [number, number | null][];
}

/**
 * The stack's Prometheus, read by the control plane with its basic-auth password (which never
 * leaves the server): instant and range queries of the fixed PromQL the services hold.
 */
export class PrometheusRepository {
  constructor(
    private readonly url: string,
    private readonly authorization: string | undefined,
  ) {}

  static fromConfig(c: FstoreConfig): PrometheusRepository {
    const { password, user, url } = c.monitoring;
    const auth = password
      ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
      : undefined;
    return new PrometheusRepository(url, auth);
  }

  get configured(): boolean {
    return this.authorization !== undefined;
  }

  async query(promql: string): Promise<PromSample[]> {
    const data = await this.get<{ metric: Record<string, string>; value: [number, string] }>(
      'query',
      { query: promql },
    );
    if (data.resultType !== 'vector') return [];
    return data.result.map((r) => ({ labels: r.metric, value: finite(r.value[1]) }));
  }

  /** The query's series from `start` to `end` (epoch seconds), one point every `step` seconds. */
  async queryRange(promql: string, start: number, end: number, step: number): Promise<PromRange[]> {
    const data = await this.get<{ metric: Record<string, string>; values: [number, string][] }>(
      'query_range',
      { query: promql, start: String(start), end: String(end), step: String(step) },
    );
    if (data.resultType !== 'matrix') return [];
    return data.result.map((r) => ({
      labels: r.metric,
      points: r.values.map(([t, v]) => [t, finite(v)] as [number, number | null]),
    }));
  }

  private async get<R>(
    api: 'query' | 'query_range',
    params: Record<string, string>,
  ): Promise<{ resultType: string; result: R[] }> {
    const res = await fetch(`${this.url}/api/v1/${api}?${new URLSearchParams(params)}`, {
      headers: this.authorization ? { authorization: this.authorization } : {},
      signal: AbortSignal.timeout(3000),
    });
    if (!res.ok) throw new Error(`Prometheus answered ${res.status}`);
    return ((await res.json()) as { data: { resultType: string; result: R[] } }).data;
  }
}

/** A sample's value as a number, null for NaN and ±Inf (JSON has neither). */
function finite(text: string): number | null {
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}
