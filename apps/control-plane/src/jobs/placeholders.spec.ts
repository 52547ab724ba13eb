import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { FlinkJobs } from '@fstore/flink';
import { DomainError } from '@fstore/rest-api';
import { FlinkRepository } from '../flink/flink.repository';
import { checkVersion, placeholderValues } from './placeholders';

describe('placeholderValues', () => {
  it('fills the feature topic of the file and a per-job consumer group', () => {
    expect(placeholderValues('lpa', 'flink-sql/last_purchase_amount.sql', {})).toEqual({
      FEATURE_TOPIC: 'features.last_purchase_amount',
      CONSUMER_GROUP: 'fstore-job-lpa',
    });
  });

  it("lets the version's parameters override them", () => {
    expect(
      placeholderValues('t', 'flink-sql/avg_review.sql', {
        FEATURE_TOPIC: 'test.out',
        TRANSACTIONS_TOPIC: 'test.in',
      }),
    ).toEqual({
      FEATURE_TOPIC: 'test.out',
      TRANSACTIONS_TOPIC: 'test.in',
      CONSUMER_GROUP: 'fstore-job-t',
    });
  });
});

describe('checkVersion (what POST /v1/jobs and /versions refuse)', () => {
  const config = loadConfig({ FSTORE_STACK_DIR: '/nonexistent' });
  const flink = new FlinkRepository(FlinkJobs.fromConfig(config)); // check() sends nothing
  const read = (source: string) => readFileSync(join(PROJECT_ROOT, source), 'utf8');
  const avg = read('flink-sql/avg_review.sql');
  const refusal = (
    v: Partial<Parameters<typeof checkVersion>[1]> & { parameters?: Record<string, string> },
  ): DomainError => {
    try {
      checkVersion(flink, {
        jobName: 'j',
        kind: 'flink-sql',
        source: 'flink-sql/avg_review.sql',
        content: avg,
        parameters: {},
        ...v,
      });
    } catch (e) {
      if (e instanceof DomainError) return e;
      throw e;
    }
    throw new Error('accepted');
  };

  it.each(readdirSync(join(PROJECT_ROOT, 'flink-sql')).filter((f) => f.endsWith('.sql')))(
    'accepts flink-sql/%s, with and without test topics',
    (file) => {
      const source = `flink-sql/${file}`;
      const base = { jobName: 'j', kind: 'flink-sql' as const, source, content: read(source) };
      expect(() => checkVersion(flink, { ...base, parameters: {} })).not.toThrow();
      // A generated job of a source writes every changelog under FEATURE_TOPIC_PREFIX; a job of
      // one feature writes FEATURE_TOPIC.
      const out: Record<string, string> = base.content.includes('${FEATURE_TOPIC}')
        ? { FEATURE_TOPIC: 'test.out' }
        : { FEATURE_TOPIC_PREFIX: 'test.out.' };
      const parameters = { TRANSACTIONS_TOPIC: 'test.0b1c-2d', ...out };
      expect(() => checkVersion(flink, { ...base, parameters })).not.toThrow();
    },
  );

  it("refuses finding 1's TRANSACTIONS_TOPIC (it closed the literal and added statements)", () => {
    const e = refusal({
      parameters: {
        TRANSACTIONS_TOPIC:
          "x','connector'='filesystem','path'='/etc/os-release','format'='raw');\n" +
          "CREATE TABLE out WITH ('connector'='filesystem','path'='/tmp/o','format'='raw') AS SELECT * FROM transactions;--",
      },
    });
    expect(e.status).toBe(400);
    expect(e.code).toBe(1420);
    expect(e.detail).toEqual([
      {
        loc: ['body', 'parameters', 'TRANSACTIONS_TOPIC'],
        msg: 'must be a Kafka topic name: 1–249 of A-Z a-z 0-9 . _ -',
        type: 'value_error.parameter',
      },
    ]);
  });

  it.each([
    ['KAFKA_BROKERS', '127.0.0.1:17999', /configuration only/],
    ['CONSUMER_GROUP', 'g\nCREATE TABLE x', /must be a consumer group/],
    ['NOT_IN_SCRIPT', 'x', /has no placeholder \$\{NOT_IN_SCRIPT\}/],
    ['lower_case', 'x', /upper-case/],
  ])('refuses the parameter %s = %j', (name, value, msg) => {
    const e = refusal({ parameters: { [name]: value } });
    expect([e.status, e.code]).toEqual([400, 1420]);
    expect(e.detail![0].loc).toEqual(['body', 'parameters', name]);
    expect(e.detail![0].msg).toMatch(msg);
  });

  it('a placeholder that appears only in a comment is not a parameter of the script', () => {
    const content = `-- writes to \${OUT_TOPIC}\n${avg}`;
    const e = refusal({ content, parameters: { OUT_TOPIC: 'x' } });
    expect(e.detail![0].msg).toMatch(/has no placeholder \$\{OUT_TOPIC\}/);
  });

  it.each([
    ['CTAS', "CREATE TABLE c WITH ('connector' = 'kafka') AS SELECT * FROM transactions;", /CTAS/],
    ['ADD JAR', "ADD JAR '/tmp/x.jar';", /ADD JAR/],
    [
      'CREATE FUNCTION … USING JAR',
      "CREATE FUNCTION f AS 'X' USING JAR '/tmp/x.jar';",
      /USING JAR/,
    ],
    ['SET of a disallowed key', "SET 'pipeline.jars' = 'file:///tmp/x.jar';", /'pipeline.jars'/],
  ])('refuses a script with %s (1422, naming the source)', (_, statement, msg) => {
    const content = avg.replace('-- The changelog', `${statement}\n-- The changelog`);
    const e = refusal({ content });
    expect([e.status, e.code]).toEqual([400, 1422]);
    expect(e.detail![0].loc).toEqual(['body', 'source']);
    expect(e.detail![0].msg).toMatch(msg);
  });

  it('a PySpark job needs an argument declaration and takes no parameters', () => {
    const py = { kind: 'pyspark' as const, content: '' };
    expect(() =>
      checkVersion(flink, {
        ...py,
        jobName: 'b',
        source: 'spark-jobs/batch_features.py',
        parameters: {},
      }),
    ).not.toThrow();
    const undeclared = refusal({ ...py, source: 'spark-jobs/tests/jobs/lake_dump.py' });
    expect(undeclared.detail![0]).toMatchObject({ loc: ['body', 'source'] });
    expect(undeclared.detail![0].msg).toMatch(/has no argument declaration/);
    const withParams = refusal({
      ...py,
      source: 'spark-jobs/batch_features.py',
      parameters: { REDIS: 'x' },
    });
    expect(withParams.code).toBe(1420);
  });
});

