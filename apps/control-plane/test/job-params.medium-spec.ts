import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { BatchRuntime } from '../src/runs/batch-runtime';
import { Harness, Json } from './harness';

// Security findings 1 and 4 of issue 20, over HTTP against a real control plane (PostgreSQL,
// queue Redis, Flink; worker on): job parameters that would splice SQL or redirect Kafka, job
// scripts that reach past Kafka, and batch-run arguments that pick connection targets or files
// are refused with 400 naming the parameter / argument, audited, and nothing reaches Flink or the
// batch runtime (a recording stand-in for Livy here). The sources are read from a folder of this
// test (the project's avg_review.sql and batch jobs, plus scripts carrying each attack).
jest.setTimeout(240000);

const h = new Harness();
const stream = `params-${h.id}`;
const batch = `params-batch-${h.id}`;
const load = `params-load-${h.id}`;
const ingest = `params-ingest-${h.id}`;

const root = realpathSync(mkdtempSync(join(tmpdir(), 'fstore-job-params-')));
const landing = join(root, 'landing');
mkdirSync(join(root, 'flink-sql'));
mkdirSync(join(root, 'spark-jobs'));
mkdirSync(landing);
writeFileSync(join(landing, 'events.csv'), 'header\n');
writeFileSync(join(root, 'secret.csv'), 'not for runs\n');
const avg = readFileSync(join(PROJECT_ROOT, 'flink-sql/avg_review.sql'), 'utf8');
copyFileSync(
  join(PROJECT_ROOT, 'flink-sql/avg_review.sql'),
  join(root, 'flink-sql/avg_review.sql'),
);
for (const f of ['batch_features.py', 'load_raw_events.py', 'ingest_kafka_to_lake.py']) {
  copyFileSync(join(PROJECT_ROOT, 'spark-jobs', f), join(root, 'spark-jobs', f));
}
const ATTACK_SCRIPTS: Record<string, [string, RegExp]> = {
  ctas: [
    "CREATE TABLE leak WITH ('connector' = 'kafka') AS SELECT * FROM transactions;",
    /CREATE TABLE … AS \(CTAS\) is not allowed/,
  ],
  add_jar: ["ADD JAR '/tmp/evil.jar';", /ADD JAR is not allowed/],
  function_jar: [
    "CREATE TEMPORARY FUNCTION f AS 'Evil' USING JAR '/tmp/evil.jar';",
    /CREATE FUNCTION … USING JAR is not allowed/,
  ],
  set_key: [
    "SET 'execution.checkpointing.dir' = 'file:///etc';",
    /SET of 'execution.checkpointing.dir' is not allowed/,
  ],
  filesystem: [
    "CREATE TABLE os (line STRING) WITH ('connector' = 'filesystem', 'path' = '/etc/os-release', 'format' = 'raw');",
    /connector 'filesystem' is not allowed/,
  ],
};
// A placeholder only in a comment is left as text: it is no parameter of the script.
writeFileSync(join(root, 'flink-sql/comment.sql'), `-- also reads \${OUT_TOPIC}\n${avg}`);
for (const [name, [statement]] of Object.entries(ATTACK_SCRIPTS)) {
  const script = avg.replace('-- The changelog', `${statement}\n-- The changelog`);
  writeFileSync(join(root, 'flink-sql', `${name}.sql`), script);
}

/** The stand-in for Livy: records what it is asked to run; every batch succeeds. */
const submitted: { file: string; args: string[]; name: string }[] = [];
const runtime: BatchRuntime = {
  submit: async (req) => {
    submitted.push(req);
    return submitted.length;
  },
  findByName: async () => undefined,
  state: async () => 'success',
  log: async () => ['done'],
  kill: async () => undefined,
  ping: async () => undefined,
};

// Finding 1's parameter: it closed the topic literal and added a filesystem source and a CTAS sink.
const SPLICE =
  "x', 'format' = 'json');\nCREATE TABLE os (line STRING) WITH ('connector' = 'filesystem', " +
  "'path' = '/etc/os-release', 'format' = 'raw');\nCREATE TABLE copy WITH ('connector' = " +
  "'filesystem', 'path' = '/tmp/copy', 'format' = 'raw') AS SELECT * FROM os;\n--";

