import { useApi } from '../hooks';
import { Problem, Scroll } from './parts';

const number = (v: number | null) =>
  v === null ? '—' : Number.isInteger(v) ? String(v) : v.toFixed(3);
const labels = (l: Record<string, string>) =>
  Object.entries(l)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}=${v}`)
    .join(', ') || '(total)';

/** The control plane's dependencies and the Prometheus numbers it reads for the page. */
export function HealthPage() {
  const health = useApi((c) => c.consoleHealth(), [], 15000);
  const h = health.data;
  return (
    <>
      <h1>Health</h1>
      <Problem error={health.error} />
      <h2>Components</h2>
      <ul class="components">
        {(h?.components ?? []).map((c) => (
          <li key={c.name} data-component={c.name}>
            <span class={`badge ${c.status}`}>{c.status}</span> {c.name}
            {c.detail && <span class="detail"> — {c.detail}</span>}
          </li>
        ))}
      </ul>
      <h2>Metrics</h2>
      {h?.metrics_error && <p class="notice">Metrics unavailable: {h.metrics_error}</p>}
      {(h?.panels ?? []).map((p) => (
        <section key={p.name} class="panel" aria-labelledby={`panel-${p.name}`}>
          <h3 id={`panel-${p.name}`}>{p.title}</h3>
          {p.series.length === 0 ? (
            <p class="help">No samples yet.</p>
          ) : (
            <Scroll label={`${p.title}: values`}>
              <table>
                <tbody>
                  {p.series.map((s, i) => (
                    <tr key={i}>
                      <th scope="row">{labels(s.labels)}</th>
                      <td>{number(s.value)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
          )}
        </section>
      ))}
    </>
  );
}
