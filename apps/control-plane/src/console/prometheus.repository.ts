import type { FstoreConfig } from '@fstore/config';

export interface PromSample {
  labels: Record<string, string>;
  value: number | null;
}

/**
 * The stack's Prometheus, read by the control plane with its basic-auth password (which never
 * leaves the server): instant queries only.
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
    const res = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query: promql })}`, {
      headers: this.authorization ? { authorization: this.authorization } : {},
      signal: AbortSignal.timeout(3000),
    });
    if (!res.ok) throw new Error(`Prometheus answered ${res.status}`);
    const body = (await res.json()) as {
      data: {
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      };
    };
    if (body.data.resultType !== 'vector') return [];
    return body.data.result.map((r) => {
      const v = Number(r.value[1]);
      return { labels: r.metric, value: Number.isFinite(v) ? v : null };
    });
  }
}
