import { loadConfig } from '@fstore/config';
import { FlinkParameterError, FlinkPlaceholderError } from './errors';
import {
  checkParameters,
  configPlaceholders,
  grantProblem,
  parameterProblem,
  placeholdersOf,
  placeholderType,
  renderPlaceholders,
} from './placeholders';
import { splitStatements } from './statements';

describe('renderPlaceholders', () => {
  const values = { KAFKA_BROKERS: 'h1:9092,h2:9092', TOPIC: 'ecommerce.transactions' };

  it('fills every ${NAME} inside string literals', () => {
    expect(renderPlaceholders("'${KAFKA_BROKERS}' '${TOPIC}' '${KAFKA_BROKERS}'", values)).toBe(
      "'h1:9092,h2:9092' 'ecommerce.transactions' 'h1:9092,h2:9092'",
    );
    expect(renderPlaceholders("'a-${TOPIC}-b'", values)).toBe("'a-ecommerce.transactions-b'");
  });

  it('leaves text without placeholders alone, and $${X} is a literal ${X}', () => {
    expect(renderPlaceholders("SELECT '$5', '{x}', 'a$'", values)).toBe("SELECT '$5', '{x}', 'a$'");
    expect(renderPlaceholders("'$${KAFKA_BROKERS}'", values)).toBe("'${KAFKA_BROKERS}'");
    expect(renderPlaceholders('SELECT 1 AS $${X}', values)).toBe('SELECT 1 AS ${X}');
  });

  it("doubles a quote in a value: a value cannot end its literal (finding 1's payload)", () => {
    const payload =
      "x', 'format' = 'json');\nCREATE TABLE leak (line STRING) WITH ('connector' = 'filesystem', " +
      "'path' = 'file:///etc/os-release', 'format' = 'raw');\nCREATE TABLE copy WITH " +
      "('connector' = 'filesystem', 'path' = 'file:///tmp/copy', 'format' = 'raw') AS SELECT * FROM leak;\n--";
    const template =
      "CREATE TABLE t (k STRING) WITH ('connector' = 'kafka', 'topic' = '${TOPIC}');\nINSERT INTO s SELECT k FROM t;";
    const rendered = renderPlaceholders(template, { TOPIC: payload });
    const statements = splitStatements(rendered);
    expect(statements.map((s) => s.kind)).toEqual(['ddl', 'insert']);
    expect(statements[0].sql).toContain(`'topic' = '${payload.replace(/'/g, "''")}'`);
  });

  it('leaves placeholders in comments as written (a newline in a value cannot end a comment)', () => {
    const template = "-- reads ${TOPIC}\n/* and ${KAFKA_BROKERS} */ SELECT '${TOPIC}'";
    const evil = {
      ...values,
      TOPIC: "t\nCREATE TABLE x (a INT) WITH ('connector' = 'filesystem')",
    };
    const rendered = renderPlaceholders(template, evil);
    expect(rendered.split('\n').slice(0, 2)).toEqual([
      '-- reads ${TOPIC}',
      "/* and ${KAFKA_BROKERS} */ SELECT 't",
    ]);
    expect(splitStatements(rendered).map((s) => s.kind)).toEqual(['query']);
    // Unknown names in comments are not an error either: comments are never rendered.
    expect(renderPlaceholders('-- ${NOT_GIVEN}\nSELECT 1', {})).toBe('-- ${NOT_GIVEN}\nSELECT 1');
  });

  it('refuses a placeholder outside a string literal (bare or in a quoted identifier)', () => {
    expect(() => renderPlaceholders('SELECT ${TOPIC} FROM t', values)).toThrow(
      /placeholder\(s\) outside a string literal: \$\{TOPIC\} \(line 1\)/,
    );
    expect(() => renderPlaceholders('SELECT 1\nFROM `${TOPIC}`', values)).toThrow(
      /outside a string literal: \$\{TOPIC\} \(line 2\)/,
    );
  });

  it('fails on unknown names, listing all of them and the known ones', () => {
    let error: unknown;
    try {
      renderPlaceholders("'${NOPE}' '${KAFKA_BROKERS}' '${ALSO_MISSING}' '${NOPE}'", values);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlinkPlaceholderError);
    expect((error as FlinkPlaceholderError).placeholders).toEqual(['NOPE', 'ALSO_MISSING']);
    expect((error as Error).message).toBe(
      'unknown placeholder(s) ${NOPE}, ${ALSO_MISSING} (known: KAFKA_BROKERS, TOPIC)',
    );
  });

  it('fails on malformed or unclosed placeholders', () => {
    expect(() => renderPlaceholders("'${kafka_brokers}'", values)).toThrow(
      /malformed placeholder\(s\) \$\{kafka_brokers\}/,
    );
    expect(() => renderPlaceholders("'${}'", values)).toThrow(/malformed/);
    expect(() => renderPlaceholders("'${KAFKA_BROKERS'", values)).toThrow(/malformed/);
  });

  it('lists the names a template uses, not those in comments', () => {
    expect(placeholdersOf("'${A}' '$${B}' '${C}' '${A}' -- ${D}\n/* ${E} */")).toEqual(['A', 'C']);
  });
});

