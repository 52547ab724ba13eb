import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Client } from 'pg';
import { PROJECT_ROOT } from '@fstore/config';
import { ProcessStatus, StackComponent, StackContext } from './component';
import { PostgresComponent } from './postgres';
import {
  download,
  mavenCopyDependencies,
  ensureDir,
  MAVEN_REPOSITORY,
  run,
  StackError,
  writeIfChanged,
} from './processes';
import {
  asServiceUser,
  ownByServiceUser,
  sharedWorkDir,
  shareWithServiceUser,
} from './service-user';
import { VERSIONS } from './versions';

export const SPARK_VERSION = VERSIONS.spark;
const POSTGRES_JDBC = `org.postgresql:postgresql:${VERSIONS.postgresJdbc}`;
/**
 * Spark's Kafka connector (org.apache.spark:spark-sql-kafka-0-10_2.12, stack/spark/pom.xml).
 * Maven Central carries it for the 3.5 line only up to 3.5.7 (no 3.5.8 or 3.5.9): patch releases
 * of one line share the data source API, and the medium tests run it on Spark 3.5.9. When
 * 3.5.9 reaches Central, set it to SPARK_VERSION.
 */
export const SPARK_KAFKA_VERSION = VERSIONS.sparkKafka;
const REQUIREMENTS = 'requirements-dev.txt';

/** The unique keys of Hive 2.3's PostgreSQL schema that concurrent writers depend on. */
const METASTORE_UNIQUE_KEYS = [
  { name: 'UNIQUE_DATABASE', table: 'DBS', columns: ['NAME'] },
  { name: 'UNIQUETABLE', table: 'TBLS', columns: ['TBL_NAME', 'DB_ID'] },
  { name: 'UNIQUEPARTITION', table: 'PARTITIONS', columns: ['PART_NAME', 'TBL_ID'] },
  { name: 'UNIQUEFUNCTION', table: 'FUNCS', columns: ['FUNC_NAME', 'DB_ID'] },
  { name: 'ROLEENTITYINDEX', table: 'ROLES', columns: ['ROLE_NAME'] },
] as const;

/** The project's Python virtual environment: ruff, pytest and pyspark (requirements-dev.txt). */
export function projectVenv() {
  const root = join(PROJECT_ROOT, '.venv');
  return { root, python: join(root, 'bin', 'python'), stamp: join(root, '.fstore-requirements') };
}

/** SPARK_HOME: pyspark's package folder carries bin/spark-submit and jars/. */
export function sparkHome(): string {
  const lib = join(projectVenv().root, 'lib');
  const python = existsSync(lib)
    ? readdirSync(lib).find((d) => d.startsWith('python3'))
    : undefined;
  return join(lib, python ?? 'python3', 'site-packages', 'pyspark');
}

/** The stack's Spark folders: generated configuration and the Hive warehouse. */
export function sparkDirs(ctx: StackContext) {
  return {
    conf: join(ctx.paths.data('spark'), 'conf'),
    warehouse: ctx.paths.data('warehouse'),
    localTmp: join(ctx.paths.data('spark'), 'tmp'),
  };
}

function jdbcJar(ctx: StackContext): string {
  const [, artifactId, version] = POSTGRES_JDBC.split(':');
  return join(ctx.config.cacheDir, 'jars', `${artifactId}-${version}.jar`);
}

function kafkaConnectorDir(ctx: StackContext): string {
  return join(ctx.config.cacheDir, `spark-kafka-${SPARK_KAFKA_VERSION}`, 'jars');
}

