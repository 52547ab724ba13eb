import { randomBytes } from 'crypto';
import { existsSync, writeFileSync } from 'fs';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Admin,
  Kafka,
  KafkaConfig,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { dirname, join } from 'path';
import { kafkaAclTopics, partitionsOf, STACK_TOPICS } from '@fstore/contracts';
import {
  FstoreConfig,
  KAFKA_BROKER_USER,
  KAFKA_SASL_MECHANISM,
  KAFKA_SUPER_USERS,
  KAFKA_USERS,
  KafkaAcl,
  kafkaAcls,
  kafkaClientConfig,
  KafkaUser,
  PROJECT_ROOT,
} from '@fstore/config';
import { ProcessStatus, StackComponent, StackContext } from './component';
import {
  StackError,
  download,
  MAVEN_REPOSITORY,
  mavenCopyDependencies,
  ensureDir,
  probe,
  run,
  runningPid,
  spawnDaemon,
  stopProcess,
  waitUntil,
  writeIfChanged,
} from './processes';
import { asServiceUser, ownByServiceUser, shareWithServiceUser } from './service-user';
import { VERSIONS } from './versions';

export const KAFKA_VERSION = VERSIONS.kafka;
const LOG4J_VERSION = '2.24.3';
const PROCESS = 'kafka';
const JMX_EXPORTER = `io.prometheus.jmx:jmx_prometheus_javaagent:${VERSIONS.jmxExporter}`;
/** The broker's metric rules (the JMX exporter's configuration), also Strimzi's in k8s/. */
export const KAFKA_METRICS_RULES = join(PROJECT_ROOT, 'monitoring', 'kafka-metrics.yml');

export function kafkaLibDir(ctx: StackContext): string {
  return join(ctx.config.cacheDir, `kafka-${KAFKA_VERSION}`, 'libs');
}

/** The JMX exporter's agent jar, beside (not in) the broker's classpath. */
export function jmxExporterJar(cacheDir: string): string {
  return join(cacheDir, 'jars', `jmx_prometheus_javaagent-${VERSIONS.jmxExporter}.jar`);
}

/**
 * The broker's metrics endpoint: the Prometheus JMX exporter as a Java agent in the broker's JVM,
 * serving the MBeans its rules pick (and the JVM's own metrics) on the stack's host only, at
 * FSTORE_KAFKA_METRICS_PORT (`-javaagent:<jar>=<host>:<port>:<rules>`).
 */
export function kafkaMetricsAgent(config: FstoreConfig): string {
  const jar = jmxExporterJar(config.cacheDir);
  return `-javaagent:${jar}=${config.host}:${config.kafka.metricsPort}:${KAFKA_METRICS_RULES}`;
}

/** The broker's own PLAIN login (a super user, valid before any SCRAM credential exists). */
function brokerLogin(config: FstoreConfig): Pick<KafkaConfig, 'brokers' | 'sasl'> {
  const password = config.kafka.brokerPassword;
  if (!password) throw new StackError('kafka: FSTORE_KAFKA_BROKER_PASSWORD is not set');
  return {
    brokers: config.kafka.brokers,
    sasl: { mechanism: 'plain', username: KAFKA_BROKER_USER, password },
  };
}