beforeAll(async () => {
  h.env.FSTORE_CONTROL_LANDING_DIR = landing;
  await h.start({ worker: true, reconciler: false, batchRuntime: runtime, sourcesRoot: root });
  const jobs: [string, string, string][] = [
    [stream, 'flink-sql', 'flink-sql/avg_review.sql'],
    [batch, 'pyspark', 'spark-jobs/batch_features.py'],
    [load, 'pyspark', 'spark-jobs/load_raw_events.py'],
    [ingest, 'pyspark', 'spark-jobs/ingest_kafka_to_lake.py'],
  ];
  for (const [name, kind, source] of jobs) {
    const reg = await h.call('POST', '/v1/jobs', { body: { name, kind, source } });
    expect([name, reg.status]).toEqual([name, 201]);
  }
});
afterAll(async () => {
  await h.stop([stream]);
  rmSync(root, { recursive: true, force: true });
});

const operations = async () =>
  (await h.sql('SELECT kind, target, status FROM operations')) as Json[];

/** What the control plane under test grants (FSTORE_FLINK_KAFKA_TOPICS/GROUPS; the stack's). */
const grants = loadConfig().flink.kafkaGrants;

describe('finding 1: job parameters and scripts', () => {
  it.each([
    [
      'a topic that closes its literal',
      'TRANSACTIONS_TOPIC',
      SPLICE,
      'must be a Kafka topic name: 1–249 of A-Z a-z 0-9 . _ -',
    ],
    [
      'brokers of the caller',
      'KAFKA_BROKERS',
      '127.0.0.1:17999',
      'comes from configuration only; a caller may not set it',
    ],
    [
      'a newline in a consumer group',
      'CONSUMER_GROUP',
      "g\nCREATE TABLE x (a INT) WITH ('connector' = 'filesystem')",
      'must be a consumer group: 1–255 of A-Z a-z 0-9 . _ -',
    ],
    [
      'a placeholder the script does not use',
      'FEATURE_TOPIC_PREFIX',
      'x',
      'flink-sql/avg_review.sql has no placeholder ${FEATURE_TOPIC_PREFIX}',
    ],
    [
      "a topic the Flink user's Kafka ACLs do not grant",
      'TRANSACTIONS_TOPIC',
      'ecommerce.transactions.dlq',
      `must be a topic the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_TOPICS: ${grants.topics.join(', ')})`,
    ],
    [
      "a consumer group the Flink user's Kafka ACLs do not grant",
      'CONSUMER_GROUP',
      'fstore-feature-writer',
      `must be a consumer group the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_GROUPS: ${grants.groups.join(', ')})`,
    ],
  ])(
    '%s: register and new version are 400 1420 naming the parameter',
    async (_, name, value, msg) => {
      const expected = {
        error_code: 1420,
        error_message: `Job parameter refused: ${name}`,
        error_detail: [{ loc: ['body', 'parameters', name], msg, type: 'value_error.parameter' }],
      };
      const reg = await h.call('POST', '/v1/jobs', {
        body: {
          name: `evil-${h.id}`,
          kind: 'flink-sql',
          source: 'flink-sql/avg_review.sql',
          parameters: { [name]: value },
        },
      });
      expect([reg.status, reg.body]).toEqual([400, expected]);
      const version = await h.call('POST', `/v1/jobs/${stream}/versions`, {
        body: { source: 'flink-sql/avg_review.sql', parameters: { [name]: value } },
      });
      expect([version.status, version.body]).toEqual([400, expected]);
    },
  );

  it.each(Object.entries(ATTACK_SCRIPTS))(
    'a script with %s is 400 1422 naming the source',
    async (file, [, msg]) => {
      const source = `flink-sql/${file}.sql`;
      const res = await h.call('POST', '/v1/jobs', {
        // (FEATURE_TOPIC: these files produce no feature of their own.)
        body: {
          name: `evil-${h.id}`,
          kind: 'flink-sql',
          source,
          parameters: { FEATURE_TOPIC: 'test.out' },
        },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error_code: 1422,
        error_message: `Job script refused: ${source}`,
        error_detail: [{ loc: ['body', 'source'], type: 'value_error.script' }],
      });
      expect(res.body.error_detail[0].msg).toMatch(msg);
    },
  );

  it('a placeholder in a comment is left as text: no parameter, and not an unknown placeholder', async () => {
    const body = { kind: 'flink-sql', source: 'flink-sql/comment.sql' };
    const refused = await h.call('POST', '/v1/jobs', {
      body: {
        ...body,
        name: `evil-${h.id}`,
        parameters: { FEATURE_TOPIC: 'test.out', OUT_TOPIC: 'x' },
      },
    });
    expect([refused.status, refused.body.error_code, refused.body.error_detail]).toEqual([
      400,
      1420,
      [
        {
          loc: ['body', 'parameters', 'OUT_TOPIC'],
          msg: 'flink-sql/comment.sql has no placeholder ${OUT_TOPIC}',
          type: 'value_error.parameter',
        },
      ],
    ]);
    const ok = await h.call('POST', '/v1/jobs', {
      body: { ...body, name: `comment-${h.id}`, parameters: { FEATURE_TOPIC: 'test.out' } },
    });
    expect(ok.status).toBe(201);
  });

  it('nothing was registered, the refusals are audited with their parameters, an accepted version too', async () => {
    expect((await h.call('GET', `/v1/jobs/evil-${h.id}`)).status).toBe(404);
    const { versions } = (await h.call('GET', `/v1/jobs/${stream}`)).body;
    expect(versions.map((v: Json) => v.version)).toEqual([1]);
    const refused = await h.sql(
      `SELECT detail FROM audit_log WHERE action = 'job.register' AND outcome = 'refused 400' ORDER BY id`,
    );
    expect(refused[0].detail).toMatchObject({
      error_code: 1420,
      parameters: { TRANSACTIONS_TOPIC: SPLICE },
      source: 'flink-sql/avg_review.sql',
    });
    const topic = `test.${h.id}`;
    const ok = await h.call('POST', `/v1/jobs/${stream}/versions`, {
      body: { source: 'flink-sql/avg_review.sql', parameters: { TRANSACTIONS_TOPIC: topic } },
    });
    expect(ok.status).toBe(201);
    const [accepted] = await h.sql(
      `SELECT detail FROM audit_log WHERE action = 'job.version' AND outcome = 'succeeded'`,
    );
    expect(accepted.detail).toMatchObject({
      version: 2,
      parameters: { TRANSACTIONS_TOPIC: topic },
    });
  });

  it('a version stored before these checks fails its deploy in the worker; nothing reaches Flink', async () => {
    // As if registered by an earlier control plane: version 3 with an overridden KAFKA_BROKERS.
    await h.sql(
      `INSERT INTO job_versions (job_name, version, source, content, sha256, parameters, created_by)
       SELECT job_name, 3, source, content, sha256, $1::jsonb, 'legacy' FROM job_versions
       WHERE job_name = $2 AND version = 1`,
      [JSON.stringify({ KAFKA_BROKERS: '127.0.0.1:17999' }), stream],
    );
    const deploy = await h.call('POST', `/v1/jobs/${stream}/deployments`, { body: { version: 3 } });
    expect(deploy.status).toBe(202);
    const op = await h.operation(deploy.body.operation_id);
    expect(op.status).toBe('failed');
    expect(op.error).toMatch(
      /Flink refused the job: placeholder \$\{KAFKA_BROKERS\}: comes from configuration only/,
    );
    expect(await h.flinkJobs(stream)).toEqual([]);
  });
});

