import { load } from 'js-yaml';
import { loadConfig } from '@fstore/config';
import { prometheusConfig, scrapeTargets } from './monitoring';

interface Job {
  job_name: string;
  metrics_path?: string;
  static_configs: { targets: string[] }[];
  relabel_configs?: { source_labels?: string[]; target_label: string; replacement?: string }[];
}

describe('the local Prometheus configuration', () => {
  const config = loadConfig({
    FSTORE_STACK_DIR: '/s',
    FSTORE_HOST: '127.0.0.1',
    FSTORE_REDIS_HOST: '127.0.0.1',
    FSTORE_REDIS_CLUSTER_PORTS: '7000,7001',
    FSTORE_REDIS_QUEUE_PORT: '6390',
    FSTORE_REDIS_EXPORTER_PORT: '9121',
    FSTORE_POSTGRES_EXPORTER_PORT: '9187',
    FSTORE_NGINX_EXPORTER_PORT: '9113',
    FSTORE_KAFKA_METRICS_PORT: '9500',
  });
  const jobs = (load(prometheusConfig(config, '/s/password')) as { scrape_configs: Job[] })
    .scrape_configs;
  const job = (name: string) => jobs.find((j) => j.job_name === name);

  it('scrapes each Redis Cluster node through the Redis exporter, the node as its instance', () => {
    expect(scrapeTargets(config).redis).toEqual([
      'redis://127.0.0.1:7000',
      'redis://127.0.0.1:7001',
    ]);
    expect(job('redis')).toEqual({
      job_name: 'redis',
      metrics_path: '/scrape',
      static_configs: [{ targets: ['redis://127.0.0.1:7000', 'redis://127.0.0.1:7001'] }],
      relabel_configs: [
        { source_labels: ['__address__'], target_label: '__param_target' },
        { source_labels: ['__address__'], target_label: 'instance' },
        { target_label: '__address__', replacement: '127.0.0.1:9121' },
      ],
    });
  });

  it('scrapes the queue Redis through the same exporter, in a job of its own', () => {
    expect(job('redis-queue')).toEqual({
      job_name: 'redis-queue',
      metrics_path: '/scrape',
      static_configs: [{ targets: ['redis://127.0.0.1:6390'] }],
      relabel_configs: [
        { source_labels: ['__address__'], target_label: '__param_target' },
        { source_labels: ['__address__'], target_label: 'instance' },
        { target_label: '__address__', replacement: '127.0.0.1:9121' },
      ],
    });
  });

  it('scrapes the fstore services, the Kafka broker agent (FSTORE_KAFKA_METRICS_PORT) and the PostgreSQL and nginx exporters directly, plus Prometheus itself', () => {
    expect(jobs.map((j) => j.job_name)).toEqual([
      ...Object.keys(scrapeTargets(config)),
      'prometheus',
    ]);
    expect(job('postgres')).toEqual({
      job_name: 'postgres',
      static_configs: [{ targets: ['127.0.0.1:9187'] }],
    });
    expect(job('kafka')).toEqual({
      job_name: 'kafka',
      static_configs: [{ targets: ['127.0.0.1:9500'] }],
    });
    expect(job('nginx')).toEqual({
      job_name: 'nginx',
      static_configs: [{ targets: ['127.0.0.1:9113'] }],
    });
    expect(job('control-plane')?.metrics_path).toBeUndefined();
    expect(job('control-plane')?.relabel_configs).toBeUndefined();
  });
});
