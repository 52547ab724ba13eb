import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { FlinkParameterError, FlinkScriptPolicyError } from './errors';
import { FlinkJobs } from './flink-jobs';
import { setKeyAllowed } from './policy';

// prepare() renders and checks a script without any network traffic.
const config = loadConfig({ FSTORE_STACK_DIR: '/nonexistent', FSTORE_KAFKA_BROKERS: 'k1:9092' });
const flink = FlinkJobs.fromConfig(config);
const jobValues = { FEATURE_TOPIC: 'features.x', CONSUMER_GROUP: 'fstore-job-x' };

const SOURCE = `CREATE TABLE src (k STRING) WITH (
  'connector' = 'kafka',
  'topic' = '\${TRANSACTIONS_TOPIC}',
  'properties.bootstrap.servers' = '\${KAFKA_BROKERS}',
  'format' = 'json'
);
CREATE TABLE dst (k STRING, PRIMARY KEY (k) NOT ENFORCED) WITH (
  'connector' = 'upsert-kafka',
  'topic' = '\${FEATURE_TOPIC}',
  'properties.bootstrap.servers' = '\${KAFKA_BROKERS}',
  'key.format' = 'json',
  'value.format' = 'json'
);
`;
const INSERT = 'INSERT INTO dst SELECT k FROM src;';
const refusal = (script: string, values: Record<string, string> = jobValues) => {
  try {
    flink.prepare(script, values);
  } catch (e) {
    return e as Error;
  }
  throw new Error('the script was accepted');
};

