import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { LivyBatchesClient } from '@fstore/livy';
import { ProcessStatus, StackComponent, StackContext } from './component';
import {
  mavenCopyDependencies,
  ensureDir,
  run,
  runningPid,
  sleep,
  spawnDaemon,
  StackError,
  stopProcess,
  writeIfChanged,
} from './processes';
import { ownByServiceUser, sharedWorkDir, shareWithServiceUser } from './service-user';
import { ownSparkDirs, sparkEnv } from './spark';
import { VERSIONS } from './versions';

/**
 * Maven Central carries org.apache.livy only up to 0.7.1-incubating: the pinned 0.9.0 (Scala
 * 2.12) was never published there. 0.7.1's server runs on its own Scala 2.11 and, for batches,
 * only launches the pyspark spark-submit, so it runs Spark 3.5 batches (with a warning that Spark
 * 3.5 is "not verified").
 */
export const LIVY_VERSION = VERSIONS.livy;
const PROCESS = 'livy';
const MAIN_CLASS = 'org.apache.livy.server.LivyServer';

/** The folders Livy may run files from (livy.file.local-dir-whitelist): the job folder. */
export function livyJobDirs(): string[] {
  return [join(PROJECT_ROOT, 'spark-jobs') + '/'];
}

function livyJars(ctx: StackContext): string {
  return join(ctx.config.cacheDir, `livy-${LIVY_VERSION}`, 'jars');
}

function livyDirs(ctx: StackContext) {
  const root = ctx.paths.data('livy');
  return { root, conf: join(root, 'conf'), logs: join(root, 'logs'), lib: join(root, 'lib') };
}

/** The auth filter's source (a javax.servlet Filter Livy loads as its custom auth type). */
const AUTH_FILTER_SOURCE = join(PROJECT_ROOT, 'stack', 'livy', 'auth', 'BearerTokenFilter.java');
export const AUTH_FILTER_CLASS = 'fstore.livy.BearerTokenFilter';

/**
 * Compiles stack/livy/auth/BearerTokenFilter.java with the JDK's javac against Livy's own servlet
 * API jar into <stack>/data/livy/lib/fstore-livy-auth.jar, when the jar is missing or older than
 * the source. Returns the jar.
 */
function ensureAuthFilterJar(ctx: StackContext, lib: string): string {
  const jar = join(lib, 'fstore-livy-auth.jar');
  if (existsSync(jar) && statSync(jar).mtimeMs >= statSync(AUTH_FILTER_SOURCE).mtimeMs) return jar;
  const servletApi = readdirSync(livyJars(ctx)).find((f) => /^javax\.servlet-api-.*\.jar$/.test(f));
  if (!servletApi) throw new StackError(`livy: no javax.servlet-api jar in ${livyJars(ctx)}`);
  const bin = join(ctx.config.spark.javaHome, 'bin');
  const classes = join(lib, 'classes');
  rmSync(classes, { recursive: true, force: true });
  run(join(bin, 'javac'), [
    '--release',
    '8',
    '-cp',
    join(livyJars(ctx), servletApi),
    '-d',
    classes,
    AUTH_FILTER_SOURCE,
  ]);
  run(join(bin, 'jar'), ['cf', `${jar}.tmp`, '-C', classes, '.']);
  renameSync(`${jar}.tmp`, jar);
  rmSync(classes, { recursive: true, force: true });
  return jar;
}

function retainSeconds(value: string): string {
  const m = /^(\d+)\s*(s|m|h)?$/.exec(value.trim());
  if (!m) throw new StackError(`livy: FSTORE_LIVY_STATE_RETAIN="${value}" is not like 600s`);
  return `${m[1]}${m[2] ?? 's'}`;
}

/**
 * The Livy server (batch REST API), assembled from Maven Central jars (stack/livy/pom.xml) into
 * the cache, run as one JVM on loopback. Its batches are spark-submit runs of the pyspark Spark
 * home with the stack's Spark configuration (Hive metastore in PostgreSQL).
 */
export class LivyComponent implements StackComponent {
  readonly name = 'livy';
  readonly dependsOn = ['spark'] as const;

  processNames(): string[] {
    return [PROCESS];
  }

