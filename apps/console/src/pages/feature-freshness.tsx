import { seconds } from '../format';
import { freshnessOf } from '../freshness';
import { useApi } from '../hooks';
import { Problem } from './parts';

/**
 * How fresh a stream feature is (event time → stored in Redis, p50 and p99 over 5 minutes) and
 * how old its newest stored value is, from the control plane's fixed Prometheus queries
 * (GET /v1/console/health). Refreshed every 15 s, Prometheus's scrape interval.
 */
export function FeatureFreshness({ name, engine }: { name: string; engine: string | undefined }) {
  const health = useApi((c) => c.consoleHealth(), [], 15000);
  const h = health.data;
  const numbers = h ? freshnessOf(h, name) : undefined;
  const none =
    numbers && numbers.p50 === null && numbers.p99 === null && numbers.newestAge === null;
  return (
    <section aria-labelledby="freshness-heading">
      <h2 id="freshness-heading">Freshness</h2>
      <Problem error={health.error ?? h?.metrics_error ?? undefined} />
      {engine === 'batch' ? (
        <p class="count" data-testid="freshness-batch">
          A batch feature: as fresh as its last successful run (above).
        </p>
      ) : none ? (
        <p class="count" data-testid="freshness-none">
          No numbers in Prometheus for this feature in the last 5 minutes (nothing written).
        </p>
      ) : (
        numbers && (
          <dl class="facts" data-testid="freshness">
            <dt>Event to stored, p50</dt>
            <dd data-testid="freshness-p50">{seconds(numbers.p50)}</dd>
            <dt>Event to stored, p99</dt>
            <dd data-testid="freshness-p99">{seconds(numbers.p99)}</dd>
            <dt>Newest stored value</dt>
            <dd data-testid="freshness-newest">
              {numbers.newestAge === null ? '—' : `${seconds(numbers.newestAge)} old`}
            </dd>
          </dl>
        )
      )}
    </section>
  );
}
