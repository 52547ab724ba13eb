/**
 * Who may do what in Kafka (issue 20, finding 2): one SCRAM-SHA-512 user per component, each
 * with ACLs for only the topics and consumer groups it uses. The broker denies everything else
 * (`allow.everyone.if.no.acl.found=false`); a client that does not log in is refused at the
 * handshake. The local stack creates the users and applies these ACLs after the broker starts
 * (and again after `fstore apply`); Kubernetes has a `KafkaUser` per component with the same
 * ACLs (k8s/k8s.spec.ts compares them); the clients log in with `kafkaClientConfig`.
 */

/** The SASL mechanism of every client login. */
export const KAFKA_SASL_MECHANISM = 'SCRAM-SHA-512';
/** The client listener's protocol (loopback locally; the cluster network in Kubernetes). */
export const KAFKA_SECURITY_PROTOCOL = 'SASL_PLAINTEXT';

/** The components' SCRAM users. `fstore-admin` is a super user (the stack, tests, benchmarks). */
export const KAFKA_USERS = [
  'fstore-admin',
  'producer',
  'flink',
  'feature-writer',
  'spark-ingest',
  'feature-server',
] as const;
export type KafkaUser = (typeof KAFKA_USERS)[number];

/** The setting holding each user's password. */
export const KAFKA_PASSWORD_SETTINGS = {
  'fstore-admin': 'FSTORE_KAFKA_ADMIN_PASSWORD',
  producer: 'FSTORE_KAFKA_PRODUCER_PASSWORD',
  flink: 'FSTORE_KAFKA_FLINK_PASSWORD',
  'feature-writer': 'FSTORE_KAFKA_WRITER_PASSWORD',
  'spark-ingest': 'FSTORE_KAFKA_INGEST_PASSWORD',
  'feature-server': 'FSTORE_KAFKA_SERVER_PASSWORD',
} as const satisfies Record<KafkaUser, string>;

/**
 * The broker's own login (local stack): a static PLAIN user of `server.properties`, because the
 * broker must log in to its KRaft controller listener before any SCRAM credential exists (KRaft
 * keeps those in the metadata log, and a controller listener cannot use SCRAM).
 */
export const KAFKA_BROKER_USER = 'fstore-broker';
export const KAFKA_BROKER_PASSWORD_SETTING = 'FSTORE_KAFKA_BROKER_PASSWORD';

/** The users the broker lets do anything (`super.users`). */
export const KAFKA_SUPER_USERS: readonly string[] = [KAFKA_BROKER_USER, 'fstore-admin'];

export type KafkaResourceType = 'topic' | 'group' | 'transactionalId' | 'cluster';
export type KafkaPatternType = 'literal' | 'prefixed';
export type KafkaOperation = 'Read' | 'Write' | 'Describe' | 'Create';

/** One ALLOW rule: `operations` on the resources whose name is (or starts with) `name`. */
export interface KafkaAcl {
  type: KafkaResourceType;
  pattern: KafkaPatternType;
  name: string;
  operations: readonly KafkaOperation[];
}

/** The topics and groups the ACLs name (from @fstore/contracts and the configuration). */
export interface KafkaAclTopics {
  /** The raw events' topic (the producer writes it, Flink and the lake ingest read it). */
  source: string;
  deadLetter: string;
  /** Prefix of the feature changelogs (`features.`): Flink writes them, the writer reads them. */
  featurePrefix: string;
  /** The feature server's log of served values (`fstore.serving-log`). */
  servingLog: string;
  /** The feature writer's consumer group. */
  writerGroup: string;
  /** Prefix of the Flink jobs' consumer groups (`fstore-job-`: one group per job version). */
  flinkGroupPrefix: string;
  /**
   * Local stack only: prefixes of topics and groups the tests and benchmarks make for themselves
   * (`test.`/`bench.` topics, `test-`/`bench-` groups). Each component may also use these, so
   * that a test runs the real component, as its own user, on topics of its own; the production
   * topics stay as guarded as without them. Kubernetes declares none.
   */
  scratch?: { topicPrefixes: readonly string[]; groupPrefixes: readonly string[] };
}

/** The local stack's scratch namespace (see KafkaAclTopics.scratch). */
export const KAFKA_SCRATCH = {
  topicPrefixes: ['test.', 'bench.'],
  groupPrefixes: ['test-', 'bench-'],
} as const;

const topic = (name: string, ...operations: KafkaOperation[]): KafkaAcl => ({
  type: 'topic',
  pattern: 'literal',
  name,
  operations,
});
const topicPrefix = (name: string, ...operations: KafkaOperation[]): KafkaAcl => ({
  type: 'topic',
  pattern: 'prefixed',
  name,
  operations,
});
const group = (name: string, pattern: KafkaPatternType = 'literal'): KafkaAcl => ({
  type: 'group',
  pattern,
  name,
  operations: ['Read'],
});