  async install(ctx: StackContext): Promise<void> {
    const jars = livyJars(ctx);
    if (existsSync(join(jars, '.complete'))) return;
    const staging = `${jars}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    await mavenCopyDependencies(
      {
        what: `livy: Livy ${LIVY_VERSION} jars from Maven Central into ${jars}`,
        size: '~75 MB, a minute or two',
        log: ctx.log,
      },
      join(PROJECT_ROOT, 'stack', 'livy', 'pom.xml'),
      { 'livy.version': LIVY_VERSION },
      staging,
    );
    if (!readdirSync(staging).some((f) => f.startsWith(`livy-server-${LIVY_VERSION}`))) {
      throw new StackError(`livy: livy-server-${LIVY_VERSION}.jar is missing in ${staging}`);
    }
    writeFileSync(join(staging, '.complete'), new Date().toISOString());
    rmSync(jars, { recursive: true, force: true });
    renameSync(staging, jars);
  }

  /**
   * livy.conf, log4j.properties and the auth token file (0600) in <stack>/data/livy/conf,
   * rewritten from the settings.
   */
  private writeConfig(ctx: StackContext): ReturnType<typeof livyDirs> {
    const dirs = livyDirs(ctx);
    for (const dir of Object.values(dirs)) ensureDir(dir);
    const { host, livy, spark } = ctx.config;
    if (!livy.token) throw new StackError('livy: FSTORE_LIVY_TOKEN is not set');
    const tokenFile = join(dirs.conf, 'auth-token');
    writeIfChanged(tokenFile, `${livy.token}\n`, 0o600);
    const conf = `# Generated by fstore stack (apps/cli/src/stack/livy.ts) from the fstore settings: edit those.
livy.server.host = ${host}
livy.server.port = ${livy.port}
livy.spark.master = ${spark.master}
livy.spark.deploy-mode = client
livy.spark.scala-version = 2.12
livy.file.local-dir-whitelist = ${livyJobDirs().join(',')}
livy.server.session.state-retain.sec = ${retainSeconds(livy.stateRetain)}
livy.server.recovery.mode = off
# A POST or DELETE without an X-Requested-By header is refused (400): a web page cannot send one
# without a CORS preflight, which Livy does not answer (issue 20, finding 3).
livy.server.csrf-protection.enabled = true
# Every request must carry Authorization: Bearer <FSTORE_LIVY_TOKEN>, else 401 (issue 20,
# finding 2): another process on the host cannot submit batches (stack/livy/auth).
livy.server.auth.type = fstore-token
livy.server.auth.fstore-token.class = ${AUTH_FILTER_CLASS}
livy.server.auth.fstore-token.param.token-file = ${tokenFile}
livy.rsc.rpc.server.address = ${host}
livy.rsc.launcher.address = ${host}
livy.cache-log.size = 2000
livy.ui.enabled = false
`;
    writeIfChanged(join(dirs.conf, 'livy.conf'), conf);
    const log4j = `log4j.rootCategory=INFO, console
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.target=System.err
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=%d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
log4j.logger.org.eclipse.jetty=WARN
`;
    writeIfChanged(join(dirs.conf, 'log4j.properties'), log4j);
    return dirs;
  }

  async start(ctx: StackContext): Promise<number> {
    if (runningPid(ctx.paths, PROCESS) !== undefined) return 0;
    const dirs = this.writeConfig(ctx);
    const authJar = ensureAuthFilterJar(ctx, dirs.lib);
    const java = join(ctx.config.spark.javaHome, 'bin', 'java');
    // Its configuration, token file and auth filter root's, read by Livy (service-user.ts); its
    // logs Livy's; the folder it starts in (LIVY_HOME), shared; the batches write Spark's folders.
    shareWithServiceUser(dirs.conf);
    shareWithServiceUser(dirs.lib);
    ownByServiceUser(dirs.logs);
    sharedWorkDir(dirs.root, ['conf', 'lib']);
    ownSparkDirs(ctx);
    // Without LIVY_CONF_DIR Livy silently ignores livy.conf (and binds every interface).
    spawnDaemon(ctx.paths, {
      name: PROCESS,
      command: java,
      args: [
        `-Xmx${ctx.config.livy.heap}`,
        '-cp',
        `${livyJars(ctx)}/*:${authJar}:${dirs.conf}`,
        MAIN_CLASS,
      ],
      env: {
        ...process.env,
        ...sparkEnv(ctx),
        LIVY_HOME: dirs.root,
        LIVY_CONF_DIR: dirs.conf,
        LIVY_LOG_DIR: dirs.logs,
        // Batch jobs inherit it (spark-jobs/batch_features.py writes Redis as the ACL user
        // batch-features): a password in the environment, not among the arguments, which Livy
        // puts on the spark-submit command line. Only this one: no other Redis user's.
        ...(ctx.config.redis.passwords['batch-features']
          ? { FSTORE_REDIS_BATCH_PASSWORD: ctx.config.redis.passwords['batch-features'] }
          : {}),
        // The same for Kafka: spark-jobs/ingest_kafka_to_lake.py reads as the SCRAM user
        // spark-ingest (libs/config/src/kafka-acl.ts), its password only from here.
        ...(ctx.config.kafka.passwords['spark-ingest']
          ? { FSTORE_KAFKA_INGEST_PASSWORD: ctx.config.kafka.passwords['spark-ingest'] }
          : {}),
      },
      cwd: dirs.root,
      match: [MAIN_CLASS],
    });
    return 1;
  }

  private client(ctx: StackContext): LivyBatchesClient {
    return LivyBatchesClient.fromConfig(ctx.config, { timeoutMs: 3000, retries: 0 });
  }

  async ready(ctx: StackContext): Promise<void> {
    const deadline = Date.now() + 120000;
    let last = 'not checked yet';
    for (;;) {
      if (runningPid(ctx.paths, PROCESS) === undefined) {
        throw new StackError(`livy is not running; see its log: ${ctx.paths.logFile(PROCESS)}`);
      }
      try {
        await this.client(ctx).list();
        return;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) {
        throw new StackError(
          `livy did not become healthy within 120s (${last}); see its log: ${ctx.paths.logFile(PROCESS)}`,
        );
      }
      await sleep(500);
    }
  }

  async status(ctx: StackContext): Promise<ProcessStatus[]> {
    const pid = runningPid(ctx.paths, PROCESS);
    let detail: string | undefined = pid === undefined ? 'not running' : undefined;
    if (!detail) {
      try {
        await this.client(ctx).list();
      } catch (e) {
        detail = (e as Error).message;
      }
    }
    return [
      {
        component: this.name,
        process: PROCESS,
        pid,
        address: `${ctx.config.livy.url} (Livy ${LIVY_VERSION})`,
        healthy: !detail,
        detail,
      },
    ];
  }

  async stop(ctx: StackContext): Promise<void> {
    await stopProcess(ctx.paths, PROCESS, 'SIGTERM', 30000);
  }
}
