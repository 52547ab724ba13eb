/**
 * The dashboards, the one source (issue 18): k8s/base/monitoring/dashboards/*.json is generated
 * from DASHBOARDS (`fstore monitoring dashboards`; a unit test fails on drift), and the console's
 * health page takes the queries marked `console` (CONSOLE_PANELS), so a query or title changes in
 * one place for both.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';

/** Grafana units the panels use, and what the console (which formats no unit) appends instead. */
const UNIT_SUFFIX = {
  s: ' (s)',
  bytes: ' (bytes)',
  // rate(process_cpu_seconds_total): Grafana shows 1.0 as 100 %, that is one core.
  percentunit: ' (cores)',
  reqps: '',
  ops: '',
  short: '',
} as const;
export type PanelUnit = keyof typeof UNIT_SUFFIX;

/** A query of the console's health page: a fixed list, so a browser never sends PromQL. */
export interface ConsoleMark {
  /** The panel's name in GET /v1/console/health (the console and its tests find panels by it). */
  name: string;
  /** Needed when the dashboard panel has several queries: the console shows one of them. */
  title?: string;
  /** false: shown now only, not charted over time (a list such as the scrape targets). */
  chart?: boolean;
}

export interface PanelQuery {
  expr: string;
  legend: string;
  /**
   * The medium test (test/monitoring/monitoring.medium-spec.ts) fails when the stack's Prometheus
   * has no series for it: for queries whose data every running stack has.
   */
  requiresData: boolean;
  console?: ConsoleMark;
}

export interface Panel {
  title: string;
  unit: PanelUnit;
  queries: PanelQuery[];
}

export interface Dashboard {
  /** The file under k8s/base/monitoring/dashboards/ and the uid's suffix. */
  name: string;
  title: string;
  panels: Panel[];
}

const FEATURE_SERVER = 'job="feature-server"';
const latency = (q: number) =>
  `histogram_quantile(${q}, sum by (le) (rate(fstore_http_request_duration_seconds_bucket{${FEATURE_SERVER}}[5m])))`;
const freshness = (q: number) =>
  `histogram_quantile(${q}, sum by (feature, le) (rate(fstore_writer_event_age_seconds_bucket[5m])))`;

/**
 * The console shows its panels in this order (dashboard by dashboard, panel by panel); the
 * dashboards are laid out two panels a row.
 */
