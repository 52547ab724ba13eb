import { readFileSync, statSync } from 'fs';
import { join } from 'path';
import { Admin, Kafka, KafkaConfig, logLevel, Producer } from 'kafkajs';
import {
  FstoreConfig,
  KAFKA_USERS,
  kafkaClientConfig,
  KafkaUser,
  loadConfig,
} from '@fstore/config';
import { featureTopic, STREAM_FEATURES, TOPICS } from '@fstore/contracts';
import { aclEntries, stackKafkaAcls } from '../../apps/cli/src/stack/kafka';
import { runningPid, StackPaths } from '../../apps/cli/src/stack/processes';
import { serviceUser } from '../../apps/cli/src/stack/service-user';

// Issue 20, finding 2: Kafka accepted any client, and every client could read and write every
// topic, `features.*` included (forged served values). Now every component logs in as its own
// SCRAM user with ACLs for only what it uses (libs/config/src/kafka-acl.ts); each attack runs
// against the real broker and is refused by it, beside each component's legitimate use.
jest.setTimeout(60000);

const config: FstoreConfig = loadConfig();
const feature = featureTopic(STREAM_FEATURES[0].name);
const TOPIC_DENIED = /Not authorized to access topics: \[Topic authorization failed\]/;
// kafkajs reports a refused FindCoordinator (GROUP_AUTHORIZATION_FAILED) as not finding the
// coordinator; each such check runs beside the admin's successful call on the same group.
const GROUP_DENIED = /Failed to find group coordinator|Group authorization failed/;
const TOPIC_REFUSAL = /TOPIC_AUTHORIZATION_FAILED|Topic authorization failed/;

/** What a refused call says: its message and the Kafka error types of it and its parts. */
async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (e) {
    const err = e as { message?: string; type?: string; errors?: { type?: string }[] };
    return [err.message, err.type, ...(err.errors ?? []).map((x) => x.type)].join(' ');
  }
  return 'not refused';
}

