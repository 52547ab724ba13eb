import { ConfigError, kafkaClientConfig, loadConfig } from './config';
import {
  KAFKA_PASSWORD_SETTINGS,
  KAFKA_SCRATCH,
  KAFKA_USERS,
  KafkaAcl,
  KafkaAclTopics,
  kafkaAcls,
  kafkaGrants,
  kafkaJaasLogin,
  kafkaNameGranted,
} from './kafka-acl';
import { SETTINGS } from './settings';

const topics: KafkaAclTopics = {
  source: 'ecommerce.transactions',
  deadLetter: 'ecommerce.transactions.dlq',
  featurePrefix: 'features.',
  servingLog: 'fstore.serving-log',
  writerGroup: 'fstore-feature-writer',
  flinkGroupPrefix: 'fstore-job-',
};

/** `Op type:pattern:name` lines, one per operation, for exact comparison. */
const render = (acls: readonly KafkaAcl[]) =>
  acls.flatMap((a) => a.operations.map((op) => `${op} ${a.type}:${a.pattern}:${a.name}`)).sort();

describe('Kafka ACLs (one declaration for the local stack and Kubernetes)', () => {
  const acls = kafkaAcls(topics);

  it('gives each component only the topics and groups it uses', () => {
    expect(render(acls.producer)).toEqual([
      'Write topic:literal:ecommerce.transactions',
      'Write topic:literal:ecommerce.transactions.dlq',
    ]);
    expect(render(acls.flink)).toEqual([
      'Read group:prefixed:fstore-job-',
      'Read topic:literal:ecommerce.transactions',
      'Write topic:prefixed:features.',
    ]);
    expect(render(acls['feature-writer'])).toEqual([
      'Read group:literal:fstore-feature-writer',
      'Read topic:prefixed:features.',
      'Write topic:literal:ecommerce.transactions.dlq',
    ]);
    expect(render(acls['spark-ingest'])).toEqual([
      'Read group:prefixed:spark-kafka-',
      'Read topic:literal:ecommerce.transactions',
      'Read topic:literal:fstore.serving-log',
    ]);
    expect(render(acls['feature-server'])).toEqual(['Write topic:literal:fstore.serving-log']);
    // A super user (super.users): no ACL of its own.
    expect(acls['fstore-admin']).toEqual([]);
  });

  it('lets no component but Flink write a feature changelog, and the feature server read nothing', () => {
    for (const user of KAFKA_USERS) {
      const writesFeatures = acls[user].some(
        (a) =>
          a.type === 'topic' && a.name.startsWith('features') && a.operations.includes('Write'),
      );
      expect([user, writesFeatures]).toEqual([user, user === 'flink']);
    }
    expect(acls['feature-server'].some((a) => a.operations.includes('Read'))).toBe(false);
  });

  it('adds the scratch namespace (tests, benchmarks) only when asked, never a production name', () => {
    const local = kafkaAcls({ ...topics, scratch: KAFKA_SCRATCH });
    for (const user of KAFKA_USERS) {
      if (user === 'fstore-admin') continue;
      const extra = render(local[user]).filter((l) => !render(acls[user]).includes(l));
      expect(extra).toEqual(
        [
          'Read group:prefixed:bench-',
          'Read group:prefixed:test-',
          'Read topic:prefixed:bench.',
          'Read topic:prefixed:test.',
          'Write topic:prefixed:bench.',
          'Write topic:prefixed:test.',
        ].sort(),
      );
    }
  });

  it('has a secret-kind password setting per user', () => {
    for (const user of KAFKA_USERS) {
      expect(SETTINGS[KAFKA_PASSWORD_SETTINGS[user]].kind).toBe('secret');
    }
  });
});

describe('kafkaClientConfig', () => {
  it("logs in as the given user with that user's password only", () => {
    const config = loadConfig({
      FSTORE_STACK_DIR: '/nonexistent',
      FSTORE_KAFKA_BROKERS: 'h1:1,h2:2',
      FSTORE_KAFKA_WRITER_PASSWORD: 'w',
      FSTORE_KAFKA_PRODUCER_PASSWORD: 'p',
    });
    expect(kafkaClientConfig(config, 'feature-writer')).toEqual({
      brokers: ['h1:1', 'h2:2'],
      sasl: { mechanism: 'scram-sha-512', username: 'feature-writer', password: 'w' },
    });
    expect(kafkaClientConfig(config, 'flink')).toEqual({ brokers: ['h1:1', 'h2:2'] });
  });

  it('renders a JAAS login with its values quoted', () => {
    expect(kafkaJaasLogin('flink', 'a"b\\c')).toBe(
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="flink" password="a\\"b\\\\c";',
    );
  });
});

describe("Kafka grants (what a Flink job's parameters may name)", () => {
  it("lists a user's topics or groups: `name` literal, `name*` prefixed", () => {
    const acls = kafkaAcls(topics);
    expect(kafkaGrants(acls.flink, 'topic')).toEqual(['ecommerce.transactions', 'features.*']);
    expect(kafkaGrants(acls.flink, 'group')).toEqual(['fstore-job-*']);
    expect(kafkaGrants(acls['feature-server'], 'group')).toEqual([]);
  });

  it('grants a name equal to a literal or starting with a prefix, nothing else', () => {
    const grants = ['ecommerce.transactions', 'features.*'];
    for (const ok of ['ecommerce.transactions', 'features.x', 'features.', 'features.a.b']) {
      expect([ok, kafkaNameGranted(ok, grants)]).toEqual([ok, true]);
    }
    for (const bad of [
      'ecommerce.transactions.dlq',
      'ecommerce.transaction',
      'features',
      'xfeatures.x',
      'fstore.serving-log',
      '',
    ]) {
      expect([bad, kafkaNameGranted(bad, grants)]).toEqual([bad, false]);
    }
    expect(kafkaNameGranted('x', [])).toBe(false);
  });

  it('grants a prefix (…_TOPIC_PREFIX) only under a prefix grant: a literal covers one name', () => {
    const grants = ['ecommerce.transactions', 'features.*'];
    expect(kafkaNameGranted('features.', grants, true)).toBe(true);
    expect(kafkaNameGranted('features.v2.', grants, true)).toBe(true);
    expect(kafkaNameGranted('ecommerce.transactions', grants, true)).toBe(false);
    expect(kafkaNameGranted('feat', grants, true)).toBe(false);
  });

  it('reads FSTORE_FLINK_KAFKA_TOPICS/GROUPS as lists, and stops at a malformed entry naming it', () => {
    const config = loadConfig({
      FSTORE_STACK_DIR: '/nonexistent',
      FSTORE_FLINK_KAFKA_TOPICS: ' in.events , out.* ,',
      FSTORE_FLINK_KAFKA_GROUPS: '',
    });
    expect(config.flink.kafkaGrants).toEqual({ topics: ['in.events', 'out.*'], groups: [] });
    for (const bad of ['out*x', 'a b', '*', "x'"]) {
      const load = () =>
        loadConfig({ FSTORE_STACK_DIR: '/nonexistent', FSTORE_FLINK_KAFKA_TOPICS: `ok,${bad}` });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(
        `FSTORE_FLINK_KAFKA_TOPICS: expected topic or group names, a prefix ending in * (e.g. features.*), got "${bad}"`,
      );
    }
  });
});
