import { readFileSync } from 'fs';
import { join } from 'path';
import {
  CONFIGURATION_DOC,
  ConfigError,
  loadConfig,
  PROJECT_ROOT,
  settingsMarkdownTable,
} from './config';

describe('loadConfig', () => {
  const base = { FSTORE_STACK_DIR: '/nonexistent-stack-dir' };

  it('applies defaults and derives dependent settings', () => {
    const c = loadConfig({ ...base, FSTORE_HOST: '10.0.0.5', FSTORE_KAFKA_PORT: '9999' });
    expect(c.kafka.brokers).toEqual(['10.0.0.5:9999']);
    expect(c.postgres.host).toBe('10.0.0.5');
    expect(c.redis.host).toBe('10.0.0.5');
    expect(c.redis.queueHost).toBe('10.0.0.5');
    expect(c.serving.url).toBe('http://10.0.0.5:8000');
    expect(c.redis.clusterPorts).toHaveLength(6);
    expect(c.postgres.password).toBeUndefined();
  });

  it('rejects a malformed value, naming the variable', () => {
    expect(() => loadConfig({ ...base, FSTORE_PG_PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, FSTORE_PG_PORT: '70000' })).toThrow(/FSTORE_PG_PORT/);
    expect(() => loadConfig({ ...base, FSTORE_REDIS_CLUSTER_PORTS: '7001,x' })).toThrow(
      /FSTORE_REDIS_CLUSTER_PORTS: expected a comma-separated list/,
    );
  });

  it('takes an explicit brokers list over the derived one', () => {
    const c = loadConfig({ ...base, FSTORE_KAFKA_BROKERS: 'a:1, b:2' });
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2']);
  });
});

describe('the Flink TaskManagers and parallelism', () => {
  const load = (env: Record<string, string>) => loadConfig({ FSTORE_STACK_DIR: '/none', ...env });

  it('are one TaskManager at parallelism 1 by default, and take any whole number ≥ 1', () => {
    expect(load({}).flink).toMatchObject({ taskManagers: 1, parallelism: 1 });
    const f = load({ FSTORE_FLINK_TASKMANAGERS: '2', FSTORE_FLINK_PARALLELISM: '4' }).flink;
    expect(f).toMatchObject({ taskManagers: 2, parallelism: 4 });
  });

  it('refuses 0 and what is not a whole number, naming the variable', () => {
    for (const name of [
      'FSTORE_FLINK_TASKMANAGERS',
      'FSTORE_FLINK_PARALLELISM',
      'FSTORE_FLINK_TASK_SLOTS',
    ]) {
      expect(() => load({ [name]: '0' })).toThrow(`${name}: expected a whole number ≥ 1, got "0"`);
      for (const bad of ['-1', '1.5', 'two', '']) {
        expect(() => load({ [name]: bad })).toThrow(
          `${name}: expected a non-negative integer, got "${bad}"`,
        );
      }
    }
  });
});

describe('the dedupe horizon', () => {
  const load = (env: Record<string, string>) => loadConfig({ FSTORE_STACK_DIR: '/none', ...env });

  it('is 7 days by default and takes seconds to days', () => {
    expect(load({}).flink.dedupeHorizonMs).toBe(604800000);
    expect(load({ FSTORE_DEDUPE_HORIZON: '20s' }).flink.dedupeHorizonMs).toBe(20000);
    expect(load({ FSTORE_DEDUPE_HORIZON: '90m' }).flink.dedupeHorizonMs).toBe(5400000);
    expect(load({ FSTORE_DEDUPE_HORIZON: '36h' }).flink.dedupeHorizonMs).toBe(129600000);
    expect(load({ FSTORE_DEDUPE_HORIZON: '365d' }).flink.dedupeHorizonMs).toBe(31536000000);
    expect(load({}).flink.planDir).toBe('/none/data/flink/plans');
    expect(load({}).flink.checkpointDir).toBe('/none/data/flink/checkpoints');
    expect(load({ FSTORE_FLINK_CHECKPOINT_DIR: '/ckpt' }).flink.checkpointDir).toBe('/ckpt');
  });

  it('refuses what is not such a duration, or is beyond a year, naming the variable', () => {
    for (const bad of ['7', '0s', '7 days', '1.5h', '-1d', '366d', '']) {
      expect(() => load({ FSTORE_DEDUPE_HORIZON: bad })).toThrow(
        `FSTORE_DEDUPE_HORIZON: expected a duration from 1s to 365d such as 90s, 12h or 7d, got "${bad}"`,
      );
    }
  });
});