/** An admin client: as `fstore-admin` (SCRAM), or as the broker itself before the users exist. */
async function withAdmin<T>(
  ctx: StackContext,
  fn: (admin: Admin) => Promise<T>,
  login: Pick<KafkaConfig, 'brokers' | 'sasl'> = kafkaClientConfig(ctx.config, 'fstore-admin'),
): Promise<T> {
  const kafka = new Kafka({
    clientId: 'fstore-stack',
    ...login,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The broker's listeners and who may do what (docs/security.md, Kafka): clients log in with
 * SCRAM-SHA-512 on the client listener; the broker itself, a super user, with a static PLAIN
 * login on both listeners (KRaft keeps SCRAM credentials in its metadata log, so the
 * controller listener cannot use them, and the stack must log in before the users exist). The
 * StandardAuthorizer denies what no ACL allows.
 */
export function kafkaSecurityProperties(config: FstoreConfig): string[] {
  const { host } = config;
  const { port, controllerPort } = config.kafka;
  const password = config.kafka.brokerPassword;
  if (!password) throw new StackError('kafka: FSTORE_KAFKA_BROKER_PASSWORD is not set');
  // The JAAS line's values are quoted; the password is generated hex, never a quote.
  const plain =
    'org.apache.kafka.common.security.plain.PlainLoginModule required ' +
    `username="${KAFKA_BROKER_USER}" password="${password}" user_${KAFKA_BROKER_USER}="${password}";`;
  const scram = KAFKA_SASL_MECHANISM.toLowerCase();
  return [
    `listeners=CLIENT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=CLIENT://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=CLIENT',
    'listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,CLIENT:SASL_PLAINTEXT',
    `listener.name.client.sasl.enabled.mechanisms=${KAFKA_SASL_MECHANISM},PLAIN`,
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    'sasl.mechanism.inter.broker.protocol=PLAIN',
    'sasl.mechanism.controller.protocol=PLAIN',
    `listener.name.client.plain.sasl.jaas.config=${plain}`,
    `listener.name.client.${scram}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    `listener.name.controller.plain.sasl.jaas.config=${plain}`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found=false',
    `super.users=${KAFKA_SUPER_USERS.map((u) => `User:${u}`).join(';')}`,
  ];
}

const RESOURCE_TYPES = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  transactionalId: AclResourceTypes.TRANSACTIONAL_ID,
  cluster: AclResourceTypes.CLUSTER,
} as const;
const PATTERN_TYPES = {
  literal: ResourcePatternTypes.LITERAL,
  prefixed: ResourcePatternTypes.PREFIXED,
} as const;
const OPERATIONS = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Describe: AclOperationTypes.DESCRIBE,
  Create: AclOperationTypes.CREATE,
} as const;

/** The kafkajs ACL entries of one user's declared ACLs (one per operation). */
export function aclEntries(user: string, acls: readonly KafkaAcl[]) {
  return acls.flatMap((acl) =>
    acl.operations.map((op) => ({
      resourceType: RESOURCE_TYPES[acl.type],
      resourceName: acl.name,
      resourcePatternType: PATTERN_TYPES[acl.pattern],
      principal: `User:${user}`,
      host: '*',
      operation: OPERATIONS[op],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
}

/** The local stack's ACLs: the declaration with its topics, plus the tests' scratch namespace. */
export function stackKafkaAcls(config: FstoreConfig): Record<KafkaUser, KafkaAcl[]> {
  return kafkaAcls(kafkaAclTopics(config.writer.groupId, true));
}

/**
 * A single-node Kafka 4 broker in KRaft mode, assembled from Maven Central jars, with the
 * Prometheus JMX exporter's agent serving its metrics (kafkaMetricsAgent).
 */
export class KafkaComponent implements StackComponent {
  readonly name = 'kafka';

  processNames(): string[] {
    return [PROCESS];
  }

  async install(ctx: StackContext): Promise<void> {
    const jar = jmxExporterJar(ctx.config.cacheDir);
    if (!existsSync(jar)) {
      await download(
        {
          what: `kafka: ${JMX_EXPORTER} (the broker's metrics agent) from Maven Central`,
          size: '~1 MB',
          log: ctx.log,
          into: [MAVEN_REPOSITORY],
        },
        'mvn',
        [
          '-q',
          '-B',
          'dependency:copy',
          `-Dartifact=${JMX_EXPORTER}`,
          `-DoutputDirectory=${dirname(jar)}`,
        ],
      );
    }
    const libs = kafkaLibDir(ctx);
    const marker = join(libs, '.complete');
    if (existsSync(marker)) return;
    await mavenCopyDependencies(
      {
        what: `kafka: Kafka ${KAFKA_VERSION} jars from Maven Central into ${libs}`,
        size: '~55 MB, usually under a minute',
        log: ctx.log,
      },
      join(PROJECT_ROOT, 'stack/kafka/pom.xml'),
      { 'kafka.version': KAFKA_VERSION, 'log4j.version': LOG4J_VERSION },
      libs,
    );
    writeFileSync(marker, new Date().toISOString());
  }

  private writeConfig(ctx: StackContext): { server: string; log4j: string; dataDir: string } {
    const dir = ctx.paths.data('kafka');
    const dataDir = ensureDir(join(dir, 'logs'));
    const { host } = ctx.config;
    const { controllerPort, partitions } = ctx.config.kafka;
    const server = join(dir, 'server.properties');
    // Mode 600: it holds the broker's password (its PLAIN login).
    writeIfChanged(
      server,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@${host}:${controllerPort}`,
        ...kafkaSecurityProperties(ctx.config),
        `log.dirs=${dataDir}`,
        `num.partitions=${partitions}`,
        'offsets.topic.replication.factor=1',
        'share.coordinator.state.topic.replication.factor=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=false',
        'num.network.threads=2',
        'num.io.threads=4',
      ].join('\n') + '\n',
      0o600,
    );
    const log4j = join(dir, 'log4j2.properties');
    writeIfChanged(
      log4j,
      [
        'status = warn',
        'appender.console.type = Console',
        'appender.console.name = STDOUT',
        'appender.console.layout.type = PatternLayout',
        'appender.console.layout.pattern = [%d] %p %m (%c)%n',
        'rootLogger.level = INFO',
        'rootLogger.appenderRef.stdout.ref = STDOUT',
        'logger.kafka.name = kafka',
        'logger.kafka.level = WARN',
        'logger.state.name = state.change.logger',
        'logger.state.level = WARN',
      ].join('\n') + '\n',
    );
    return { server, log4j, dataDir };
  }

  async start(ctx: StackContext): Promise<number> {
    if (runningPid(ctx.paths, PROCESS) !== undefined) return 0;
    const { server, log4j, dataDir } = this.writeConfig(ctx);
    // The configuration (with the broker's password) root's, read by the broker; its log
    // segments and metadata, the broker's (service-user.ts).
    shareWithServiceUser(ctx.paths.data('kafka'), { recursive: false });
    for (const file of [server, log4j]) shareWithServiceUser(file);
    ownByServiceUser(dataDir);
    const classpath = join(kafkaLibDir(ctx), '*');
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      const clusterId = kafkaClusterId();
      ctx.log(`kafka: formatting storage (cluster id ${clusterId})`);
      run(
        'java',
        [
          '-cp',
          classpath,
          `-Dlog4j2.configurationFile=${log4j}`,
          'kafka.tools.StorageTool',
          'format',
          // The `=` form: a value is never read as an option, whatever its first character.
          `--cluster-id=${clusterId}`,
          '-c',
          server,
        ],
        asServiceUser(ctx.paths.root),
      );
    }
    spawnDaemon(ctx.paths, {
      name: PROCESS,
      command: 'java',
      args: [
        `-Xms256m`,
        `-Xmx${ctx.config.kafka.heap}`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${log4j}`,
        kafkaMetricsAgent(ctx.config),
        '-cp',
        classpath,
        'kafka.Kafka',
        server,
      ],
    });
    return 1;
  }

  /** Users whose SCRAM login fails (not created yet, or their password changed). */
  private async usersWithoutLogin(ctx: StackContext): Promise<KafkaUser[]> {
    const failing: KafkaUser[] = [];
    for (const user of KAFKA_USERS) {
      if (!ctx.config.kafka.passwords[user]) continue;
      const ok = await withAdmin(
        ctx,
        (a) => a.describeCluster(),
        kafkaClientConfig(ctx.config, user),
      )
        .then(() => true)
        .catch(() => false);
      if (!ok) failing.push(user);
    }
    return failing;
  }

  /**
   * Each component's SCRAM user (KRaft stores them in its metadata log): set through the Admin
   * API by stack/kafka/ScramUsers.java, the passwords on its standard input.
   */
  private async ensureUsers(ctx: StackContext): Promise<void> {
    const missing = await this.usersWithoutLogin(ctx);
    if (missing.length === 0) return;
    ctx.log(`kafka: setting the SCRAM credentials of ${missing.join(', ')}`);
    const jaas =
      'org.apache.kafka.common.security.plain.PlainLoginModule required ' +
      `username="${KAFKA_BROKER_USER}" password="${ctx.config.kafka.brokerPassword ?? ''}";`;
    const input = [
      ctx.config.kafka.brokers.join(','),
      jaas,
      ...missing.map((u) => `${u} ${ctx.config.kafka.passwords[u]}`),
    ].join('\n');
    run(
      'java',
      [
        '-cp',
        join(kafkaLibDir(ctx), '*'),
        '-Dlog4j2.level=WARN',
        join(PROJECT_ROOT, 'stack/kafka/ScramUsers.java'),
      ],
      { input },
    );
    const still = await this.usersWithoutLogin(ctx);
    if (still.length > 0)
      throw new StackError(`kafka: SCRAM login still fails for ${still.join(', ')}`);
  }

  /**
   * Applies the declared ACLs (libs/config/src/kafka-acl.ts) and removes every other ACL, so
   * that the broker holds exactly the declaration. Idempotent.
   */
  private async applyAcls(ctx: StackContext): Promise<void> {
    const declared = stackKafkaAcls(ctx.config);
    await withAdmin(ctx, async (admin) => {
      const key = (e: {
        resourceType: number;
        resourceName: string;
        resourcePatternType: number;
        principal: string;
        host: string;
        operation: number;
        permissionType: number;
      }) =>
        [
          e.resourceType,
          e.resourceName,
          e.resourcePatternType,
          e.principal,
          e.host,
          e.operation,
          e.permissionType,
        ].join('|');
      const wanted = Object.entries(declared).flatMap(([user, acls]) => aclEntries(user, acls));
      const existing = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      const have = existing.resources.flatMap((r) =>
        r.acls.map((a) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          resourcePatternType: r.resourcePatternType,
          principal: a.principal,
          host: a.host,
          operation: a.operation,
          permissionType: a.permissionType,
        })),
      );
      const haveKeys = new Set(have.map(key));
      const wantedKeys = new Set(wanted.map(key));
      const toCreate = wanted.filter((e) => !haveKeys.has(key(e)));
      const toDelete = have.filter((e) => !wantedKeys.has(key(e)));
      if (toCreate.length > 0) await admin.createAcls({ acl: toCreate });
      if (toDelete.length > 0) await admin.deleteAcls({ filters: toDelete });
      if (toCreate.length + toDelete.length > 0) {
        ctx.log(`kafka: ACLs: ${toCreate.length} added, ${toDelete.length} removed`);
      }
    });
  }

  async ready(ctx: StackContext): Promise<void> {
    await waitUntil(
      'kafka',
      () => withAdmin(ctx, (a) => a.describeCluster(), brokerLogin(ctx.config)),
      {
        timeoutMs: 90000,
        logFile: ctx.paths.logFile(PROCESS),
        intervalMs: 500,
      },
    );
    await this.ensureUsers(ctx);
    await this.applyAcls(ctx);
    await withAdmin(ctx, async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = STACK_TOPICS.filter((t) => !existing.has(t.name));
      if (missing.length === 0) return;
      const described = missing.map((t) => {
        const n = partitionsOf(t, ctx.config.kafka);
        return `${t.name} (${n} partition${n === 1 ? '' : 's'})`;
      });
      ctx.log(`kafka: creating topics ${described.join(', ')}`);
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: partitionsOf(t, ctx.config.kafka),
          replicationFactor: 1,
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      });
    });
  }

  async status(ctx: StackContext): Promise<ProcessStatus[]> {
    const { healthy, detail } = await probe(() =>
      withAdmin(ctx, (a) => a.fetchTopicMetadata({ topics: STACK_TOPICS.map((t) => t.name) })),
    );
    return [
      {
        component: this.name,
        process: PROCESS,
        pid: runningPid(ctx.paths, PROCESS),
        address: ctx.config.kafka.brokers.join(','),
        healthy,
        detail,
      },
    ];
  }

  async stop(ctx: StackContext): Promise<void> {
    await stopProcess(ctx.paths, PROCESS, 'SIGTERM', 30000);
  }
}

/**
 * A KRaft cluster id: 16 random bytes as 22 chars of URL-safe base64. Like Kafka's own
 * Uuid.randomUuid, it never starts with '-': the storage tool's argument parser would read
 * such an id as an option (a 1-in-64 failure of `stack up`, seen in CI).
 */
export function kafkaClusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
