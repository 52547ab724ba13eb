import { spawnSync } from 'child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'fs';
import { join } from 'path';
import { FLINK_KAFKA_SHADED_PACKAGE, FstoreConfig, kafkaJaasLogin } from '@fstore/config';
import { flinkClientTls, JobManagerClient, SqlGatewayClient } from '@fstore/flink';
import { ProcessStatus, StackComponent, StackContext } from './component';
import {
  aptInstall,
  commandExists,
  download,
  MAVEN_REPOSITORY,
  ensureDir,
  run,
  runningPid,
  sleep,
  spawnDaemon,
  StackError,
  stopProcess,
  writeIfChanged,
} from './processes';
import { serviceUser, setOwnerAndMode, sharedWorkDir, shareWithServiceUser } from './service-user';
import { VERSIONS } from './versions';

export const FLINK_VERSION = VERSIONS.flink;
const KAFKA_CONNECTOR = `flink-sql-connector-kafka:${VERSIONS.flinkKafkaConnector}`;
const MAVEN_JARS = [
  { artifact: `org.apache.flink:flink-sql-gateway:${FLINK_VERSION}`, into: 'opt' },
  { artifact: `org.apache.flink:${KAFKA_CONNECTOR}`, into: 'lib' },
] as const;
const WHEELS = [`apache-flink==${FLINK_VERSION}`, `apache-flink-libraries==${FLINK_VERSION}`];

interface FlinkProcess {
  /** Process name: pid file, log, status row. */
  name: string;
  script: string;
  /** Main class of the JVM the script execs into. */
  mainClass: string;
}

const JOBMANAGER: FlinkProcess = {
  name: 'jobmanager',
  script: 'jobmanager.sh',
  mainClass: 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
};
const SQL_GATEWAY: FlinkProcess = {
  name: 'sql-gateway',
  script: 'sql-gateway.sh',
  mainClass: 'org.apache.flink.table.gateway.SqlGateway',
};

/** The name of the n-th TaskManager (from 1): `taskmanager`, `taskmanager-2`, … */
export function taskManagerName(n: number): string {
  return n === 1 ? 'taskmanager' : `taskmanager-${n}`;
}

/** The FSTORE_FLINK_TASKMANAGERS TaskManager processes: `taskmanager`, `taskmanager-2`, … */
export function flinkTaskManagers(config: Pick<FstoreConfig, 'flink'>): FlinkProcess[] {
  return Array.from({ length: config.flink.taskManagers }, (_, i) => ({
    name: taskManagerName(i + 1),
    script: 'taskmanager.sh',
    mainClass: 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
  }));
}

/**
 * The cluster's processes (FSTORE_FLINK_TASKMANAGERS TaskManagers). Start order = stop order
 * reversed. The TaskManagers share the configuration and Flink's own folders: their RPC and data
 * ports are random, each gets a resource id of its own, and flink-console.sh numbers their log
 * files (`flink-<user>-taskexecutor-<n>-<host>.log`) by the pids already in its pid file.
 */
export function flinkProcesses(config: Pick<FstoreConfig, 'flink'>): FlinkProcess[] {
  return [JOBMANAGER, ...flinkTaskManagers(config), SQL_GATEWAY];
}

/** Where one Flink distribution (bin, conf, lib, opt, plugins) is assembled, in the cache. */
export function flinkCacheDir(ctx: StackContext): string {
  return join(ctx.config.cacheDir, `flink-${FLINK_VERSION}`);
}

export function flinkHome(ctx: StackContext): string {
  return join(flinkCacheDir(ctx), 'home');
}

/** The stack's Flink folders: configuration, logs, pids, temp files, checkpoints, savepoints. */
export function flinkDirs(ctx: StackContext) {
  const root = ctx.paths.data('flink');
  return {
    root,
    conf: join(root, 'conf'),
    log: join(root, 'log'),
    pid: join(root, 'pid'),
    tmp: join(root, 'tmp'),
    // The control plane restores a vanished job from here (`recover`): one setting for both.
    checkpoints: ctx.config.flink.checkpointDir,
    savepoints: join(root, 'savepoints'),
  };
}

/** Where the stack keeps the key material of Flink's REST mutual TLS (mode 600 files). */
export function flinkTlsDir(ctx: Pick<StackContext, 'config'>): string {
  return join(ctx.config.stackDir, 'tls', 'flink');
}

