import { readFileSync } from 'fs';
import { join } from 'path';
import { ConfigError, loadConfig, PROJECT_ROOT, settingsMarkdownTable } from './config';

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

describe('README', () => {
  it('carries the generated configuration table (fstore config)', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(settingsMarkdownTable());
  });
});