/**
 * Each user's ACLs (`fstore-admin` is a super user and has none):
 * - producer: writes the source topic and its dead letters (Write implies Describe; an
 *   idempotent producer needs no cluster right since Kafka 2.8, Write on a topic suffices);
 * - flink: reads the source topic in its jobs' groups, writes the feature changelogs;
 * - feature-writer: reads the changelogs in its group, writes dead letters;
 * - spark-ingest (Spark's batch jobs): reads the source topic and the serving log (the
 *   consistency job) (offsets live in the lake: no group commits; Spark's readers may still name
 *   a `spark-kafka-…` group);
 * - feature-server: writes the serving log, nothing else.
 */
export function kafkaAcls(t: KafkaAclTopics): Record<KafkaUser, KafkaAcl[]> {
  const scratchTopics = (t.scratch?.topicPrefixes ?? []).map((p) =>
    topicPrefix(p, 'Read', 'Write'),
  );
  const scratchGroups = (t.scratch?.groupPrefixes ?? []).map((p) => group(p, 'prefixed'));
  const scratch = [...scratchTopics, ...scratchGroups];
  return {
    'fstore-admin': [],
    producer: [topic(t.source, 'Write'), topic(t.deadLetter, 'Write'), ...scratch],
    flink: [
      topic(t.source, 'Read'),
      group(t.flinkGroupPrefix, 'prefixed'),
      topicPrefix(t.featurePrefix, 'Write'),
      ...scratch,
    ],
    'feature-writer': [
      topicPrefix(t.featurePrefix, 'Read'),
      group(t.writerGroup),
      topic(t.deadLetter, 'Write'),
      ...scratch,
    ],
    'spark-ingest': [
      topic(t.source, 'Read'),
      topic(t.servingLog, 'Read'),
      group('spark-kafka-', 'prefixed'),
      ...scratch,
    ],
    'feature-server': [topic(t.servingLog, 'Write'), ...scratch],
  };
}

/**
 * The topics or the consumer groups of a user's ACLs as a list of grants: `name` is the one
 * resource of that name (a literal ACL), `name*` every resource whose name starts with `name` (a
 * prefixed ACL). FSTORE_FLINK_KAFKA_TOPICS and FSTORE_FLINK_KAFKA_GROUPS hold the `flink` user's,
 * so that the control plane refuses a job parameter naming a topic or group the Flink jobs could
 * not use at registration instead of letting the job fail when it runs.
 */
export function kafkaGrants(acls: readonly KafkaAcl[], type: 'topic' | 'group'): string[] {
  return acls
    .filter((a) => a.type === type)
    .map((a) => (a.pattern === 'prefixed' ? `${a.name}*` : a.name));
}

/**
 * Whether `name` is granted: it is a literal grant, or starts with a prefix grant's prefix.
 * `asPrefix`: `name` is itself a prefix of names (a `…_TOPIC_PREFIX`), so only a prefix grant it
 * starts with covers every name it begins.
 */
export function kafkaNameGranted(
  name: string,
  grants: readonly string[],
  asPrefix = false,
): boolean {
  return grants.some((g) =>
    g.endsWith('*') ? name.startsWith(g.slice(0, -1)) : !asPrefix && name === g,
  );
}

/** The Kafka names the Flink jobs may use (FSTORE_FLINK_KAFKA_TOPICS, FSTORE_FLINK_KAFKA_GROUPS). */
export interface KafkaGrants {
  topics: readonly string[];
  groups: readonly string[];
}

/** kafkajs's `sasl` option. */
export interface KafkaSasl {
  mechanism: 'scram-sha-512';
  username: string;
  password: string;
}

/** Flink's Kafka connector (flink-sql-connector-kafka) shades the Kafka client into this package. */
export const FLINK_KAFKA_SHADED_PACKAGE = 'org.apache.flink.kafka.shaded.org.apache.kafka';

/**
 * A JAAS line logging in as `user` (Java clients' `sasl.jaas.config`, or a `KafkaClient` entry
 * of a JAAS file). `loginModulePackage`: Flink's Kafka connector shades the client
 * (`org.apache.flink.kafka.shaded.org.apache.kafka…`).
 */
export function kafkaJaasLogin(
  user: string,
  password: string,
  loginModulePackage = 'org.apache.kafka',
): string {
  const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return (
    `${loginModulePackage}.common.security.scram.ScramLoginModule required ` +
    `username=${quote(user)} password=${quote(password)};`
  );
}
