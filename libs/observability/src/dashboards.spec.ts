import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { load } from 'js-yaml';
import { PROJECT_ROOT } from '@fstore/config';
import {
  CONSOLE_PANELS,
  DASHBOARDS,
  DASHBOARDS_DIR,
  dashboardDrift,
  dashboardFiles,
  dashboardJson,
  writeDashboards,
} from './dashboards';

describe('dashboards (one source: libs/observability/src/dashboards.ts)', () => {
  it('k8s/base/monitoring/dashboards holds exactly what the source generates', () => {
    // On failure: run `npx fstore dashboards` and commit the result.
    expect(dashboardDrift(PROJECT_ROOT)).toEqual([]);
  });

  it("the kustomization's ConfigMap carries every generated dashboard and nothing else", () => {
    const k = load(
      readFileSync(join(PROJECT_ROOT, 'k8s/base/monitoring/kustomization.yaml'), 'utf8'),
    ) as { configMapGenerator: { name: string; files: string[] }[] };
    const cm = k.configMapGenerator.find((g) => g.name === 'fstore-dashboards')!;
    expect(cm.files.map((f) => `k8s/base/monitoring/${f}`).sort()).toEqual(
      [...dashboardFiles().keys()].sort(),
    );
  });

  it('writes Grafana JSON: uid, two panels a row, one refId a query', () => {
    const json = JSON.parse(
      dashboardJson({
        name: 'x',
        title: 'fstore · x',
        panels: [
          { title: 'a', unit: 's', queries: [{ expr: 'up', legend: 'l', requiresData: true }] },
          {
            title: 'b',
            unit: 'bytes',
            queries: [
              { expr: 'q1', legend: 'one', requiresData: false },
              { expr: 'q2', legend: 'two', requiresData: false },
            ],
          },
          { title: 'c', unit: 'short', queries: [{ expr: 'q3', legend: '', requiresData: false }] },
        ],
      }),
    ) as { uid: string; tags: string[]; panels: Record<string, unknown>[] };
    expect(json.uid).toBe('fstore-x');
    expect(json.tags).toEqual(['fstore']);
    expect(json.panels.map((p) => [p.id, p.gridPos])).toEqual([
      [1, { x: 0, y: 0, w: 12, h: 8 }],
      [2, { x: 12, y: 0, w: 12, h: 8 }],
      [3, { x: 0, y: 8, w: 12, h: 8 }],
    ]);
    expect(json.panels[1]).toMatchObject({
      fieldConfig: { defaults: { unit: 'bytes' } },
      targets: [
        { refId: 'A', expr: 'q1', legendFormat: 'one', requiresData: false },
        { refId: 'B', expr: 'q2', legendFormat: 'two', requiresData: false },
      ],
    });
  });

  it('the console takes the marked queries, titled with their unit, names unique', () => {
    const names = CONSOLE_PANELS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    // The panels the console's pages and tests find by name (apps/console/src/freshness.ts).
    expect(names).toEqual(
      expect.arrayContaining([
        'targets_up',
        'freshness_p50_seconds',
        'freshness_p99_seconds',
        'newest_value_age_seconds',
        'serving_requests_per_second',
      ]),
    );
    const byName = new Map(CONSOLE_PANELS.map((p) => [p.name, p]));
    expect(byName.get('freshness_p99_seconds')).toEqual({
      name: 'freshness_p99_seconds',
      title: 'Event to Redis, p99 per feature (s)',
      query:
        'histogram_quantile(0.99, sum by (feature, le) (rate(fstore_writer_event_age_seconds_bucket[5m])))',
      chart: true,
    });
    // One of a panel's two queries: its own title.
    expect(byName.get('serving_latency_p99_seconds')?.title).toBe('Feature read latency p99 (s)');
    expect(byName.get('targets_up')).toMatchObject({ title: 'Scrape targets up', chart: false });
    // Every console query is a dashboard query: nothing of the console's own.
    const exprs = new Set(
      DASHBOARDS.flatMap((d) => d.panels.flatMap((p) => p.queries)).map((q) => q.expr),
    );
    expect(CONSOLE_PANELS.filter((p) => !exprs.has(p.query))).toEqual([]);
  });

  it('writeDashboards writes what differs and removes a dashboard no longer in the source', () => {
    const root = mkdtempSync(join(tmpdir(), 'fstore-dashboards-'));
    try {
      mkdirSync(join(root, DASHBOARDS_DIR), { recursive: true });
      writeFileSync(join(root, DASHBOARDS_DIR, 'old.json'), '{}\n');
      writeFileSync(join(root, DASHBOARDS_DIR, 'serving.json'), '{}\n');
      const all = [...dashboardFiles().keys()];
      expect(dashboardDrift(root)).toEqual([...all, `${DASHBOARDS_DIR}/old.json`].sort());
      expect(writeDashboards(root)).toEqual([...all, `${DASHBOARDS_DIR}/old.json`].sort());
      expect(readdirSync(join(root, DASHBOARDS_DIR)).sort()).toEqual(
        DASHBOARDS.map((d) => `${d.name}.json`).sort(),
      );
      expect(dashboardDrift(root)).toEqual([]);
      expect(writeDashboards(root)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