/** The admin (a super user) reads the group's offsets: the group and its coordinator exist. */
async function adminReadsGroup(groupId: string): Promise<void> {
  // With retries: the first FindCoordinator of a new broker waits for __consumer_offsets.
  const admin = new Kafka({
    ...kafkaClientConfig(config, 'fstore-admin'),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  clients.push(admin);
  await expect(admin.fetchOffsets({ groupId, topics: [feature] })).resolves.toHaveLength(1);
}

const clients: { disconnect(): Promise<void> }[] = [];
function client(login: Pick<KafkaConfig, 'brokers' | 'sasl'>): Kafka {
  return new Kafka({
    ...login,
    clientId: 'fstore-security-test',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 0 },
  });
}
const as = (user: KafkaUser) => client(kafkaClientConfig(config, user));

async function adminAs(user: KafkaUser): Promise<Admin> {
  const admin = as(user).admin();
  await admin.connect();
  clients.push(admin);
  return admin;
}

async function producerAs(user: KafkaUser): Promise<Producer> {
  // kafkajs's idempotent producer needs retries; authorization errors are never retried.
  const kafka = new Kafka({
    ...kafkaClientConfig(config, user),
    clientId: 'fstore-security-test',
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  clients.push(producer);
  return producer;
}

const record = { key: 'kafka-acl-test', value: '{"test":"kafka-acl.medium-spec"}' };

afterAll(async () => {
  await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
});

describe('Kafka: no login, no access', () => {
  it('refuses a client that does not log in (the listener speaks SASL only)', async () => {
    // (The SASL listener answers ApiVersions before the handshake; anything else closes it.)
    const admin = client({ brokers: config.kafka.brokers }).admin();
    clients.push(admin);
    await expect(admin.connect().then(() => admin.listTopics())).rejects.toThrow(
      /Closed connection|Connection error/,
    );
  });

  it('refuses a wrong password and an unknown user', async () => {
    const wrong = client({
      brokers: config.kafka.brokers,
      sasl: { mechanism: 'scram-sha-512', username: 'producer', password: 'not-the-password' },
    }).admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
    const unknown = client({
      brokers: config.kafka.brokers,
      sasl: { mechanism: 'scram-sha-512', username: 'mallory', password: 'x' },
    }).admin();
    await expect(unknown.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
  });

  it('refuses a client on the KRaft controller listener (PLAIN for the broker itself only)', async () => {
    const brokers = [`${config.host}:${config.kafka.controllerPort}`];
    const anonymous = client({ brokers }).admin();
    const admin = client({ ...kafkaClientConfig(config, 'fstore-admin'), brokers }).admin();
    clients.push(anonymous, admin);
    await expect(anonymous.connect().then(() => anonymous.listTopics())).rejects.toThrow();
    // SCRAM is not even offered there: the component users cannot log in to the controller.
    await expect(admin.connect()).rejects.toThrow(
      /The broker does not support the requested SASL mechanism/,
    );
  });
});

describe('Kafka: each component may do only what it needs', () => {
  it('producer: writes raw events and dead letters; cannot write a feature changelog or read', async () => {
    const producer = await producerAs('producer');
    await expect(
      producer.send({ topic: TOPICS.deadLetter, messages: [record] }),
    ).resolves.toHaveLength(1);
    await expect(producer.send({ topic: feature, messages: [record] })).rejects.toThrow(
      TOPIC_DENIED,
    );
    await expect(producer.send({ topic: TOPICS.servingLog, messages: [record] })).rejects.toThrow(
      TOPIC_DENIED,
    );
    const admin = await adminAs('producer');
    // Write implies Describe: it sees its topics (the producer checks they exist), no others.
    expect((await admin.listTopics()).sort()).toEqual(
      expect.arrayContaining([TOPICS.transactions, TOPICS.deadLetter]),
    );
    expect(await admin.listTopics()).not.toContain(feature);
    await adminReadsGroup(config.writer.groupId);
    await expect(
      admin.fetchOffsets({ groupId: config.writer.groupId, topics: [feature] }),
    ).rejects.toThrow(GROUP_DENIED);
  });

  it('feature server: writes its serving log only; cannot read the raw events or see other topics', async () => {
    const producer = await producerAs('feature-server');
    await expect(
      producer.send({ topic: TOPICS.servingLog, messages: [record] }),
    ).resolves.toHaveLength(1);
    await expect(producer.send({ topic: feature, messages: [record] })).rejects.toThrow(
      TOPIC_DENIED,
    );
    const admin = await adminAs('feature-server');
    expect(await admin.listTopics()).toEqual([TOPICS.servingLog]);
    await expect(admin.fetchTopicOffsets(TOPICS.transactions)).rejects.toThrow(TOPIC_DENIED);
    const consumer = as('feature-server').consumer({ groupId: `fstore-serving-${Date.now()}` });
    clients.push(consumer);
    await consumer.connect();
    await expect(consumer.subscribe({ topic: TOPICS.transactions })).rejects.toThrow(TOPIC_DENIED);
  });

  it('feature writer: reads the changelogs in its group; cannot write the raw events or a changelog', async () => {
    const admin = await adminAs('feature-writer');
    const offsets = await admin.fetchTopicOffsets(feature);
    expect(offsets.length).toBeGreaterThan(0);
    // Its own group's committed offsets (Read on the group implies Describe), not another's.
    await expect(
      admin.fetchOffsets({ groupId: config.writer.groupId, topics: [feature] }),
    ).resolves.toHaveLength(1);
    await adminReadsGroup('fstore-job-transactions');
    await expect(
      admin.fetchOffsets({ groupId: 'fstore-job-transactions', topics: [feature] }),
    ).rejects.toThrow(GROUP_DENIED);
    await expect(admin.fetchTopicOffsets(TOPICS.transactions)).rejects.toThrow(TOPIC_DENIED);
    const producer = await producerAs('feature-writer');
    await expect(producer.send({ topic: TOPICS.transactions, messages: [record] })).rejects.toThrow(
      TOPIC_DENIED,
    );
    await expect(producer.send({ topic: feature, messages: [record] })).rejects.toThrow(
      TOPIC_DENIED,
    );
  });

  it('flink: reads the raw events, may write changelogs; cannot write the raw events', async () => {
    const admin = await adminAs('flink');
    expect((await admin.fetchTopicOffsets(TOPICS.transactions)).length).toBeGreaterThan(0);
    expect((await admin.listTopics()).sort()).toEqual(
      expect.arrayContaining([TOPICS.transactions, feature]),
    );
    await expect(admin.fetchTopicOffsets(TOPICS.deadLetter)).rejects.toThrow(TOPIC_DENIED);
    await adminReadsGroup(config.writer.groupId);
    await expect(
      admin.fetchOffsets({ groupId: config.writer.groupId, topics: [feature] }),
    ).rejects.toThrow(GROUP_DENIED);
    const producer = await producerAs('flink');
    await expect(producer.send({ topic: TOPICS.transactions, messages: [record] })).rejects.toThrow(
      TOPIC_DENIED,
    );
  });

  it('spark ingest: reads the raw events; cannot read a changelog or write anything', async () => {
    const admin = await adminAs('spark-ingest');
    expect((await admin.fetchTopicOffsets(TOPICS.transactions)).length).toBeGreaterThan(0);
    await expect(admin.fetchTopicOffsets(feature)).rejects.toThrow(TOPIC_DENIED);
    const producer = await producerAs('spark-ingest');
    await expect(producer.send({ topic: TOPICS.transactions, messages: [record] })).rejects.toThrow(
      TOPIC_DENIED,
    );
  });

  it('no component may create or delete topics or change ACLs; the admin may', async () => {
    for (const user of KAFKA_USERS.filter((u) => u !== 'fstore-admin')) {
      const admin = await adminAs(user);
      const topic = `test.acl-${user}-${Date.now()}`;
      expect([user, await refusal(admin.createTopics({ topics: [{ topic }] }))]).toEqual([
        user,
        expect.stringMatching(TOPIC_REFUSAL),
      ]);
      expect([user, await refusal(admin.deleteTopics({ topics: [TOPICS.deadLetter] }))]).toEqual([
        user,
        expect.stringMatching(TOPIC_REFUSAL),
      ]);
    }
    const admin = await adminAs('fstore-admin');
    expect(await admin.listTopics()).toEqual(
      expect.arrayContaining([TOPICS.transactions, TOPICS.servingLog, feature]),
    );
  });
});

describe('Kafka: the broker holds exactly the declaration, and no password lies around', () => {
  it('has the ACLs of libs/config/src/kafka-acl.ts, no other', async () => {
    const admin = await adminAs('fstore-admin');
    const described = await admin.describeAcls({
      resourceType: 1, // ANY
      resourcePatternType: 1, // ANY
      operation: 1, // ANY
      permissionType: 1, // ANY
    });
    const have = described.resources
      .flatMap((r) =>
        r.acls.map((a) =>
          [a.principal, r.resourceType, r.resourcePatternType, r.resourceName, a.operation].join(
            ' ',
          ),
        ),
      )
      .sort();
    const wanted = Object.entries(stackKafkaAcls(config))
      .flatMap(([user, acls]) => aclEntries(user, acls))
      .map((e) =>
        [e.principal, e.resourceType, e.resourcePatternType, e.resourceName, e.operation].join(' '),
      )
      .sort();
    expect(have).toEqual(wanted);
  });

  it("keeps the broker's and Flink's login files mode 600, and passwords off command lines", () => {
    const paths = new StackPaths(config.stackDir);
    const files = [
      join(paths.data('kafka'), 'server.properties'),
      join(paths.data('flink'), 'conf', 'kafka-client.jaas'),
    ];
    // Root's stack: root's, the service group (the JVMs) reads them, 640 (service-user.ts).
    const mode = serviceUser() ? 0o640 : 0o600;
    for (const file of files) expect([file, statSync(file).mode & 0o777]).toEqual([file, mode]);
    const jaas = readFileSync(files[1], 'utf8');
    expect(jaas).toContain('username="flink"');
    for (const name of ['kafka', 'jobmanager', 'taskmanager', 'sql-gateway']) {
      const pid = runningPid(paths, name);
      expect([name, pid === undefined]).toEqual([name, false]);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      for (const user of KAFKA_USERS) {
        const password = config.kafka.passwords[user]!;
        expect([name, user, cmdline.includes(password)]).toEqual([name, user, false]);
      }
    }
  });
});