describe("the feature writer's WAIT", () => {
  const load = (env: Record<string, string>) => loadConfig({ FSTORE_STACK_DIR: '/none', ...env });

  it('waits for one replica for 500 ms by default; 0 replicas turns it off', () => {
    expect(load({}).writer.replicaWait).toEqual({ replicas: 1, timeoutMs: 500 });
    expect(load({ FSTORE_WRITER_WAIT_REPLICAS: '0' }).writer.replicaWait.replicas).toBe(0);
  });

  it('takes at most half of the Redis command deadline as its timeout', () => {
    expect(
      load({ FSTORE_REDIS_COMMAND_TIMEOUT_MS: '3000', FSTORE_WRITER_WAIT_TIMEOUT_MS: '1500' })
        .writer.replicaWait,
    ).toEqual({ replicas: 1, timeoutMs: 1500 });
    for (const timeout of ['501', '1000', '0']) {
      expect(() => load({ FSTORE_WRITER_WAIT_TIMEOUT_MS: timeout })).toThrow(
        new ConfigError(
          'FSTORE_WRITER_WAIT_TIMEOUT_MS',
          `expected 1 to half of FSTORE_REDIS_COMMAND_TIMEOUT_MS (500), got "${timeout}"`,
        ),
      );
    }
    // Not waiting: the timeout is not used, so not checked.
    expect(() =>
      load({ FSTORE_WRITER_WAIT_REPLICAS: '0', FSTORE_WRITER_WAIT_TIMEOUT_MS: '5000' }),
    ).not.toThrow();
  });
});

describe('tracing settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ FSTORE_STACK_DIR: '/none', ...env });

  it('sends to the local Jaeger at 0.1 (reads 0.001) by default; an empty endpoint: off', () => {
    const c = load({ FSTORE_HOST: '10.0.0.5' });
    expect(c.tracing).toEqual({
      endpoint: 'http://10.0.0.5:4318/v1/traces',
      sampleRatio: 0.1,
      servingSampleRatio: 0.001,
    });
    expect(c.jaeger).toEqual({
      otlpPort: 4318,
      queryPort: 16686,
      queryGrpcPort: 16685,
      url: 'http://10.0.0.5:16686',
      user: 'fstore',
      password: undefined,
      maxTraces: 10000,
    });
    expect(load({ FSTORE_JAEGER_OTLP_PORT: '14318' }).tracing.endpoint).toBe(
      'http://127.0.0.1:14318/v1/traces',
    );
    expect(load({ FSTORE_TRACING_OTLP_ENDPOINT: '' }).tracing.endpoint).toBeUndefined();
    expect(load({ FSTORE_TRACING_OTLP_ENDPOINT: ' ' }).tracing.endpoint).toBeUndefined();
    expect(
      load({ FSTORE_TRACING_OTLP_ENDPOINT: 'https://otel.example:4318/v1/traces' }).tracing
        .endpoint,
    ).toBe('https://otel.example:4318/v1/traces');
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable', () => {
    for (const endpoint of ['127.0.0.1:4318', 'grpc://127.0.0.1:4317', 'not a url']) {
      expect(() => load({ FSTORE_TRACING_OTLP_ENDPOINT: endpoint })).toThrow(
        new ConfigError(
          'FSTORE_TRACING_OTLP_ENDPOINT',
          `expected an http(s) URL (e.g. http://127.0.0.1:4318/v1/traces) or empty (tracing off), got "${endpoint}"`,
        ),
      );
    }
  });

  it('takes a sampling ratio from 0 to 1, both included', () => {
    expect(load({ FSTORE_TRACING_SAMPLE_RATIO: '0' }).tracing.sampleRatio).toBe(0);
    expect(load({ FSTORE_TRACING_SAMPLE_RATIO: '1' }).tracing.sampleRatio).toBe(1);
    expect(load({ FSTORE_TRACING_SAMPLE_RATIO: '0.25' }).tracing.sampleRatio).toBe(0.25);
    expect(load({ FSTORE_TRACING_SERVING_SAMPLE_RATIO: '0.5' }).tracing.servingSampleRatio).toBe(
      0.5,
    );
    expect(() => load({ FSTORE_TRACING_SERVING_SAMPLE_RATIO: '2' })).toThrow(
      new ConfigError(
        'FSTORE_TRACING_SERVING_SAMPLE_RATIO',
        'expected a number from 0 to 1 (e.g. 0.01), got "2"',
      ),
    );
    for (const ratio of ['1.5', '-0.1', '10%', '']) {
      expect(() => load({ FSTORE_TRACING_SAMPLE_RATIO: ratio })).toThrow(
        new ConfigError(
          'FSTORE_TRACING_SAMPLE_RATIO',
          `expected a number from 0 to 1 (e.g. 0.01), got "${ratio}"`,
        ),
      );
    }
  });
});

describe(CONFIGURATION_DOC, () => {
  it('carries the generated configuration table (fstore config)', () => {
    const readme = readFileSync(join(PROJECT_ROOT, CONFIGURATION_DOC), 'utf8');
    expect(readme).toContain(settingsMarkdownTable());
  });
});