describe("checkVersion: topics and groups the Flink user's Kafka ACLs do not grant", () => {
  // Kubernetes' grants (k8s/base/config/configmap.yaml): no test./bench. scratch names.
  const config = loadConfig({
    FSTORE_STACK_DIR: '/nonexistent',
    FSTORE_FLINK_KAFKA_TOPICS: 'ecommerce.transactions,features.*',
    FSTORE_FLINK_KAFKA_GROUPS: 'fstore-job-*',
  });
  const flink = new FlinkRepository(FlinkJobs.fromConfig(config));
  const source = 'flink-sql/transactions.sql';
  const content = readFileSync(join(PROJECT_ROOT, source), 'utf8');
  const version = (parameters: Record<string, string>) => ({
    jobName: 'j',
    kind: 'flink-sql' as const,
    source,
    content,
    parameters,
  });
  const refusal = (parameters: Record<string, string>): DomainError => {
    try {
      checkVersion(flink, version(parameters));
    } catch (e) {
      if (e instanceof DomainError) return e;
      throw e;
    }
    throw new Error('accepted');
  };

  it.each([
    [{}],
    [{ TRANSACTIONS_TOPIC: 'ecommerce.transactions' }],
    [{ FEATURE_TOPIC_PREFIX: 'features.v2.' }],
    [{ CONSUMER_GROUP: 'fstore-job-j-2' }],
  ])('accepts %j', (parameters) => {
    expect(() => checkVersion(flink, version(parameters))).not.toThrow();
  });

  it('refuses a topic outside them: 400 1420 naming the parameter and what is granted', () => {
    const e = refusal({ TRANSACTIONS_TOPIC: 'test.tx' });
    expect([e.status, e.code, e.message]).toEqual([
      400,
      1420,
      'Job parameter refused: TRANSACTIONS_TOPIC',
    ]);
    expect(e.detail).toEqual([
      {
        loc: ['body', 'parameters', 'TRANSACTIONS_TOPIC'],
        msg: "must be a topic the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_TOPICS: ecommerce.transactions, features.*)",
        type: 'value_error.parameter',
      },
    ]);
  });

  it('refuses a prefix and a group outside them, each named (in the order of the values)', () => {
    const e = refusal({ FEATURE_TOPIC_PREFIX: 'out.', CONSUMER_GROUP: 'other-group' });
    expect(e.detail).toEqual([
      {
        loc: ['body', 'parameters', 'CONSUMER_GROUP'],
        msg: "must be a consumer group the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_GROUPS: fstore-job-*)",
        type: 'value_error.parameter',
      },
      {
        loc: ['body', 'parameters', 'FEATURE_TOPIC_PREFIX'],
        msg: "must start with a topic prefix the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_TOPICS: features.*)",
        type: 'value_error.parameter',
      },
    ]);
  });

  it('still says first when a parameter is malformed or not a placeholder of the script', () => {
    expect(refusal({ TRANSACTIONS_TOPIC: "x'" }).detail![0].msg).toMatch(
      /must be a Kafka topic name/,
    );
    expect(refusal({ OTHER_TOPIC: 'x' }).detail![0].msg).toMatch(
      /has no placeholder \$\{OTHER_TOPIC\}/,
    );
  });
});