/** The Kafka connector's jars (empty until `fstore stack up spark` fetched them). */
export function sparkKafkaJars(ctx: StackContext): string[] {
  const dir = kafkaConnectorDir(ctx);
  if (!existsSync(join(dir, '.complete'))) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jar'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Spark's folders for the service user, as whom Livy's batches and every other Spark process of
 * the stack run (service-user.ts): the configuration (with the metastore's password) root's, read
 * by them; the warehouse and local temp folder theirs; the folder they start in, shared.
 */
export function ownSparkDirs(ctx: StackContext): void {
  const dirs = sparkDirs(ctx);
  shareWithServiceUser(dirs.conf);
  ownByServiceUser(dirs.warehouse);
  ownByServiceUser(dirs.localTmp);
  sharedWorkDir(ctx.paths.data('spark'), ['conf']);
}

/**
 * The spawn options of a Spark process of the stack (spark-submit directly, not through Livy):
 * sparkEnv, as the service user when root runs it, so that what it writes in the warehouse is
 * the batches' as well.
 */
export function sparkProcessOptions(ctx: StackContext): {
  uid?: number;
  gid?: number;
  env: NodeJS.ProcessEnv;
  cwd: string;
} {
  // In a folder of Spark's: the invoker's may be one the service user cannot write.
  const cwd = ensureDir(ctx.paths.data('spark'));
  return { ...asServiceUser(ctx.paths.root, { ...process.env, ...sparkEnv(ctx) }), cwd };
}

/**
 * The environment every local Spark process needs (spark-submit directly, or Livy's): the
 * pyspark SPARK_HOME, the generated SPARK_CONF_DIR (Hive metastore in PostgreSQL, warehouse,
 * loopback), Java, the venv's Python for the driver and executors.
 */
export function sparkEnv(ctx: StackContext): Record<string, string> {
  return {
    SPARK_HOME: sparkHome(),
    SPARK_CONF_DIR: sparkDirs(ctx).conf,
    JAVA_HOME: ctx.config.spark.javaHome,
    PYSPARK_PYTHON: projectVenv().python,
    PYSPARK_DRIVER_PYTHON: projectVenv().python,
    SPARK_LOCAL_IP: ctx.config.host,
    SPARK_LOCAL_DIRS: sparkDirs(ctx).localTmp,
  };
}

/**
 * Spark 3.5 with Hive support, no long-running process: pyspark from PyPI in the project's venv,
 * the PostgreSQL JDBC driver from Maven Central, a Hive metastore (schema created by DataNucleus
 * on first use) in its own PostgreSQL database, and the warehouse under <stack>/data/warehouse.
 * Every Spark process (spark-submit, Livy's batches) reads the generated spark-defaults.conf, so
 * they all share the same tables.
 */
export class SparkComponent implements StackComponent {
  readonly name = 'spark';
  readonly dependsOn = ['postgres'] as const;

  processNames(): string[] {
    return [];
  }

  async install(ctx: StackContext): Promise<void> {
    const venv = projectVenv();
    const requirements = readFileSync(join(PROJECT_ROOT, REQUIREMENTS), 'utf8');
    const digest = createHash('sha256').update(requirements).digest('hex');
    const current = existsSync(venv.stamp) ? readFileSync(venv.stamp, 'utf8').trim() : '';
    if (current !== digest || !existsSync(join(sparkHome(), 'bin', 'spark-submit'))) {
      if (!existsSync(venv.python)) {
        ctx.log(`spark: creating the project's Python venv in ${venv.root}`);
        run('python3', ['-m', 'venv', venv.root]);
      }
      await download(
        {
          what: `spark: ${REQUIREMENTS} (pyspark ${SPARK_VERSION}) from PyPI into ${venv.root}`,
          size: '~320 MB, a few minutes',
          log: ctx.log,
          into: [venv.root],
        },
        venv.python,
        ['-m', 'pip', 'install', '-q', '-r', join(PROJECT_ROOT, REQUIREMENTS)],
      );
      writeFileSync(venv.stamp, digest + '\n');
    }
    const version = run(venv.python, ['-c', 'import pyspark; print(pyspark.__version__)']).trim();
    if (version !== SPARK_VERSION) {
      throw new StackError(`spark: the venv has pyspark ${version}, expected ${SPARK_VERSION}`);
    }
    await this.installKafkaConnector(ctx);
    if (!existsSync(jdbcJar(ctx))) {
      await download(
        {
          what: `spark: ${POSTGRES_JDBC} from Maven Central`,
          size: '~1 MB',
          log: ctx.log,
          into: [MAVEN_REPOSITORY],
        },
        'mvn',
        [
          '-q',
          '-B',
          'dependency:copy',
          `-Dartifact=${POSTGRES_JDBC}`,
          `-DoutputDirectory=${join(ctx.config.cacheDir, 'jars')}`,
        ],
      );
    }
  }

  /**
   * The `kafka` data source: the connector and the jars it needs beyond Spark's own
   * (stack/spark/pom.xml), copied once into the cache (a `.complete` marker makes it a no-op).
   */
  private async installKafkaConnector(ctx: StackContext): Promise<void> {
    const dir = kafkaConnectorDir(ctx);
    if (existsSync(join(dir, '.complete'))) return;
    const staging = `${dir}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    await mavenCopyDependencies(
      {
        what: `spark: the Kafka connector ${SPARK_KAFKA_VERSION} from Maven Central`,
        size: '~6 MB',
        log: ctx.log,
      },
      join(PROJECT_ROOT, 'stack', 'spark', 'pom.xml'),
      { 'spark.kafka.version': SPARK_KAFKA_VERSION },
      staging,
    );
    const connector = `spark-sql-kafka-0-10_2.12-${SPARK_KAFKA_VERSION}.jar`;
    if (!readdirSync(staging).includes(connector)) {
      throw new StackError(`spark: ${connector} is missing in ${staging}`);
    }
    writeFileSync(join(staging, '.complete'), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  }

  /** Writes <stack>/data/spark/conf/spark-defaults.conf from the settings. */
  writeConfig(ctx: StackContext): void {
    const dirs = sparkDirs(ctx);
    for (const dir of Object.values(dirs)) ensureDir(dir);
    const { host, kafka, postgres, spark } = ctx.config;
    const ms = spark.metastore;
    if (!ms.password) throw new StackError('spark: FSTORE_HIVE_METASTORE_PASSWORD is not set');
    const jar = jdbcJar(ctx);
    const kafkaJars = sparkKafkaJars(ctx);
    if (kafkaJars.length === 0) throw new StackError('spark: the Kafka connector is not installed');
    const conf: [string, string][] = [
      ['spark.master', spark.master],
      ['spark.driver.memory', spark.driverMemory],
      ['spark.driver.bindAddress', host],
      ['spark.driver.host', host],
      ['spark.ui.enabled', 'false'],
      // The driver's RPC and block-manager ports want the application's secret (Spark makes one
      // per application in local mode; executors run in the driver's JVM) and encrypt the
      // traffic: another process on the host can neither ask a running batch nor read its blocks.
      ['spark.authenticate', 'true'],
      ['spark.network.crypto.enabled', 'true'],
      ['spark.sql.catalogImplementation', 'hive'],
      ['spark.sql.warehouse.dir', `file://${dirs.warehouse}`],
      ['spark.sql.sources.partitionOverwriteMode', 'dynamic'],
      ['spark.sql.session.timeZone', 'UTC'],
      ['spark.sql.shuffle.partitions', '4'],
      ['spark.sql.hive.metastore.version', '2.3.9'],
      ['spark.sql.hive.metastore.jars', 'builtin'],
      ['spark.jars', [jar, ...kafkaJars].join(',')],
      ['spark.driver.extraClassPath', jar],
      ['spark.driver.extraJavaOptions', '-Duser.timezone=UTC'],
      [
        'spark.hadoop.javax.jdo.option.ConnectionURL',
        `jdbc:postgresql://${postgres.host}:${postgres.port}/${ms.database}`,
      ],
      ['spark.hadoop.javax.jdo.option.ConnectionDriverName', 'org.postgresql.Driver'],
      ['spark.hadoop.javax.jdo.option.ConnectionUserName', ms.user],
      ['spark.hadoop.javax.jdo.option.ConnectionPassword', ms.password],
      // autoCreateAll deadlocks on PostgreSQL (DataNucleus creates constraints concurrently):
      // create tables and columns lazily, without constraints, and skip the schema check.
      ['spark.hadoop.datanucleus.schema.autoCreateAll', 'false'],
      ['spark.hadoop.datanucleus.schema.autoCreateTables', 'true'],
      ['spark.hadoop.datanucleus.schema.autoCreateColumns', 'true'],
      ['spark.hadoop.datanucleus.schema.autoCreateConstraints', 'false'],
      ['spark.hadoop.hive.metastore.schema.verification', 'false'],
      // Not Spark's own: where the lake's jobs find Kafka (spark-jobs/ingest_kafka_to_lake.py).
      ['spark.fstore.kafka.brokers', kafka.brokers.join(',')],
    ];
    const width = Math.max(...conf.map(([k]) => k.length)) + 2;
    const text =
      `# Generated by fstore stack (apps/cli/src/stack/spark.ts) from the fstore settings: edit those.\n` +
      conf.map(([k, v]) => `${k.padEnd(width)}${v}`).join('\n') +
      '\n';
    // It holds the metastore's password: readable by the stack's user only.
    writeIfChanged(join(dirs.conf, 'spark-defaults.conf'), text, 0o600);
    const log4j = join(sparkHome(), 'conf', 'log4j2.properties.template');
    if (existsSync(log4j))
      writeIfChanged(join(dirs.conf, 'log4j2.properties'), readFileSync(log4j, 'utf8'));
    ownSparkDirs(ctx);
  }

  async start(ctx: StackContext): Promise<number> {
    this.writeConfig(ctx);
    return 0;
  }

  async ready(ctx: StackContext): Promise<void> {
    const ms = ctx.config.spark.metastore;
    if (!ms.password) throw new StackError('spark: FSTORE_HIVE_METASTORE_PASSWORD is not set');
    try {
      await this.metastoreSql(ctx, 'SELECT 1');
    } catch {
      ctx.log(`spark: creating the Hive metastore role and database "${ms.database}"`);
      await new PostgresComponent().ensureRoleAndDatabase(ctx, {
        role: ms.user,
        password: ms.password,
        database: ms.database,
      });
      await this.metastoreSql(ctx, 'SELECT 1');
    }
    await this.ensureMetastoreSchema(ctx);
  }

  /**
   * DataNucleus creates the metastore's tables on first use, but without Hive's unique keys
   * (creating constraints with them deadlocks on PostgreSQL), so two Spark processes creating the
   * same database at once would both succeed and corrupt it. Once: a probe run through Spark
   * creates the tables, then the unique keys of Hive's own PostgreSQL schema are added.
   */
  private async ensureMetastoreSchema(ctx: StackContext): Promise<void> {
    const keys = await this.metastoreSql(
      ctx,
      `SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = ANY($1)`,
      [METASTORE_UNIQUE_KEYS.map((k) => k.name)],
    );
    if ((keys[0] as { n: number }).n === METASTORE_UNIQUE_KEYS.length) return;
    const tables = await this.metastoreSql(ctx, `SELECT to_regclass('"DBS"') IS NOT NULL AS t`);
    if (!(tables[0] as { t: boolean }).t) {
      ctx.log('spark: first use of the Hive metastore: a probe Spark run creates its tables');
      this.probe(ctx);
    }
    for (const key of METASTORE_UNIQUE_KEYS) {
      const cols = key.columns.map((c) => `"${c}"`).join(', ');
      await this.metastoreSql(
        ctx,
        `CREATE UNIQUE INDEX IF NOT EXISTS "${key.name}" ON "${key.table}" (${cols})`,
      );
    }
  }

  /** spark-submit of stack/spark/metastore_probe.py: a real round trip through the metastore. */
  probe(ctx: StackContext): void {
    const script = join(PROJECT_ROOT, 'stack', 'spark', 'metastore_probe.py');
    const res = spawnSync(join(sparkHome(), 'bin', 'spark-submit'), [script], {
      ...sparkProcessOptions(ctx),
      encoding: 'utf8',
      timeout: 600000,
    });
    const log = ctx.paths.logFile('spark-probe');
    ensureDir(ctx.paths.logs);
    writeFileSync(log, `${res.stdout ?? ''}${res.stderr ?? ''}`);
    if (res.status !== 0 || !/METASTORE_PROBE ok/.test(res.stdout ?? '')) {
      throw new StackError(`spark: the metastore probe run failed; see its log: ${log}`);
    }
  }

  private async metastoreSql(ctx: StackContext, sql: string, params: unknown[] = []) {
    const ms = ctx.config.spark.metastore;
    const client = new Client({
      host: ctx.config.postgres.host,
      port: ctx.config.postgres.port,
      user: ms.user,
      password: ms.password,
      database: ms.database,
      connectionTimeoutMillis: 3000,
    });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as unknown[];
    } finally {
      await client.end();
    }
  }

  async status(ctx: StackContext): Promise<ProcessStatus[]> {
    const pg = ctx.config.postgres;
    let detail: string | undefined;
    if (!existsSync(join(sparkHome(), 'bin', 'spark-submit'))) detail = 'pyspark not installed';
    else {
      try {
        await this.metastoreSql(ctx, 'SELECT 1');
      } catch (e) {
        detail = `metastore: ${(e as Error).message}`;
      }
    }
    return [
      {
        component: this.name,
        process: 'hive-metastore',
        address: `postgresql://${pg.host}:${pg.port}/${ctx.config.spark.metastore.database}`,
        healthy: !detail,
        detail,
      },
    ];
  }

  async stop(): Promise<void> {
    // Nothing runs: Spark processes are the jobs themselves.
  }
}
