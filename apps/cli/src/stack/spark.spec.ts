import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig } from '@fstore/config';
import { StackPaths } from './processes';
import { serviceUser } from './service-user';
import { SPARK_KAFKA_VERSION, SparkComponent, sparkDirs, sparkKafkaJars } from './spark';

describe('the Spark configuration every Spark process reads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fstore-spark-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig({
    FSTORE_STACK_DIR: join(dir, 'stack'),
    FSTORE_CACHE_DIR: join(dir, 'cache'),
    FSTORE_HIVE_METASTORE_PASSWORD: 'secret',
    FSTORE_KAFKA_BROKERS: 'k1:9092,k2:9092',
  });
  const ctx = { config, paths: new StackPaths(config.stackDir), log: () => undefined };
  const setting = (text: string, key: string) =>
    new RegExp(`^${key.replace(/\./g, '\\.')}\\s+(.*)$`, 'm').exec(text)?.[1];

  it('lists the Kafka connector in spark.jars and names the brokers for the jobs', () => {
    const jars = join(config.cacheDir, `spark-kafka-${SPARK_KAFKA_VERSION}`, 'jars');
    mkdirSync(jars, { recursive: true });
    writeFileSync(join(jars, 'kafka-clients-3.4.1.jar'), '');
    // Not installed until the copy is complete.
    expect(sparkKafkaJars(ctx)).toEqual([]);
    expect(() => new SparkComponent().writeConfig(ctx)).toThrow(/Kafka connector/);
    writeFileSync(join(jars, `spark-sql-kafka-0-10_2.12-${SPARK_KAFKA_VERSION}.jar`), '');
    writeFileSync(join(jars, '.complete'), '');

    new SparkComponent().writeConfig(ctx);
    const conf = readFileSync(join(sparkDirs(ctx).conf, 'spark-defaults.conf'), 'utf8');
    expect(setting(conf, 'spark.jars')?.split(',')).toEqual([
      join(config.cacheDir, 'jars', 'postgresql-42.7.14.jar'),
      join(jars, 'kafka-clients-3.4.1.jar'),
      join(jars, `spark-sql-kafka-0-10_2.12-${SPARK_KAFKA_VERSION}.jar`),
    ]);
    expect(setting(conf, 'spark.fstore.kafka.brokers')).toBe('k1:9092,k2:9092');
  });

  it("authenticates and encrypts the drivers' RPC, and only the stack's users read the file", () => {
    new SparkComponent().writeConfig(ctx);
    const file = join(sparkDirs(ctx).conf, 'spark-defaults.conf');
    const conf = readFileSync(file, 'utf8');
    expect(setting(conf, 'spark.authenticate')).toBe('true');
    expect(setting(conf, 'spark.network.crypto.enabled')).toBe('true');
    expect(setting(conf, 'spark.ui.enabled')).toBe('false');
    expect(setting(conf, 'spark.hadoop.javax.jdo.option.ConnectionPassword')).toBe('secret');
    // Root's stack: root's, the service group reads it (service-user.ts); else the owner's only.
    const st = statSync(file);
    const user = serviceUser();
    expect({ mode: (st.mode & 0o777).toString(8), uid: st.uid, gid: st.gid }).toEqual(
      user
        ? { mode: '640', uid: 0, gid: user.gid }
        : { mode: '600', uid: process.getuid!(), gid: st.gid },
    );
  });
});