export const DASHBOARDS: readonly Dashboard[] = [
  {
    name: 'freshness',
    title: 'fstore · freshness',
    panels: [
      {
        title: 'Event to Redis, p99 per feature',
        unit: 's',
        queries: [
          {
            expr: freshness(0.99),
            legend: '{{feature}}',
            requiresData: false,
            console: { name: 'freshness_p99_seconds' },
          },
        ],
      },
      {
        title: 'Event to Redis, p50 per feature',
        unit: 's',
        queries: [
          {
            expr: freshness(0.5),
            legend: '{{feature}}',
            requiresData: false,
            console: { name: 'freshness_p50_seconds' },
          },
        ],
      },
      {
        title: 'Values written per second, per feature',
        unit: 'ops',
        queries: [
          {
            expr: 'sum by (feature) (rate(fstore_writer_records_in_total[5m]))',
            legend: '{{feature}}',
            requiresData: false,
          },
        ],
      },
      {
        // The alert FeatureFreshnessSlow's measure (monitoring/alerts.yml): how old the freshest
        // stored value is, which grows when nothing arrives at all.
        title: 'Age of the newest stored value, per feature',
        unit: 's',
        queries: [
          {
            expr: 'time() - max by (feature) (fstore_writer_newest_event_time_seconds)',
            legend: '{{feature}}',
            requiresData: false,
            console: { name: 'newest_value_age_seconds' },
          },
        ],
      },
    ],
  },
  {
    name: 'pipeline',
    title: 'fstore · pipeline',
    panels: [
      {
        title: 'Feature writer lag (records), per topic',
        unit: 'short',
        queries: [
          {
            expr: 'sum by (topic) (fstore_writer_consumer_lag)',
            legend: '{{topic}}',
            requiresData: false,
            console: { name: 'writer_lag' },
          },
        ],
      },
      {
        title: 'Streaming deployments running (1) or not (0)',
        unit: 'short',
        queries: [
          {
            expr: 'fstore_control_deployment_running',
            legend: '{{deployment}}',
            requiresData: false,
            console: { name: 'deployments_running' },
          },
        ],
      },
      {
        title: 'Flink job restarts',
        unit: 'short',
        queries: [
          {
            expr: 'max by (job_name) (flink_jobmanager_job_numRestarts)',
            legend: '{{job_name}}',
            requiresData: false,
            console: { name: 'flink_job_restarts' },
          },
        ],
      },
      {
        title: 'Flink checkpoint duration',
        unit: 's',
        queries: [
          {
            expr: 'max by (job_name) (flink_jobmanager_job_lastCheckpointDuration) / 1000',
            legend: '{{job_name}}',
            requiresData: false,
            console: { name: 'flink_checkpoint_duration_seconds' },
          },
        ],
      },
      {
        title: 'Flink checkpoint size',
        unit: 'bytes',
        queries: [
          {
            expr: 'max by (job_name) (flink_jobmanager_job_lastCheckpointSize)',
            legend: '{{job_name}}',
            requiresData: false,
            console: { name: 'flink_checkpoint_size_bytes' },
          },
        ],
      },
      {
        title: 'Flink TaskManagers registered',
        unit: 'short',
        queries: [
          {
            expr: 'flink_jobmanager_numRegisteredTaskManagers',
            legend: 'TaskManagers',
            requiresData: true,
          },
        ],
      },
      {
        title: 'Dead letters per second',
        unit: 'ops',
        queries: [
          {
            expr: 'sum(rate(fstore_writer_dead_lettered_total[5m])) or vector(0)',
            legend: 'writer',
            requiresData: true,
          },
          {
            expr: 'sum(rate(fstore_producer_records_dead_lettered_total[5m])) or vector(0)',
            legend: 'producer',
            requiresData: true,
          },
        ],
      },
      {
        title: 'Kafka messages in per second, per topic',
        unit: 'ops',
        queries: [
          {
            expr: 'sum by (topic) (rate(kafka_server_brokertopicmetrics_messagesin_total{topic!=""}[5m]))',
            legend: '{{topic}}',
            requiresData: false,
          },
        ],
      },
      {
        title: 'Kafka under-replicated partitions',
        unit: 'short',
        queries: [
          {
            expr: 'sum(kafka_server_replicamanager_underreplicatedpartitions)',
            legend: 'under-replicated',
            requiresData: true,
          },
        ],
      },
    ],
  },
  {
    name: 'serving',
    title: 'fstore · serving',
    panels: [
      {
        title: 'Feature reads per second, per instance',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (instance) (rate(fstore_http_requests_total{${FEATURE_SERVER}}[1m]))`,
            legend: '{{instance}}',
            requiresData: true,
            console: { name: 'serving_requests_per_second' },
          },
        ],
      },
      {
        title: 'Latency p50 / p99',
        unit: 's',
        queries: [
          { expr: latency(0.5), legend: 'p50', requiresData: false },
          {
            expr: latency(0.99),
            legend: 'p99',
            requiresData: false,
            console: { name: 'serving_latency_p99_seconds', title: 'Feature read latency p99' },
          },
        ],
      },
      {
        title: 'Feature read errors per second, by status',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (status) (rate(fstore_http_requests_total{${FEATURE_SERVER},status=~"[45].."}[5m]))`,
            legend: '{{status}}',
            requiresData: false,
            console: { name: 'serving_errors_per_second' },
          },
        ],
      },
      {
        title: 'Redis read failures per second',
        unit: 'reqps',
        queries: [
          {
            expr: 'sum(rate(fstore_redis_errors_total[5m]))',
            legend: 'failures',
            requiresData: false,
          },
        ],
      },
    ],
  },
  {
    name: 'batch',
    title: 'fstore · batch runs',
    panels: [
      {
        title: 'Age of the last successful run, per job',
        unit: 's',
        queries: [
          {
            expr: 'time() - fstore_control_batch_last_success_timestamp_seconds',
            legend: '{{job}}',
            requiresData: false,
            console: { name: 'batch_last_success_age_seconds' },
          },
        ],
      },
      {
        title: 'Operations finished per hour, by outcome',
        unit: 'short',
        queries: [
          {
            expr: 'sum by (outcome) (increase(fstore_control_operations_total[1h]))',
            legend: '{{outcome}}',
            requiresData: false,
          },
        ],
      },
    ],
  },
  {
    name: 'resources',
    title: 'fstore · resources',
    panels: [
      {
        title: 'CPU of each fstore process',
        unit: 'percentunit',
        queries: [
          {
            expr: 'sum by (job, instance) (rate(process_cpu_seconds_total[1m]))',
            legend: '{{job}} {{instance}}',
            requiresData: true,
            console: { name: 'process_cpu_cores' },
          },
        ],
      },
      {
        title: 'Resident memory of each fstore process',
        unit: 'bytes',
        queries: [
          {
            expr: 'sum by (job, instance) (process_resident_memory_bytes)',
            legend: '{{job}} {{instance}}',
            requiresData: true,
            console: { name: 'process_memory_bytes' },
          },
        ],
      },
      {
        title: 'Flink TaskManager heap',
        unit: 'bytes',
        queries: [
          {
            expr: 'max(flink_taskmanager_Status_JVM_Memory_Heap_Used)',
            legend: 'heap used',
            requiresData: false,
          },
        ],
      },
      {
        title: 'Scrape targets up',
        unit: 'short',
        queries: [
          {
            expr: 'up',
            legend: '{{job}} {{instance}}',
            requiresData: true,
            console: { name: 'targets_up', chart: false },
          },
        ],
      },
    ],
  },
];