describe('the job-script policy (FlinkJobs.prepare)', () => {
  const files = readdirSync(join(PROJECT_ROOT, 'flink-sql')).filter((f) => f.endsWith('.sql'));

  it.each(files)('accepts the project script flink-sql/%s', (file) => {
    const script = readFileSync(join(PROJECT_ROOT, 'flink-sql', file), 'utf8');
    const statements = flink.prepare(script, jobValues);
    expect(['insert', 'statement-set']).toContain(statements.at(-1)!.kind);
    const rendered = statements.map((s) => s.sql).join('\n');
    expect(rendered).toContain("'properties.bootstrap.servers' = 'k1:9092'");
    expect(rendered).not.toMatch(/\$\{/);
  });

  it('accepts allowed SET keys, views, a LIKE table and a statement set', () => {
    const script = `SET 'pipeline.name' = 'x';
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '10 s';
SET 'table.exec.state.ttl' = '1 h';
RESET 'table.exec.state.ttl';
${SOURCE}
CREATE TEMPORARY TABLE dst2 WITH ('topic' = 'other') LIKE dst;
CREATE TEMPORARY VIEW v AS SELECT k AS kk FROM src /*+ not an options hint */;
EXECUTE STATEMENT SET BEGIN
  INSERT INTO dst SELECT kk FROM v;
  INSERT INTO dst2 SELECT k FROM src;
END;`;
    expect(flink.prepare(script, jobValues).map((s) => s.kind)).toEqual([
      ...['set', 'set', 'set', 'set', 'reset', 'ddl', 'ddl', 'ddl', 'ddl'],
      'statement-set',
    ]);
  });

  it.each([
    [
      'CREATE TABLE … AS (CTAS)',
      `${SOURCE}CREATE TABLE copy WITH ('connector' = 'kafka') AS SELECT * FROM src;\n${INSERT}`,
      /line 14: CREATE TABLE … AS \(CTAS\) is not allowed/,
    ],
    [
      'CREATE TEMPORARY TABLE … AS',
      `${SOURCE}CREATE TEMPORARY TABLE copy AS SELECT * FROM src;\n${INSERT}`,
      /CTAS/,
    ],
    [
      'CREATE OR REPLACE TABLE … AS (RTAS)',
      `${SOURCE}CREATE OR REPLACE TABLE dst AS SELECT * FROM src;\n${INSERT}`,
      /RTAS/,
    ],
    ['REPLACE TABLE … AS', `${SOURCE}REPLACE TABLE dst AS SELECT * FROM src;\n${INSERT}`, /RTAS/],
    ['ADD JAR', `ADD JAR '/tmp/evil.jar';\n${SOURCE}${INSERT}`, /line 1: ADD JAR is not allowed/],
    ['REMOVE JAR', `REMOVE JAR '/tmp/evil.jar';\n${SOURCE}${INSERT}`, /REMOVE JAR/],
    [
      'CREATE FUNCTION … USING JAR',
      `CREATE TEMPORARY FUNCTION f AS 'Evil' LANGUAGE JAVA USING JAR '/tmp/evil.jar';\n${SOURCE}${INSERT}`,
      /CREATE FUNCTION … USING JAR is not allowed/,
    ],
    [
      'a Python function',
      `CREATE TEMPORARY SYSTEM FUNCTION f AS 'os.system' LANGUAGE PYTHON;\n${SOURCE}${INSERT}`,
      /CREATE FUNCTION is not allowed/,
    ],
    [
      'CREATE CATALOG',
      `CREATE CATALOG c WITH ('type' = 'jdbc');\n${SOURCE}${INSERT}`,
      /CREATE CATALOG/,
    ],
    ['LOAD MODULE', `LOAD MODULE hive;\n${SOURCE}${INSERT}`, /LOAD statements are not allowed/],
    ['EXECUTE PLAN', `${SOURCE}EXECUTE PLAN '/tmp/plan.json';`, /EXECUTE PLAN .*not allowed/],
    ['EXECUTE INSERT', `${SOURCE}EXECUTE ${INSERT}`, /EXECUTE INSERT INTO is not allowed/],
    [
      'COMPILE PLAN',
      `${SOURCE}COMPILE PLAN '/tmp/p.json' FOR ${INSERT}`,
      /needs exactly one INSERT/,
    ],
    [
      'SET of a file location',
      `SET 'execution.checkpointing.dir' = 'file:///etc';\n${SOURCE}${INSERT}`,
      /SET of 'execution.checkpointing.dir' is not allowed/,
    ],
    [
      'SET of a key outside the allowlist',
      `SET 'table.dynamic-table-options.enabled' = 'true';\n${SOURCE}${INSERT}`,
      /SET of 'table.dynamic-table-options.enabled' is not allowed/,
    ],
    ['SET python.files', `SET python.files = '/tmp/x.py';\n${SOURCE}${INSERT}`, /'python.files'/],
    [
      'RESET of a key outside the allowlist',
      `RESET 'execution.savepoint.path';\n${SOURCE}${INSERT}`,
      /RESET of 'execution.savepoint.path' is not allowed/,
    ],
    [
      'the filesystem connector',
      `CREATE TABLE leak (line STRING) WITH ('connector' = 'filesystem', 'path' = 'file:///etc/os-release', 'format' = 'raw');\n${SOURCE}${INSERT}`,
      /connector 'filesystem' is not allowed \(allowed: kafka, upsert-kafka\)/,
    ],
    [
      'another host as brokers',
      SOURCE.replace("'${KAFKA_BROKERS}'", "'127.0.0.1:17999'") + INSERT,
      /'properties.bootstrap.servers' must be the configured brokers/,
    ],
    [
      'a Kafka client option outside the allowlist',
      `${SOURCE.replace("'format' = 'json'", "'format' = 'json', 'properties.sasl.jaas.config' = 'x'")}${INSERT}`,
      /Kafka client option 'properties.sasl.jaas.config' is not allowed/,
    ],
    [
      'a format outside the allowlist',
      SOURCE.replace("'key.format' = 'json'", "'key.format' = 'avro-confluent'") + INSERT,
      /format 'avro-confluent' is not allowed/,
    ],
    [
      'a WITH option given twice',
      `CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'connector' = 'kafka');\n${SOURCE}${INSERT}`,
      /WITH option 'connector' is given twice/,
    ],
    [
      'an OPTIONS hint',
      `${SOURCE}INSERT INTO dst SELECT k FROM src /*+ OPTIONS('connector' = 'filesystem') */;`,
      /OPTIONS\(…\) \*\/ hints are not allowed/,
    ],
    [
      'CTAS inside a statement set',
      `${SOURCE}EXECUTE STATEMENT SET BEGIN\nCREATE TABLE c AS SELECT * FROM src;\n${INSERT}\nEND;`,
      /a statement set holds only INSERT statements/,
    ],
  ])('refuses %s', (_, script, message) => {
    const error = refusal(script);
    expect(error.message).toMatch(message);
    if (!/needs exactly one/.test(error.message))
      expect(error).toBeInstanceOf(FlinkScriptPolicyError);
  });

  it("refuses finding 1's topic parameter and a KAFKA_BROKERS override before rendering", () => {
    const topic =
      "x', 'format' = 'json');\nCREATE TABLE leak (line STRING) WITH ('connector' = 'filesystem', 'path' = '/etc/os-release', 'format' = 'raw');\n--";
    const e1 = refusal(SOURCE + INSERT, { ...jobValues, TRANSACTIONS_TOPIC: topic });
    expect(e1).toBeInstanceOf(FlinkParameterError);
    expect(e1.message).toMatch(/placeholder \$\{TRANSACTIONS_TOPIC\}: must be a Kafka topic name/);
    const e2 = refusal(SOURCE + INSERT, { ...jobValues, KAFKA_BROKERS: '127.0.0.1:17999' });
    expect(e2).toBeInstanceOf(FlinkParameterError);
    expect(e2.message).toMatch(/\$\{KAFKA_BROKERS\}: comes from configuration only/);
  });

  it('decides SET keys', () => {
    expect(
      ['pipeline.name', 'execution.checkpointing.interval', 'table.exec.mini-batch.enabled'].map(
        setKeyAllowed,
      ),
    ).toEqual([true, true, true]);
    expect(
      [
        'execution.checkpointing.savepoint-dir',
        'execution.savepoint.path',
        'pipeline.jars',
        'pipeline.classpaths',
        'table.exec.',
        'state.backend.type',
      ].map(setKeyAllowed),
    ).toEqual([false, false, false, false, false, false]);
  });
});