describe('placeholder types', () => {
  it('types a placeholder by its name', () => {
    expect(
      ['KAFKA_BROKERS', 'OTHER_BROKERS', 'OUT_PATH', 'CHECKPOINT_DIR', 'SCHEMA_URL', 'X_HOST'].map(
        placeholderType,
      ),
    ).toEqual(['config', 'config', 'config', 'config', 'config', 'config']);
    expect(
      ['TRANSACTIONS_TOPIC', 'FEATURE_TOPIC', 'FEATURE_TOPIC_PREFIX', 'SRC_TOPIC'].map(
        placeholderType,
      ),
    ).toEqual(['topic', 'topic', 'topic', 'topic']);
    expect(['CONSUMER_GROUP', 'X_GROUP_ID'].map(placeholderType)).toEqual(['group', 'group']);
    expect(placeholderType('SUFFIX')).toBe('name');
  });

  it('accepts topic names, consumer groups and names of their grammar', () => {
    expect(parameterProblem('TRANSACTIONS_TOPIC', 'test.1b2c-3_d')).toBeUndefined();
    expect(parameterProblem('CONSUMER_GROUP', 'fstore-job-lpa')).toBeUndefined();
    expect(parameterProblem('SUFFIX', 'run-1')).toBeUndefined();
  });

  it.each([
    ['TRANSACTIONS_TOPIC', "x','connector'='filesystem'", /must be a Kafka topic name/],
    ['TRANSACTIONS_TOPIC', 'a b', /must be a Kafka topic name/],
    ['TRANSACTIONS_TOPIC', '..', /must be a Kafka topic name/],
    ['TRANSACTIONS_TOPIC', 'x'.repeat(250), /must be a Kafka topic name/],
    ['FEATURE_TOPIC', '', /must be a Kafka topic name/],
    ['CONSUMER_GROUP', 'g\n--', /must be a consumer group/],
    ['SUFFIX', "it's", /must be a name/],
    ['KAFKA_BROKERS', 'evil.example:9092', /configuration only/],
    ['OUT_PATH', '/tmp/x', /configuration only/],
    ['lower', 'x', /upper-case/],
  ])('refuses %s = %j', (name, value, message) => {
    expect(parameterProblem(name, value)).toMatch(message);
  });

  it('checkParameters names every offending placeholder', () => {
    let error: unknown;
    try {
      checkParameters({ KAFKA_BROKERS: 'evil:1', TRANSACTIONS_TOPIC: 'ok', FEATURE_TOPIC: "x'" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlinkParameterError);
    expect((error as FlinkParameterError).problems.map((p) => p.name)).toEqual([
      'KAFKA_BROKERS',
      'FEATURE_TOPIC',
    ]);
  });
});

describe("the Flink user's Kafka grants (FSTORE_FLINK_KAFKA_TOPICS, FSTORE_FLINK_KAFKA_GROUPS)", () => {
  // Kubernetes' grants: the KafkaUser flink's ACLs, no scratch names.
  const grants = { topics: ['ecommerce.transactions', 'features.*'], groups: ['fstore-job-*'] };
  const TOPICS = 'FSTORE_FLINK_KAFKA_TOPICS: ecommerce.transactions, features.*';

  it.each([
    ['TRANSACTIONS_TOPIC', 'ecommerce.transactions'],
    ['FEATURE_TOPIC', 'features.avg_review'],
    ['SRC_TOPIC', 'features.x'],
    ['FEATURE_TOPIC_PREFIX', 'features.'],
    ['FEATURE_TOPIC_PREFIX', 'features.v2.'],
    ['CONSUMER_GROUP', 'fstore-job-lpa'],
    ['X_GROUP_ID', 'fstore-job-'],
    ['SUFFIX', 'anything-1'],
  ])('accepts %s = %j', (name, value) => {
    expect(parameterProblem(name, value, grants)).toBeUndefined();
    expect(grantProblem(name, value, grants)).toBeUndefined();
  });

  it.each([
    [
      'TRANSACTIONS_TOPIC',
      'ecommerce.transactions.dlq',
      `must be a topic the Flink user's Kafka ACLs grant (${TOPICS})`,
    ],
    ['FEATURE_TOPIC', 'test.out', `must be a topic the Flink user's Kafka ACLs grant (${TOPICS})`],
    [
      'FEATURE_TOPIC_PREFIX',
      'features',
      "must start with a topic prefix the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_TOPICS: features.*)",
    ],
    [
      'FEATURE_TOPIC_PREFIX',
      'ecommerce.transactions',
      "must start with a topic prefix the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_TOPICS: features.*)",
    ],
    [
      'CONSUMER_GROUP',
      'test-g',
      "must be a consumer group the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_GROUPS: fstore-job-*)",
    ],
    [
      'CONSUMER_GROUP',
      'fstore-feature-writer',
      "must be a consumer group the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_GROUPS: fstore-job-*)",
    ],
  ])('refuses %s = %j, naming what is granted', (name, value, reason) => {
    expect(parameterProblem(name, value, grants)).toBe(reason);
  });

  it('checks the grammar first, and says so when nothing is granted', () => {
    expect(parameterProblem('FEATURE_TOPIC', "x'", grants)).toMatch(/must be a Kafka topic name/);
    expect(parameterProblem('FEATURE_TOPIC', 'x', { topics: [], groups: [] })).toBe(
      "must be a topic the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_TOPICS: none)",
    );
  });

  it('checkParameters with grants names each parameter outside them', () => {
    let error: unknown;
    try {
      checkParameters(
        { TRANSACTIONS_TOPIC: 'ecommerce.transactions', FEATURE_TOPIC: 'x', CONSUMER_GROUP: 'g' },
        grants,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlinkParameterError);
    expect((error as FlinkParameterError).problems.map((p) => p.name)).toEqual([
      'FEATURE_TOPIC',
      'CONSUMER_GROUP',
    ]);
    expect(() => checkParameters({ FEATURE_TOPIC: 'x', CONSUMER_GROUP: 'g' })).not.toThrow();
  });
});

describe('configPlaceholders', () => {
  it('takes the brokers and topics from the configuration', () => {
    const config = loadConfig({
      FSTORE_STACK_DIR: '/nonexistent',
      FSTORE_KAFKA_BROKERS: 'k1:1,k2:2',
    });
    expect(configPlaceholders(config)).toMatchObject({
      KAFKA_BROKERS: 'k1:1,k2:2',
      TRANSACTIONS_TOPIC: 'ecommerce.transactions',
      DEAD_LETTER_TOPIC: 'ecommerce.transactions.dlq',
    });
  });
});
