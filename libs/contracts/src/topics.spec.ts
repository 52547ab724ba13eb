import { kafkaAcls, kafkaGrants, loadConfig, SETTINGS } from '@fstore/config';
import { STREAM_FEATURES } from './features';
import { kafkaAclTopics, partitionsOf, STACK_TOPICS } from './topics';

describe("the Flink jobs' Kafka grants (FSTORE_FLINK_KAFKA_TOPICS, FSTORE_FLINK_KAFKA_GROUPS)", () => {
  it("default to the local stack's flink ACLs: the same declaration the stack applies", () => {
    const config = loadConfig({ FSTORE_STACK_DIR: '/nonexistent' });
    const flink = kafkaAcls(kafkaAclTopics(config.writer.groupId, true)).flink;
    expect(SETTINGS.FSTORE_FLINK_KAFKA_TOPICS.default).toBe(kafkaGrants(flink, 'topic').join(','));
    expect(SETTINGS.FSTORE_FLINK_KAFKA_GROUPS.default).toBe(kafkaGrants(flink, 'group').join(','));
    expect(config.flink.kafkaGrants).toEqual({
      topics: ['ecommerce.transactions', 'features.*', 'test.*', 'bench.*'],
      groups: ['fstore-job-*', 'test-*', 'bench-*'],
    });
  });
});

describe('the partitions of the topics the stack creates', () => {
  it('are FSTORE_KAFKA_CHANGELOG_PARTITIONS for each feature changelog, FSTORE_KAFKA_PARTITIONS for the rest', () => {
    const config = loadConfig({ FSTORE_STACK_DIR: '/nonexistent' });
    expect([config.kafka.partitions, config.kafka.changelogPartitions]).toEqual([6, 1]);
    const counts = (kafka: { partitions: number; changelogPartitions: number }) =>
      Object.fromEntries(STACK_TOPICS.map((t) => [t.name, partitionsOf(t, kafka)]));
    expect(counts({ partitions: 6, changelogPartitions: 2 })).toEqual({
      'ecommerce.transactions': 6,
      'ecommerce.transactions.dlq': 6,
      'fstore.serving-log': 6,
      ...Object.fromEntries(STREAM_FEATURES.map((f) => [`features.${f.name}`, 2])),
    });
  });

  it('refuses a changelog of no partitions', () => {
    expect(() =>
      loadConfig({ FSTORE_STACK_DIR: '/nonexistent', FSTORE_KAFKA_CHANGELOG_PARTITIONS: '0' }),
    ).toThrow(/FSTORE_KAFKA_CHANGELOG_PARTITIONS.*≥ 1/);
  });
});