/** The directory of the generated JSON, relative to the project root. */
export const DASHBOARDS_DIR = 'k8s/base/monitoring/dashboards';

/** Grafana's dashboard JSON of one dashboard: two panels a row, 12 columns by 8 rows each. */
export function dashboardJson(d: Dashboard): string {
  const json = {
    uid: `fstore-${d.name}`,
    title: d.title,
    tags: ['fstore'],
    schemaVersion: 39,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    panels: d.panels.map((p, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: p.title,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: p.unit } },
      targets: p.queries.map((q, j) => ({
        refId: String.fromCharCode(65 + j),
        expr: q.expr,
        legendFormat: q.legend,
        requiresData: q.requiresData,
      })),
    })),
  };
  // Arrays of strings on one line, as Prettier writes them (`prettier --check .` covers k8s/).
  return `${JSON.stringify(json, null, 2).replace(/\[\n\s+("[^"\n]*")\n\s+\]/g, '[$1]')}\n`;
}

/** Every generated file: path relative to the project root → its text. */
export function dashboardFiles(): Map<string, string> {
  return new Map(DASHBOARDS.map((d) => [`${DASHBOARDS_DIR}/${d.name}.json`, dashboardJson(d)]));
}

export interface ConsolePanel {
  name: string;
  title: string;
  query: string;
  chart: boolean;
}

/** The console's health panels: the marked queries, titled with their unit. */
export const CONSOLE_PANELS: readonly ConsolePanel[] = DASHBOARDS.flatMap((d) =>
  d.panels.flatMap((p) =>
    p.queries.flatMap((q) => {
      if (!q.console) return [];
      if (p.queries.length > 1 && q.console.title === undefined) {
        throw new Error(`dashboard panel "${p.title}": its console query needs a title of its own`);
      }
      return [
        {
          name: q.console.name,
          title: `${q.console.title ?? p.title}${UNIT_SUFFIX[p.unit]}`,
          query: q.expr,
          chart: q.console.chart ?? true,
        },
      ];
    }),
  ),
);

/**
 * Generated files whose checked-in text differs (missing or changed), and JSON files in the
 * directory that no dashboard produces any more: relative paths, sorted.
 */
export function dashboardDrift(root: string): string[] {
  const expected = dashboardFiles();
  const changed = [...expected]
    .filter(([file, text]) => {
      const path = join(root, file);
      return !existsSync(path) || readFileSync(path, 'utf8') !== text;
    })
    .map(([file]) => file);
  const dir = join(root, DASHBOARDS_DIR);
  const stale = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .map((name) => `${DASHBOARDS_DIR}/${name}`)
        .filter((file) => !expected.has(file))
    : [];
  return [...changed, ...stale].sort();
}

/** Brings the directory in step with DASHBOARDS; returns what it wrote or removed. */
export function writeDashboards(root: string): string[] {
  const expected = dashboardFiles();
  const drift = dashboardDrift(root);
  mkdirSync(join(root, DASHBOARDS_DIR), { recursive: true });
  for (const file of drift) {
    const text = expected.get(file);
    if (text === undefined) rmSync(join(root, file));
    else writeFileSync(join(root, file), text);
  }
  return drift;
}
