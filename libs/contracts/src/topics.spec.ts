import { kafkaAcls, kafkaGrants, loadConfig, SETTINGS } from '@fstore/config';
import { kafkaAclTopics } from './topics';

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
