import { readFileSync } from 'fs';
import { load } from 'js-yaml';
import { AclOperationTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { loadConfig } from '@fstore/config';
import { flinkConfigYaml, flinkKafkaJaas } from './flink';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import {
  aclEntries,
  KAFKA_METRICS_RULES,
  kafkaClusterId,
  kafkaMetricsAgent,
  kafkaSecurityProperties,
  stackKafkaAcls,
} from './kafka';
import { VERSIONS } from './versions';

const config = loadConfig({
  FSTORE_STACK_DIR: '/nonexistent',
  FSTORE_KAFKA_BROKER_PASSWORD: 'brokerpw',
  FSTORE_KAFKA_FLINK_PASSWORD: 'flinkpw',
});

describe("the local broker's security settings", () => {
  const props = Object.fromEntries(
    kafkaSecurityProperties(config).map((line) => {
      const i = line.indexOf('=');
      return [line.slice(0, i), line.slice(i + 1)];
    }),
  );

  it('has only SASL listeners: SCRAM for clients, PLAIN for the broker itself', () => {
    expect(props['listener.security.protocol.map']).toBe(
      'CONTROLLER:SASL_PLAINTEXT,CLIENT:SASL_PLAINTEXT',
    );
    expect(props.listeners).toBe('CLIENT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    expect(props['listener.name.client.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512,PLAIN');
    expect(props['listener.name.controller.sasl.enabled.mechanisms']).toBe('PLAIN');
    // The one PLAIN user is the broker (user_<name>=<password>), on both listeners.
    for (const key of [
      'listener.name.client.plain.sasl.jaas.config',
      'listener.name.controller.plain.sasl.jaas.config',
    ]) {
      expect(props[key]).toBe(
        'org.apache.kafka.common.security.plain.PlainLoginModule required ' +
          'username="fstore-broker" password="brokerpw" user_fstore-broker="brokerpw";',
      );
    }
  });

  it('denies what no ACL allows; only the broker and fstore-admin are super users', () => {
    expect(props['authorizer.class.name']).toBe(
      'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    );
    expect(props['allow.everyone.if.no.acl.found']).toBe('false');
    expect(props['super.users']).toBe('User:fstore-broker;User:fstore-admin');
  });

  it('refuses to write a broker configuration without the broker password', () => {
    const none = loadConfig({ FSTORE_STACK_DIR: '/nonexistent' });
    expect(() => kafkaSecurityProperties(none)).toThrow(/FSTORE_KAFKA_BROKER_PASSWORD is not set/);
  });

  it("renders one kafkajs ACL entry per operation, with the user's principal", () => {
    const entries = aclEntries('producer', stackKafkaAcls(config).producer);
    expect(entries).toContainEqual({
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'ecommerce.transactions',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: 'User:producer',
      host: '*',
      operation: AclOperationTypes.WRITE,
      permissionType: 3, // ALLOW
    });
    expect(entries.every((e) => e.principal === 'User:producer')).toBe(true);
  });
});

describe("Flink's Kafka login", () => {
  it('is a JAAS file with the shaded login module, given to every Flink JVM', () => {
    expect(flinkKafkaJaas(config)).toBe(
      'KafkaClient {\n  org.apache.flink.kafka.shaded.org.apache.kafka.common.security.scram.ScramLoginModule required username="flink" password="flinkpw";\n};\n',
    );
    const dirs = { tmp: '/t', checkpoints: '/c', savepoints: '/s' };
    const yaml = load(flinkConfigYaml(config, dirs, '--add-x', '/conf/kafka-client.jaas')) as {
      env: { java: { opts: { all: string } } };
    };
    expect(yaml.env.java.opts.all).toBe(
      '--add-x -Djava.security.auth.login.config=/conf/kafka-client.jaas',
    );
  });
});

describe("the local broker's metrics", () => {
  it('runs the JMX exporter agent of stack/versions.json on the stack host, at FSTORE_KAFKA_METRICS_PORT, with the repository rules', () => {
    const c = loadConfig({
      FSTORE_STACK_DIR: '/nonexistent',
      FSTORE_CACHE_DIR: '/cache',
      FSTORE_KAFKA_METRICS_PORT: '9500',
    });
    expect(KAFKA_METRICS_RULES).toBe(join(PROJECT_ROOT, 'monitoring', 'kafka-metrics.yml'));
    expect(kafkaMetricsAgent(c)).toBe(
      `-javaagent:/cache/jars/jmx_prometheus_javaagent-${VERSIONS.jmxExporter}.jar=127.0.0.1:9500:${KAFKA_METRICS_RULES}`,
    );
  });

  it('reads only the MBeans its rules use, each rule naming a kafka_ series', () => {
    const rules = load(readFileSync(KAFKA_METRICS_RULES, 'utf8')) as {
      includeObjectNames: string[];
      rules: { pattern: string; name: string; type: string }[];
    };
    expect(rules.includeObjectNames.map((n) => n.split(':')[0]).sort()).toEqual(
      ['kafka.controller', 'kafka.network', 'kafka.network', 'kafka.server', 'kafka.server'].sort(),
    );
    for (const rule of rules.rules) {
      expect([rule.name, /^kafka_[a-z_$0-9]+$/.test(rule.name)]).toEqual([rule.name, true]);
      expect([rule.name, ['GAUGE', 'COUNTER'].includes(rule.type)]).toEqual([rule.name, true]);
    }
    expect(rules.rules.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'kafka_server_brokertopicmetrics_$1_total',
        'kafka_server_replicamanager_$1',
        'kafka_network_requestmetrics_totaltimems',
      ]),
    );
  });
});

describe('the KRaft cluster id', () => {
  it('is 22 chars of URL-safe base64 and never starts with "-" (the storage tool reads that as an option)', () => {
    // 0xf8 encodes to '-' as the first base64url character; the first draw is refused.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];
    const id = kafkaClusterId(() => draws.shift()!);
    expect(draws).toHaveLength(0);
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
  });
});
