import { loadConfig } from '@fstore/config';
import { partitionsOf, STACK_TOPICS } from '@fstore/contracts';
import { DASHBOARDS } from '@fstore/observability';
import { PROMETHEUS_USER, scrapeTargets } from '../../apps/cli/src/stack/monitoring';

// The stack's Prometheus (issue 18): behind basic auth, scraping every fstore service and the
// Pushgateway Flink pushes to, with the alert rules of monitoring/alerts.yml loaded.
const config = loadConfig();
const base = config.monitoring.url;
const auth = `Basic ${Buffer.from(`${PROMETHEUS_USER}:${config.monitoring.password}`).toString('base64')}`;
jest.setTimeout(180000);

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: auth } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { status: string; data: T };
  expect(body.status).toBe('success');
  return body.data;
}

interface Target {
  labels: { job: string; instance: string };
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

describe('monitoring', () => {
  it('refuses anyone without the password', async () => {
    expect((await fetch(`${base}/api/v1/targets`)).status).toBe(401);
    const wrong = `Basic ${Buffer.from(`${PROMETHEUS_USER}:nope`).toString('base64')}`;
    expect(
      (await fetch(`${base}/api/v1/targets`, { headers: { authorization: wrong } })).status,
    ).toBe(401);
  });

  it('scrapes every running fstore service, Flink (through the Pushgateway) and the exporters', async () => {
    const wanted = scrapeTargets(config);
    // The producer service is not part of the stack (fstore produce is a command): it may be down.
    const mustBeUp = Object.entries(wanted).filter(([job]) => job !== 'producer');
    const deadline = Date.now() + 120000;
    let down: string[] = [];
    do {
      const { activeTargets } = await api<{ activeTargets: Target[] }>('/api/v1/targets');
      const health = new Map(activeTargets.map((t) => [`${t.labels.job} ${t.labels.instance}`, t]));
      down = mustBeUp.flatMap(([job, instances]) =>
        instances
          .map((i) => health.get(`${job} ${i}`))
          .filter((t) => t?.health !== 'up')
          .map((t) => `${job}: ${t?.health ?? 'missing'} ${t?.lastError ?? ''}`),
      );
      if (down.length === 0) break;
      await new Promise((r) => setTimeout(r, 3000));
    } while (Date.now() < deadline);
    expect(down).toEqual([]);
    // Flink's own metrics arrive by way of the Pushgateway.
    let flink: unknown[] = [];
    while (Date.now() < deadline) {
      flink = (
        await api<{ result: unknown[] }>(
          '/api/v1/query?query=flink_jobmanager_numRegisteredTaskManagers',
        )
      ).result;
      if (flink.length > 0) break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    expect(flink.length).toBeGreaterThan(0);
    const served = await api<{ result: unknown[] }>(
      `/api/v1/query?query=${encodeURIComponent('fstore_http_requests_total')}`,
    );
    expect(served.result.length).toBeGreaterThan(0);
  });

  it('scrapes each Redis Cluster node through the Redis exporter (user metrics): state ok', async () => {
    // The exporter's own job is checked up above with the others; here its key metric.
    const deadline = Date.now() + 60000;
    let states: { metric: { instance: string }; value: [number, string] }[] = [];
    while (Date.now() < deadline) {
      states = (
        await api<{ result: typeof states }>(
          `/api/v1/query?query=${encodeURIComponent('redis_cluster_state{job="redis"}')}`,
        )
      ).result;
      if (states.length === config.redis.clusterPorts.length) break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    expect(states.map((s) => `${s.metric.instance} ${s.value[1]}`).sort()).toEqual(
      scrapeTargets(config)
        .redis.map((node) => `${node} 1`)
        .sort(),
    );
  });

  it('scrapes the queue Redis through the same exporter, logged in as its user metrics', async () => {
    const deadline = Date.now() + 60000;
    let up: { metric: { instance: string }; value: [number, string] }[] = [];
    while (Date.now() < deadline) {
      up = (
        await api<{ result: typeof up }>(
          `/api/v1/query?query=${encodeURIComponent('redis_up{job="redis-queue"}')}`,
        )
      ).result;
      if (up.length > 0 && up[0].value[1] === '1') break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    expect(up.map((s) => `${s.metric.instance} ${s.value[1]}`)).toEqual(
      scrapeTargets(config)['redis-queue'].map((queue) => `${queue} 1`),
    );
  });

  it("scrapes the Kafka broker's JMX exporter agent: no under-replicated partition, the stack's partitions led", async () => {
    // The agent's target is checked up above with the others; here two of its series.
    const deadline = Date.now() + 60000;
    let under: { metric: { instance: string }; value: [number, string] }[] = [];
    let leaders: { value: [number, string] }[] = [];
    while (Date.now() < deadline) {
      under = (
        await api<{ result: typeof under }>(
          '/api/v1/query?query=kafka_server_replicamanager_underreplicatedpartitions',
        )
      ).result;
      leaders = (
        await api<{ result: typeof leaders }>(
          '/api/v1/query?query=kafka_server_replicamanager_leadercount',
        )
      ).result;
      if (under.length > 0 && leaders.length > 0) break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    // One broker, replication factor 1: nothing can be under-replicated.
    expect(under.map((s) => `${s.metric.instance} ${s.value[1]}`)).toEqual(
      scrapeTargets(config).kafka.map((agent) => `${agent} 0`),
    );
    // It leads every partition, at least those of the stack's topics.
    expect(leaders).toHaveLength(1);
    expect(Number(leaders[0].value[1])).toBeGreaterThanOrEqual(
      STACK_TOPICS.reduce((sum, t) => sum + partitionsOf(t, config.kafka), 0),
    );
  });

  it('scrapes PostgreSQL through its exporter (a pg_monitor role): up, the database seen', async () => {
    const deadline = Date.now() + 60000;
    let up: { value: [number, string] }[] = [];
    let backends: { metric: { datname: string } }[] = [];
    while (Date.now() < deadline) {
      up = (await api<{ result: typeof up }>('/api/v1/query?query=pg_up')).result;
      backends = (
        await api<{ result: typeof backends }>(
          `/api/v1/query?query=${encodeURIComponent(
            `pg_stat_database_numbackends{datname="${config.postgres.database}"}`,
          )}`,
        )
      ).result;
      if (up.length > 0 && backends.length > 0) break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    expect(up.map((s) => s.value[1])).toEqual(['1']);
    expect(backends.map((s) => s.metric.datname)).toEqual([config.postgres.database]);
  });

  it("scrapes nginx's loopback stub_status through the nginx exporter: up, requests counted", async () => {
    const deadline = Date.now() + 60000;
    let up: { value: [number, string] }[] = [];
    let requests: { value: [number, string] }[] = [];
    while (Date.now() < deadline) {
      up = (await api<{ result: typeof up }>('/api/v1/query?query=nginx_up')).result;
      requests = (
        await api<{ result: typeof requests }>('/api/v1/query?query=nginx_http_requests_total')
      ).result;
      if (up.length > 0 && requests.length > 0) break;
      await new Promise((r) => setTimeout(r, 3000));
    }
    expect(up.map((s) => s.value[1])).toEqual(['1']);
    // Its own scrapes of stub_status count as requests: never 0 once scraped.
    expect(requests.length).toBe(1);
    expect(Number(requests[0].value[1])).toBeGreaterThan(0);
  });

  it('has the alert rules of monitoring/alerts.yml loaded', async () => {
    const { groups } = await api<{ groups: { rules: { name: string; type: string }[] }[] }>(
      '/api/v1/rules',
    );
    const alerts = groups.flatMap((g) =>
      g.rules.filter((r) => r.type === 'alerting').map((r) => r.name),
    );
    expect(alerts.sort()).toEqual([
      'BatchFeaturesOverdue',
      'DeadLettersRising',
      'FeatureFreshnessSlow',
      'FeatureWriterLagGrowing',
      'RedisClusterNotOk',
      'RedisUnavailable',
      'ReplicaWaitShortfall',
      'ServingErrors',
      'StreamingJobNotRunning',
    ]);
  });
});

describe('dashboards (libs/observability/src/dashboards.ts: the k8s JSON and the console panels)', () => {
  it('every panel query runs against the stack’s Prometheus; those that must have data have it', async () => {
    const problems: string[] = [];
    for (const board of DASHBOARDS) {
      for (const panel of board.panels) {
        for (const target of panel.queries) {
          const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(target.expr)}`, {
            headers: { authorization: auth },
          });
          const body = (await res.json()) as {
            status: string;
            error?: string;
            data?: { result: unknown[] };
          };
          if (body.status !== 'success') {
            problems.push(`${board.title} / ${panel.title}: ${body.error}`);
          } else if (target.requiresData && body.data!.result.length === 0) {
            problems.push(`${board.title} / ${panel.title}: no data for ${target.expr}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