describe('finding 4: batch-run arguments', () => {
  it.each([
    [
      batch,
      ['--redis-nodes', '127.0.0.1:17999'],
      0,
      '--redis-nodes',
      /may not be passed: connection targets come from configuration only/,
    ],
    [
      batch,
      ['--as-of', '2024-01-01T00:00:00Z', '--redis-password-file', '/etc/shadow'],
      2,
      '--redis-password-file',
      /may not be passed: credentials/,
    ],
    [
      ingest,
      ['--kafka-option', 'bootstrap.servers=127.0.0.1:17999'],
      0,
      '--kafka-option',
      /may not be passed: Kafka client options/,
    ],
    [ingest, ['--brokers=127.0.0.1:17999'], 0, '--brokers', /may not be passed/],
    [load, ['--input', '/etc/passwd'], 1, '--input', /must be a file inside the landing folder/],
    [load, ['--input', '../../x'], 1, '--input', /'\.\.' is not allowed/],
    [
      load,
      ['--input', join(root, 'secret.csv')],
      1,
      '--input',
      /must be a file inside the landing folder/,
    ],
    [batch, ['--table', "x'; DROP"], 1, '--table', /must be a table name/],
  ])('%s %j is 400 1421 naming the argument', async (job, args, index, arg, msg) => {
    const res = await h.call('POST', `/v1/jobs/${job}/runs`, { body: { args } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error_code: 1421,
      error_message: `Run argument refused: ${arg}`,
      error_detail: [{ loc: ['body', 'args', index], type: 'value_error.argument' }],
    });
    expect(res.body.error_detail[0].msg).toMatch(msg);
  });

  it('as_of for a job that takes no --as-of is 400 1421 naming as_of', async () => {
    const res = await h.call('POST', `/v1/jobs/${ingest}/runs`, {
      body: { as_of: '2024-01-01T00:00:00Z' },
    });
    expect([res.status, res.body]).toEqual([
      400,
      {
        error_code: 1421,
        error_message: 'Run argument refused: --as-of',
        error_detail: [
          {
            loc: ['body', 'as_of'],
            msg: '--as-of: spark-jobs/ingest_kafka_to_lake.py takes no --as-of',
            type: 'value_error.argument',
          },
        ],
      },
    ]);
  });

  it('refused runs left no run, no operation and no submission, and are audited with their args', async () => {
    expect((await h.call('GET', '/v1/runs')).body.runs).toEqual([]);
    expect((await operations()).filter((o) => o.kind === 'run')).toEqual([]);
    expect(submitted).toEqual([]);
    const refused = await h.sql(
      `SELECT detail FROM audit_log WHERE action = 'run.trigger' AND outcome = 'refused 400' ORDER BY id`,
    );
    expect(refused[0].detail).toMatchObject({
      error_code: 1421,
      args: ['--redis-nodes', '127.0.0.1:17999'],
    });
  });

  it('legitimate runs go through with their arguments, the configured targets added by the control plane', async () => {
    const asOf = '2024-02-05T00:00:00+00:00';
    const run = await h.call('POST', `/v1/jobs/${batch}/runs`, {
      body: {
        as_of: asOf,
        args: ['--table', 'test_db.transactions', '--history-table', 'test_db.history'],
      },
    });
    expect(run.status).toBe(202);
    expect((await h.operation(run.body.operation_id)).status).toBe('succeeded');
    const nodes = h.config.redis.clusterPorts.map((p) => `${h.config.redis.host}:${p}`).join(',');
    const caller = [
      '--table',
      'test_db.transactions',
      '--history-table',
      'test_db.history',
      '--as-of',
      asOf,
    ];
    // Then what only the control plane gives: the Redis nodes, the definitions' export.
    expect(submitted.at(-1)!.args).toEqual([
      ...caller,
      '--redis-nodes',
      nodes,
      '--definitions',
      expect.stringMatching(/\/data\/definitions\/[0-9a-f]{16}\.json$/),
    ]);
    const id = String(run.body.target).replace('run:', '');
    expect((await h.call('GET', `/v1/runs/${id}`)).body.args).toEqual(caller);

    const loadRun = await h.call('POST', `/v1/jobs/${load}/runs`, {
      body: { args: ['--input', 'events.csv'] },
    });
    expect(loadRun.status).toBe(202);
    expect((await h.operation(loadRun.body.operation_id)).status).toBe('succeeded');
    expect(submitted.at(-1)!.args).toEqual(['--input', join(landing, 'events.csv')]);

    const ingestRun = await h.call('POST', `/v1/jobs/${ingest}/runs`, {
      body: { args: ['--topic', 'ecommerce.transactions', '--max-per-partition', '10'] },
    });
    expect(ingestRun.status).toBe(202);
    expect((await h.operation(ingestRun.body.operation_id)).status).toBe('succeeded');
    expect(submitted.at(-1)!.args).toEqual([
      ...['--topic', 'ecommerce.transactions', '--max-per-partition', '10'],
      ...['--brokers', h.config.kafka.brokers.join(',')],
    ]);
  });
});
