import type { ConsoleHealthHistory } from '@fstore/client';
import { chartGeometry } from '../chart';
import { useApi } from '../hooks';
import { Problem, Scroll } from './parts';

/** The span the charts cover and their box (SVG user units; the CSS scales it to the page). */
const CHART_MINUTES = 60;
const WIDTH = 600;
const HEIGHT = 120;
/** Series colours: classes s0…s5 of styles.css, then again. */
const COLOURS = 6;

type HistoryPanel = ConsoleHealthHistory['panels'][number];

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
  const history = useApi((c) => c.consoleHealthHistory(CHART_MINUTES), [], 60000);
  const h = health.data;
  const overTime = new Map((history.data?.panels ?? []).map((p) => [p.name, p]));
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
          {overTime.has(p.name) && <Chart panel={overTime.get(p.name)!} />}
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

/**
 * One panel over the last CHART_MINUTES: a line a series, its legend with each series' labels and
 * newest value (the numbers are also in the table below, for those who do not see the chart).
 */
function Chart({ panel }: { panel: HistoryPanel }) {
  const g = chartGeometry(panel.series, WIDTH, HEIGHT);
  if (!g) return <p class="help">No samples in the last {CHART_MINUTES} minutes.</p>;
  const newest = (points: HistoryPanel['series'][number]['points']) =>
    [...points].reverse().find((p) => p[1] !== null)?.[1] ?? null;
  return (
    <figure class="chart" data-testid={`chart-${panel.name}`}>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${panel.title} over the last ${CHART_MINUTES} minutes, from ${number(g.min)} to ${number(g.max)}`}
      >
        <line class="axis" x1="0" y1={HEIGHT} x2={WIDTH} y2={HEIGHT} />
        {g.lines.map(
          (points, i) =>
            points && <polyline key={i} class={`line s${i % COLOURS}`} points={points} />,
        )}
      </svg>
      <figcaption>
        <span class="range">
          {number(g.min)} – {number(g.max)}, last {CHART_MINUTES} min
        </span>
        <ul class="legend">
          {panel.series.map((s, i) => (
            <li key={i}>
              <span class={`swatch s${i % COLOURS}`} aria-hidden="true" />
              {labels(s.labels)}: {number(newest(s.points))}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
