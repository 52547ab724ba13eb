import { randomBytes } from 'crypto';
import { existsSync, writeFileSync } from 'fs';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { join } from 'path';
import { STACK_TOPICS } from '@fstore/contracts';
import { PROJECT_ROOT } from '@fstore/config';
import { ProcessStatus, StackComponent, StackContext } from './component';
import {
  download,
  ensureDir,
  probe,
  run,
  runningPid,
  spawnDaemon,
  stopProcess,
  waitUntil,
  writeIfChanged,
} from './processes';
import { VERSIONS } from './versions';

export const KAFKA_VERSION = VERSIONS.kafka;
const LOG4J_VERSION = '2.24.3';
const PROCESS = 'kafka';

export function kafkaLibDir(ctx: StackContext): string {
  return join(ctx.config.cacheDir, `kafka-${KAFKA_VERSION}`, 'libs');
}

async function withAdmin<T>(ctx: StackContext, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const kafka = new Kafka({
    clientId: 'fstore-stack',
    brokers: ctx.config.kafka.brokers,
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

/** A single-node Kafka 4 broker in KRaft mode, assembled from Maven Central jars. */
export class KafkaComponent implements StackComponent {
  readonly name = 'kafka';

  processNames(): string[] {
    return [PROCESS];
  }

  async install(ctx: StackContext): Promise<void> {
    const libs = kafkaLibDir(ctx);
    const marker = join(libs, '.complete');
    if (existsSync(marker)) return;
    await download(
      {
        what: `kafka: Kafka ${KAFKA_VERSION} jars from Maven Central into ${libs}`,
        size: '~55 MB, usually under a minute',
        log: ctx.log,
      },
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        join(PROJECT_ROOT, 'stack/kafka/pom.xml'),
        'dependency:copy-dependencies',
        `-Dkafka.version=${KAFKA_VERSION}`,
        `-Dlog4j.version=${LOG4J_VERSION}`,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${libs}`,
      ],
    );
    writeFileSync(marker, new Date().toISOString());
  }

  private writeConfig(ctx: StackContext): { server: string; log4j: string; dataDir: string } {
    const dir = ctx.paths.data('kafka');
    const dataDir = ensureDir(join(dir, 'logs'));
    const { host } = ctx.config;
    const { port, controllerPort, partitions } = ctx.config.kafka;
    const server = join(dir, 'server.properties');
    writeIfChanged(
      server,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@${host}:${controllerPort}`,
        `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://${host}:${port}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
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
    const classpath = join(kafkaLibDir(ctx), '*');
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      // KRaft storage must be formatted once with a cluster id (22 chars of URL-safe base64).
      const clusterId = randomBytes(16).toString('base64url');
      ctx.log(`kafka: formatting storage (cluster id ${clusterId})`);
      run('java', [
        '-cp',
        classpath,
        `-Dlog4j2.configurationFile=${log4j}`,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        server,
      ]);
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
        '-cp',
        classpath,
        'kafka.Kafka',
        server,
      ],
    });
    return 1;
  }

  async ready(ctx: StackContext): Promise<void> {
    await waitUntil('kafka', () => withAdmin(ctx, (a) => a.describeCluster()), {
      timeoutMs: 90000,
      logFile: ctx.paths.logFile(PROCESS),
      intervalMs: 500,
    });
    await withAdmin(ctx, async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = STACK_TOPICS.filter((t) => !existing.has(t.name));
      if (missing.length === 0) return;
      ctx.log(
        `kafka: creating topics ${missing.map((t) => t.name).join(', ')} (${ctx.config.kafka.partitions} partitions)`,
      );
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: ctx.config.kafka.partitions,
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