/**
 * The folder of compiled plans (FSTORE_FLINK_PLAN_DIR, FlinkJobs): the SQL Gateway writes each
 * compiled plan into it and reads the executed one that whoever submits writes: the control plane
 * as the service user, or a test or benchmark run by root. So it is the service user's, with the
 * set-group-id bit: a plan root writes (mode 640) belongs to the service user's group, which the
 * gateway reads it through. Made before the first submission, which would otherwise make it
 * root's. A no-op for a non-root invoker (everything runs as the invoker).
 */
export function shareCompiledPlans(ctx: Pick<StackContext, 'config'>): void {
  const user = serviceUser();
  if (!user) return;
  setOwnerAndMode(ensureDir(ctx.config.flink.planDir), user.uid, user.gid, 0o2770);
}

/** A PKCS12 keystore and truststore of Flink, and their password. */
export interface FlinkTlsStores {
  keystore: string;
  truststore: string;
  password: string;
}

/**
 * Flink's two TLS identities, each a self-signed certificate its truststore holds alone:
 * - `rest`: the JobManager's REST API and the SQL Gateway (which builds its endpoint from the same
 *   configuration, and talks to the JobManager as a REST client with the same keystore) speak
 *   TLS and refuse a client without a certificate of the truststore
 *   (security.ssl.rest.authentication-enabled). The stack's clients and the control plane hold
 *   its key (issue 20, finding 2).
 * - `internal`: RPC between the JobManager, the TaskManager and the SQL Gateway's client, the blob
 *   server, and the TaskManagers' data exchange. Flink's internal TLS is always mutual (and skips
 *   host names), so a process on the host without this key can neither ask the JobManager over
 *   RPC nor fetch or upload blobs. Only the Flink JVMs read this key: a REST client's key does not
 *   open the internal ports, nor the other way round.
 */
export type FlinkTls = Record<'rest' | 'internal', FlinkTlsStores>;

/** The SSL options of both identities (flat keys of config.yaml). */
export function flinkSslOptions(tls: FlinkTls): Record<string, string> {
  const stores = (purpose: keyof FlinkTls) => {
    const t = tls[purpose];
    return {
      [`security.ssl.${purpose}.enabled`]: 'true',
      ...(purpose === 'rest' ? { 'security.ssl.rest.authentication-enabled': 'true' } : {}),
      [`security.ssl.${purpose}.keystore`]: t.keystore,
      [`security.ssl.${purpose}.keystore-type`]: 'PKCS12',
      [`security.ssl.${purpose}.keystore-password`]: t.password,
      [`security.ssl.${purpose}.key-password`]: t.password,
      [`security.ssl.${purpose}.truststore`]: t.truststore,
      [`security.ssl.${purpose}.truststore-type`]: 'PKCS12',
      [`security.ssl.${purpose}.truststore-password`]: t.password,
    };
  };
  return { ...stores('rest'), ...stores('internal') };
}

/** The key stores ensureFlinkTls makes in `dir`, by name, and their password. */
export function flinkTlsStores(dir: string, password: string): FlinkTls {
  const stores = (purpose: keyof FlinkTls): FlinkTlsStores => ({
    keystore: join(dir, `${purpose}.keystore.p12`),
    truststore: join(dir, `${purpose}.truststore.p12`),
    password,
  });
  return { rest: stores('rest'), internal: stores('internal') };
}

/** Flink's key stores (made by ensureFlinkTls) and their password. */
export function flinkTlsFiles(ctx: Pick<StackContext, 'config'>): FlinkTls {
  const password = ctx.config.localStack.flinkTlsStorePassword;
  if (!password) throw new StackError('flink: FSTORE_FLINK_TLS_STORE_PASSWORD is not set');
  return flinkTlsStores(flinkTlsDir(ctx), password);
}

/**
 * The key material of Flink's TLS, made once per stack: for each identity (FlinkTls) a
 * self-signed certificate (RSA 2048, ten years) and its key in PEM, and a PKCS12 keystore and
 * truststore for Flink, rewritten at each start from the PEM files with
 * FSTORE_FLINK_TLS_STORE_PASSWORD (never on a command line: openssl and keytool read it from the
 * environment). The REST certificate's names are those of the REST and gateway URLs, so that the
 * Node clients (FSTORE_FLINK_TLS_CA/CERT/KEY default to its PEM files) can check them. Every file
 * mode 600.
 */
export function ensureFlinkTls(ctx: Pick<StackContext, 'config' | 'log'>): FlinkTls {
  const { flink } = ctx.config;
  for (const url of [flink.restUrl, flink.gatewayUrl]) {
    if (!url.startsWith('https:')) {
      throw new StackError(
        `flink: the local Flink serves its REST API and SQL Gateway with mutual TLS only; ${url} is not https`,
      );
    }
  }
  const dir = ensureDir(flinkTlsDir(ctx));
  chmodSync(dir, 0o700);
  const names = new Set(['IP:127.0.0.1', 'DNS:localhost']);
  for (const url of [flink.restUrl, flink.gatewayUrl]) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    names.add(/^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`);
  }
  const tls = flinkTlsFiles(ctx);
  ensureIdentity(ctx, dir, 'rest', [...names].join(','), tls.rest);
  // Internal TLS does not check host names: the certificate names only the host.
  ensureIdentity(ctx, dir, 'internal', `IP:127.0.0.1,DNS:localhost`, tls.internal);
  // The Flink JVMs and the control plane read them as the service user (root's CLI keeps them).
  shareWithServiceUser(dir);
  return tls;
}

/** One identity's PEM files (made when missing or when its names changed) and key stores. */
function ensureIdentity(
  ctx: Pick<StackContext, 'config' | 'log'>,
  dir: string,
  purpose: keyof FlinkTls,
  namesText: string,
  stores: FlinkTlsStores,
): void {
  const cert = join(dir, `${purpose}.crt`);
  const key = join(dir, `${purpose}.key`);
  // The certificate's names, beside it: a changed FSTORE_HOST or URL makes a new certificate
  // (the clients check the name they connect to).
  const namesFile = join(dir, `${purpose}.names`);
  const current = existsSync(namesFile) ? readFileSync(namesFile, 'utf8') : undefined;
  if (!existsSync(cert) || !existsSync(key) || current !== namesText) {
    ctx.log(`flink: generating the ${purpose} TLS key and certificate in ${dir}`);
    rmSync(`${key}.tmp`, { force: true });
    run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      `/CN=fstore-flink-${purpose}`,
      '-addext',
      `subjectAltName=${namesText}`,
      '-addext',
      'extendedKeyUsage=serverAuth,clientAuth',
      '-keyout',
      `${key}.tmp`,
      '-out',
      `${cert}.tmp`,
    ]);
    chmodSync(`${key}.tmp`, 0o600);
    chmodSync(`${cert}.tmp`, 0o600);
    renameSync(`${cert}.tmp`, cert);
    renameSync(`${key}.tmp`, key);
    writeFileSync(namesFile, namesText, { mode: 0o600 });
  }
  const { keystore, truststore, password } = stores;
  const env = { ...process.env, FSTORE_TLS_STORE_PASSWORD: password };
  for (const f of [keystore, truststore]) rmSync(f, { force: true });
  run(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-name',
      `flink.${purpose}`,
      '-in',
      cert,
      '-inkey',
      key,
      '-out',
      keystore,
      '-passout',
      'env:FSTORE_TLS_STORE_PASSWORD',
    ],
    { env },
  );
  run(
    join(ctx.config.flink.javaHome, 'bin', 'keytool'),
    [
      '-importcert',
      '-noprompt',
      '-alias',
      `flink.${purpose}`,
      '-file',
      cert,
      '-keystore',
      truststore,
      '-storetype',
      'PKCS12',
      '-storepass:env',
      'FSTORE_TLS_STORE_PASSWORD',
    ],
    { env },
  );
  for (const f of [keystore, truststore]) chmodSync(f, 0o600);
}

/**
 * The JAAS file of the Flink JVMs: their Kafka clients (the connector's shaded client, hence the
 * login module's package) log in as `flink` (libs/config/src/kafka-acl.ts). Mode 600.
 */
export function flinkKafkaJaas(config: Pick<FstoreConfig, 'kafka'>): string {
  const password = config.kafka.passwords.flink;
  if (!password) throw new StackError('flink: FSTORE_KAFKA_FLINK_PASSWORD is not set');
  return `KafkaClient {\n  ${kafkaJaasLogin('flink', password, FLINK_KAFKA_SHADED_PACKAGE)}\n};\n`;
}

/** The JDK 17 module flags (`env.java.opts.all`) of Flink's stock config.yaml, verbatim. */
export function stockJavaOpts(stockConfigYaml: string): string {
  return /^\s+all:\s*(--add-.*)$/m.exec(stockConfigYaml)?.[1] ?? '';
}

/**
 * The state and memory options the local config.yaml and the Kubernetes FlinkDeployment both
 * carry (k8s/k8s.spec.ts compares them), as flat Flink keys.
 */
export function flinkStateOptions(config: Pick<FstoreConfig, 'flink'>): Record<string, string> {
  const f = config.flink;
  return {
    'state.backend.type': f.stateBackend,
    'execution.checkpointing.incremental': String(f.incrementalCheckpoints),
    'taskmanager.memory.managed.fraction': String(f.managedMemoryFraction),
    'taskmanager.jvm-exit-on-oom': 'true',
    // The dedupe of every event_id (7 days of keys, each lookup a miss) stalled for seconds at
    // 5,000 events/s: its task thread, in RocksDB.get, went from ~0.1 to ~0.25 cores in rounds as
    // the state grew. Bloom filters let a miss skip SST files; partitioned index and filter
    // blocks keep only their top level in the cache and load the small partitions a lookup needs.
    // Bloom filters alone did not help; with both the thread stayed at 0.05-0.06 cores in 14 of
    // 14 rounds (docs/benchmarks.md, "What a stalled round spends"). The hashmap backend ignores
    // both.
    'state.backend.rocksdb.use-bloom-filter': 'true',
    'state.backend.rocksdb.memory.partitioned-index-filters': 'true',
    ...(f.jvmOpts
      ? { 'env.java.opts.jobmanager': f.jvmOpts, 'env.java.opts.taskmanager': f.jvmOpts }
      : {}),
  };
}

/**
 * The REST options the local config.yaml and the Kubernetes FlinkDeployment both carry (issue 20,
 * findings 2 and 3): no jar upload or run through the REST API (jobs come as SQL through the
 * gateway), and answers readable by the Flink web UI's own origin only, never `*`: a page of
 * another origin cannot read what the JobManager or the SQL Gateway (same options) answers.
 */
export function flinkWebOptions(config: Pick<FstoreConfig, 'flink'>): Record<string, string> {
  return {
    'web.submit.enable': 'false',
    'web.access-control-allow-origin': new URL(config.flink.restUrl).origin,
  };
}

/**
 * The session cluster's config.yaml (JobManager, TaskManager and SQL Gateway read the same file),
 * from the settings. State: RocksDB (keyed state on local disk, off the heap, its caches in the
 * TaskManager's managed memory) with incremental checkpoints; every JVM exits when it runs out of
 * memory (and the TaskManager also on an OutOfMemoryError in a task thread, direct memory
 * included) rather than limping on, and the supervisor restarts it.
 */
export function flinkConfigYaml(
  config: Pick<FstoreConfig, 'host' | 'flink' | 'monitoring'>,
  dirs: Pick<ReturnType<typeof flinkDirs>, 'tmp' | 'checkpoints' | 'savepoints'>,
  javaModuleOpts: string,
  kafkaJaasFile?: string,
  tls?: FlinkTls,
): string {
  const { host } = config;
  const f = config.flink;
  const state = flinkStateOptions(config);
  const jvm = (...opts: string[]) => opts.filter(Boolean).join(' ');
  // Every Flink JVM's Kafka clients log in as the user `flink` from this JAAS file (its
  // KafkaClient entry), so that no password is ever in a job's SQL text.
  const jaas = kafkaJaasFile ? ` -Djava.security.auth.login.config=${kafkaJaasFile}` : '';
  const optsLine = (key: string, value: string) => (value ? `\n      ${key}: ${value}` : '');
  return `# Generated by fstore stack (apps/cli/src/stack/flink.ts) from the fstore settings: edit those.
env:
  java:
    opts:
      all: ${javaModuleOpts}${jaas}${optsLine('jobmanager', jvm(f.jvmOpts))}${optsLine('taskmanager', jvm(f.jvmOpts))}
      sql-gateway: ${jvm(`-Xmx${f.gatewayHeap}`, f.jvmOpts)}
jobmanager:
  bind-host: ${host}
  rpc:
    address: ${host}
    port: ${f.rpcPort}
  memory:
    process:
      size: ${f.jobManagerMemory}
  execution:
    failover-strategy: region
taskmanager:
  bind-host: ${host}
  host: ${host}
  numberOfTaskSlots: ${f.taskSlots}
  jvm-exit-on-oom: true
  memory:
    process:
      size: ${f.taskManagerMemory}
    managed:
      fraction: ${f.managedMemoryFraction}
  # Several TaskManagers: a job's slots are spread over them, not packed into the first one.
  load-balance:
    mode: SLOTS
cluster:
  registration:
    # The TaskManager retries every 10 s by default when the JobManager is not up yet.
    error-delay: 1 s
parallelism:
  default: ${f.parallelism}
rest:
  address: ${host}
  bind-address: ${host}
  port: ${f.restPort}
web:
  submit:
    enable: ${flinkWebOptions(config)['web.submit.enable']}
  access-control-allow-origin: ${flinkWebOptions(config)['web.access-control-allow-origin']}
blob:
  server:
    port: ${f.blobPort}
io:
  tmp:
    dirs: ${dirs.tmp}
state:
  backend:
    type: ${f.stateBackend}
    rocksdb:
      use-bloom-filter: ${state['state.backend.rocksdb.use-bloom-filter']}
      memory:
        partitioned-index-filters: ${state['state.backend.rocksdb.memory.partitioned-index-filters']}
execution:
  checkpointing:
    interval: ${f.checkpointInterval}
    incremental: ${f.incrementalCheckpoints}
    dir: file://${dirs.checkpoints}
    savepoint-dir: file://${dirs.savepoints}
    externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
sql-gateway:
  endpoint:
    rest:
      address: ${host}
      bind-address: ${host}
      port: ${f.gatewayPort}
${tls ? sslYaml(tls) : ''}# Metrics go to the stack's Pushgateway, which Prometheus scrapes: Flink's scrape reporter would
# listen on every interface (it has no bind address), the push reporter only connects out.
metrics:
  reporter:
    promgateway:
      factory:
        class: org.apache.flink.metrics.prometheus.PrometheusPushGatewayReporterFactory
      hostUrl: http://${host}:${config.monitoring.pushgatewayPort}
      jobName: fstore-flink
      randomJobNameSuffix: true
      deleteOnShutdown: true
      interval: 15 SECONDS
`;
}

/**
 * Log4j lines appended to every stock `log4j*.properties` (as properties, so that Log4j 2 merges
 * them with the stock loggers). Each drops or thins one known WARN that would otherwise fill the
 * logs; any other message of those loggers still goes through.
 *
 * - `pendingCommittables`: Flink 2.2's sink committer registers its `pendingCommittables` gauge
 *   again at every commit (FLINK-35321, open; apache/flink#27598 fixes it), and the metric group
 *   warns each time: one WARN per changelog sink per checkpoint, nine every 10 s with today's
 *   definitions (10,413 lines in 13 hours of the stack's TaskManager log, 2026-12-04, benchmarks
 *   included). The metric keeps its first gauge either way. Remove this filter with the Flink
 *   release that carries the fix.
 *   The Kubernetes FlinkDeployment's `logConfiguration` carries it too (k8s/k8s.spec.ts).
 */
export const FLINK_METRIC_COLLISION_FILTER = `# FLINK-35321: the sink committer re-registers its pendingCommittables gauge at every commit.
logger.fstore_metric_group.name = org.apache.flink.metrics.MetricGroup
logger.fstore_metric_group.level = \${env:ROOT_LOG_LEVEL:-INFO}
logger.fstore_metric_group.filter.pending.type = RegexFilter
logger.fstore_metric_group.filter.pending.regex = .*'pendingCommittables'.*
logger.fstore_metric_group.filter.pending.onMatch = DENY
logger.fstore_metric_group.filter.pending.onMismatch = NEUTRAL
`;

/**
 * The local stack's Pushgateway reporter (config.yaml, below) warns with a stack trace at every
 * failed push, every 15 s while `monitoring` is down (27 lines each; 1,318 of them in the same
 * 13 hours): at most one such warning per 5 minutes, so a missing Pushgateway is still told.
 * Kubernetes uses the scrape reporter, which pushes nothing.
 */
export const FLINK_PUSHGATEWAY_FAILURE_FILTER = `# A failed push to the Pushgateway (monitoring down): at most one warning per 5 minutes.
logger.fstore_pushgateway.name = org.apache.flink.metrics.prometheus.PrometheusPushGatewayReporter
logger.fstore_pushgateway.level = \${env:ROOT_LOG_LEVEL:-INFO}
logger.fstore_pushgateway.filter.burst.type = BurstFilter
logger.fstore_pushgateway.filter.burst.level = WARN
logger.fstore_pushgateway.filter.burst.rate = 0.0033
logger.fstore_pushgateway.filter.burst.maxBurst = 1
`;

/** A stock `log4j*.properties` of Flink with the stack's filters appended. */
export function flinkLog4jProperties(stock: string): string {
  return `${stock.trimEnd()}\n\n${FLINK_METRIC_COLLISION_FILTER}\n${FLINK_PUSHGATEWAY_FAILURE_FILTER}`;
}

/** flinkSslOptions as config.yaml lines (flat keys: Flink 2 reads them beside nested ones). */
function sslYaml(tls: FlinkTls): string {
  const lines = Object.entries(flinkSslOptions(tls)).map(([k, v]) => `${k}: ${v}`);
  return `# Mutual TLS of the REST API and the SQL Gateway, and of RPC, blobs and data exchange\n# (passwords: this file is mode 600).\n${lines.join('\n')}\n`;
}

function quickClients(ctx: StackContext) {
  const http = { timeoutMs: 3000, retries: 0, backoffMs: 0 };
  const tls = () => flinkClientTls(ctx.config);
  return {
    jobManager: new JobManagerClient(ctx.config.flink.restUrl, http, tls),
    gateway: new SqlGatewayClient(ctx.config.flink.gatewayUrl, http, tls),
  };
}

/**
 * A Flink session cluster (one JobManager, FSTORE_FLINK_TASKMANAGERS TaskManagers) and the SQL
 * Gateway in front of it.
 * Flink comes from PyPI (apache-flink + apache-flink-libraries carry bin/, conf/, lib/), plus the
 * SQL Gateway and Kafka SQL connector jars from Maven Central.
 */
export class FlinkComponent implements StackComponent {
  readonly name = 'flink';
  readonly dependsOn = ['kafka'] as const;

  processNames(ctx: Pick<StackContext, 'config'>): string[] {
    return flinkProcesses(ctx.config).map((p) => p.name);
  }

  async install(ctx: StackContext): Promise<void> {
    this.checkJava(ctx);
    const home = flinkHome(ctx);
    if (existsSync(join(home, '.complete'))) return;
    const cache = flinkCacheDir(ctx);
    const pipDir = ensureDir(join(cache, 'pip'));
    const site = join(cache, 'site');
    const mavenDir = ensureDir(join(cache, 'maven'));

    const wheels = () => readdirSync(pipDir).filter((f) => f.endsWith('.whl'));
    const hasWheel = (prefix: string) =>
      wheels().some((f) => f.startsWith(`${prefix}-${FLINK_VERSION}-`));
    if (!hasWheel('apache_flink') || !hasWheel('apache_flink_libraries')) {
      await this.ensurePip(ctx);
      await download(
        {
          what: `flink: ${WHEELS.join(' ')} from PyPI into ${pipDir}`,
          size: '~315 MB, a few minutes',
          log: ctx.log,
          into: [pipDir],
        },
        'python3',
        ['-m', 'pip', 'download', '-q', '--no-deps', ...WHEELS, '-d', pipDir],
      );
    }
    if (!existsSync(join(site, 'pyflink', 'lib', `flink-dist-${FLINK_VERSION}.jar`))) {
      await this.ensurePip(ctx);
      ctx.log(`flink: unpacking the wheels into ${site}`);
      rmSync(site, { recursive: true, force: true });
      const files = wheels()
        .filter((f) => f.startsWith('apache_flink'))
        .map((f) => join(pipDir, f));
      run('python3', [
        '-m',
        'pip',
        'install',
        '-q',
        '--no-deps',
        '--no-index',
        '--target',
        site,
        ...files,
      ]);
    }
    for (const { artifact } of MAVEN_JARS) {
      const [, artifactId, version] = artifact.split(':');
      if (existsSync(join(mavenDir, `${artifactId}-${version}.jar`))) continue;
      await download(
        {
          what: `flink: ${artifact} from Maven Central`,
          size: artifactId.includes('kafka') ? '~11 MB' : '~1 MB',
          log: ctx.log,
          into: [MAVEN_REPOSITORY],
        },
        'mvn',
        ['-q', '-B', 'dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${mavenDir}`],
      );
    }

    ctx.log(`flink: assembling Flink ${FLINK_VERSION} in ${home}`);
    const staging = `${home}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    for (const dir of ['bin', 'conf', 'lib', 'opt', 'plugins']) {
      cpSync(join(site, 'pyflink', dir), join(staging, dir), { recursive: true });
    }
    for (const { artifact, into } of MAVEN_JARS) {
      const [, artifactId, version] = artifact.split(':');
      const jar = `${artifactId}-${version}.jar`;
      copyFileSync(join(mavenDir, jar), join(staging, into, jar));
    }
    for (const script of readdirSync(join(staging, 'bin'))) {
      if (script.endsWith('.sh')) chmodSync(join(staging, 'bin', script), 0o755);
    }
    writeFileSync(join(staging, '.complete'), new Date().toISOString());
    rmSync(home, { recursive: true, force: true });
    renameSync(staging, home);
  }

  private checkJava(ctx: StackContext): void {
    const java = join(ctx.config.flink.javaHome, 'bin', 'java');
    const res = spawnSync(java, ['-version'], { encoding: 'utf8' });
    const version = `${res.stderr ?? ''}${res.stdout ?? ''}`;
    if (!/version "17[."]/.test(version)) {
      throw new StackError(
        `flink: FSTORE_FLINK_JAVA_HOME=${ctx.config.flink.javaHome} is not a Java 17 (Flink ${FLINK_VERSION} needs 17): ${version.split('\n')[0] || `no ${java}`}`,
      );
    }
  }

  private async ensurePip(ctx: StackContext): Promise<void> {
    if (!commandExists('python3')) await aptInstall(['python3', 'python3-pip'], ctx.log);
    try {
      run('python3', ['-m', 'pip', '--version']);
    } catch {
      await aptInstall(['python3-pip'], ctx.log);
    }
  }

  /**
   * Writes the stock log configuration (Log4j's with FLINK_METRIC_COLLISION_FILTER and
   * FLINK_PUSHGATEWAY_FAILURE_FILTER appended) and the cluster's config.yaml into the stack dir. The
   * config.yaml is rewritten only for a start of the whole cluster: a process restarted beside
   * running ones (the supervisor's, or `stack up` after a crash) gets the configuration they were
   * started with, so that the cluster's processes agree; changed settings take effect on
   * `stack down flink` + `stack up flink`.
   */
  private writeConfig(ctx: StackContext, wholeCluster: boolean): ReturnType<typeof flinkDirs> {
    const dirs = flinkDirs(ctx);
    for (const dir of Object.values(dirs)) ensureDir(dir);
    const stockConf = join(flinkHome(ctx), 'conf');
    for (const file of readdirSync(stockConf)) {
      const stockText = () => readFileSync(join(stockConf, file), 'utf8');
      if (/^log4j.*\.properties$/.test(file)) {
        writeIfChanged(join(dirs.conf, file), flinkLog4jProperties(stockText()));
      } else if (/^logback.*\.xml$/.test(file)) {
        writeIfChanged(join(dirs.conf, file), stockText());
      }
    }
    const jaasFile = join(dirs.conf, 'kafka-client.jaas');
    writeIfChanged(jaasFile, flinkKafkaJaas(ctx.config), 0o600);
    const stock = readFileSync(join(stockConf, 'config.yaml'), 'utf8');
    const file = join(dirs.conf, 'config.yaml');
    // The key stores are rewritten only with the configuration: running processes keep theirs.
    const whole = wholeCluster || !existsSync(file);
    const tls = whole ? ensureFlinkTls(ctx) : flinkTlsFiles(ctx);
    const yaml = flinkConfigYaml(ctx.config, dirs, stockJavaOpts(stock), jaasFile, tls);
    if (whole) {
      writeIfChanged(file, yaml, 0o600);
    } else if (readFileSync(file, 'utf8') !== yaml) {
      ctx.log(
        'flink: the settings changed since the running Flink processes started; the restarted one keeps their configuration (`fstore stack down flink` + `stack up flink` applies the new one)',
      );
    }
    return dirs;
  }

  async start(ctx: StackContext): Promise<number> {
    const processes = flinkProcesses(ctx.config);
    const missing = processes.filter((p) => runningPid(ctx.paths, p.name) === undefined);
    if (missing.length === 0) return 0;
    const dirs = this.writeConfig(ctx, missing.length === processes.length);
    const home = flinkHome(ctx);
    // The configuration root's, read by the processes (service-user.ts); the rest (logs, pid
    // files, temp files and RocksDB, checkpoints and savepoints) theirs; the folder they start
    // in, shared.
    shareWithServiceUser(dirs.conf);
    sharedWorkDir(dirs.root, ['conf']);
    shareCompiledPlans(ctx);
    const env = {
      ...process.env,
      JAVA_HOME: ctx.config.flink.javaHome,
      FLINK_HOME: home,
      FLINK_CONF_DIR: dirs.conf,
      FLINK_LOG_DIR: dirs.log,
      FLINK_PID_DIR: dirs.pid,
    };
    for (const p of missing) {
      const script = join(home, 'bin', p.script);
      // The script execs flink-console.sh, which execs the JVM (same pid): the process is
      // recognized by a script of this Flink's bin/ or by its main class.
      spawnDaemon(ctx.paths, {
        name: p.name,
        command: script,
        args: ['start-foreground'],
        env,
        cwd: dirs.root,
        match: [`${join(home, 'bin')}/`, p.mainClass],
      });
    }
    return missing.length;
  }

  async ready(ctx: StackContext): Promise<void> {
    const { jobManager, gateway } = quickClients(ctx);
    const processes = flinkProcesses(ctx.config);
    const { taskManagers } = ctx.config.flink;
    const slots = taskManagers * ctx.config.flink.taskSlots;
    const deadline = Date.now() + 180000;
    let last = 'not checked yet';
    for (;;) {
      // A process that died (a port in use, a bad setting) will not come back: say so at once.
      for (const p of processes) {
        if (runningPid(ctx.paths, p.name) === undefined) {
          throw new StackError(
            `flink ${p.name} is not running; see its log: ${ctx.paths.logFile(p.name)}`,
          );
        }
      }
      try {
        const o = await jobManager.overview();
        if (o.taskmanagers < taskManagers || o['slots-total'] < slots) {
          throw new Error(
            `${o.taskmanagers} TaskManager(s), ${o['slots-total']} slots (want ${taskManagers}, ≥${slots} slots)`,
          );
        }
        await gateway.info();
        return;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) {
        throw new StackError(
          `flink did not become healthy within 180s (${last}); see its logs: ${processes.map((p) => ctx.paths.logFile(p.name)).join(', ')}`,
        );
      }
      await sleep(500);
    }
  }

  async status(ctx: StackContext): Promise<ProcessStatus[]> {
    const { jobManager, gateway } = quickClients(ctx);
    const f = ctx.config.flink;
    const [overview, info] = await Promise.all([
      jobManager.overview().then(
        (o) => ({ ok: true as const, o }),
        (e: Error) => ({ ok: false as const, error: e.message }),
      ),
      gateway.info().then(
        () => ({ ok: true as const }),
        (e: Error) => ({ ok: false as const, error: e.message }),
      ),
    ]);
    const row = (
      p: FlinkProcess,
      address: string,
      check: () => string | undefined,
    ): ProcessStatus => {
      const pid = runningPid(ctx.paths, p.name);
      const problem = pid === undefined ? 'not running' : check();
      return {
        component: this.name,
        process: p.name,
        pid,
        address,
        healthy: !problem,
        detail: problem,
      };
    };
    const taskManagers = flinkTaskManagers(ctx.config);
    // The overview counts TaskManagers, it does not name them: each row says whether all of
    // them have registered with all their slots.
    const registered = () => {
      if (!overview.ok) return overview.error;
      const o = overview.o;
      const want = taskManagers.length;
      if (o.taskmanagers < want) return `${o.taskmanagers} of ${want} TaskManager(s) registered`;
      if (o['slots-total'] < want * f.taskSlots) return `${o['slots-total']} slots in all`;
      return undefined;
    };
    return [
      row(JOBMANAGER, `${f.restUrl} (web UI)`, () => (overview.ok ? undefined : overview.error)),
      ...taskManagers.map((tm) => row(tm, `${ctx.config.host}, ${f.taskSlots} slots`, registered)),
      row(SQL_GATEWAY, f.gatewayUrl, () => (info.ok ? undefined : info.error)),
    ];
  }

  /**
   * Stops the processes in reverse start order, TaskManagers from the last; also one started
   * under a larger FSTORE_FLINK_TASKMANAGERS than today's (its pid file is left).
   */
  async stop(ctx: StackContext): Promise<void> {
    const names = flinkProcesses(ctx.config).map((p) => p.name);
    const extra = existsSync(ctx.paths.run)
      ? readdirSync(ctx.paths.run)
          .map((f) => /^(taskmanager-(\d+))\.pid$/.exec(f))
          .filter((m): m is RegExpExecArray => m !== null && !names.includes(m[1]))
          .sort((a, b) => Number(a[2]) - Number(b[2]))
          .map((m) => m[1])
      : [];
    names.splice(names.length - 1, 0, ...extra); // after the configured TaskManagers
    for (const name of names.reverse()) await stopProcess(ctx.paths, name, 'SIGTERM', 30000);
  }
}
