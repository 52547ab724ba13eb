import { spawn, spawnSync } from 'child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { REGISTRY } from '@fstore/contracts';
import { compileStreamJobs } from '@fstore/definitions';
import {
  postgresWithoutTables,
  PostgresWithoutTables,
} from '../../../test/support/postgres-without-tables';

// The real `fstore` command (bin/fstore.js through bin/register.js), with no service running.

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fstore-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  report: { built: number; transpiled: number; cached: number; modules: string[] };
}

function fstore(args: string[], env: Record<string, string> = {}): Run {
  const report = join(work, `report-${Math.random().toString(36).slice(2)}.json`);
  const started = Date.now();
  const res = spawnSync('node', [join(PROJECT_ROOT, 'bin/fstore.js'), ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 60000,
    env: {
      ...process.env,
      // nothing to reach: a command that tried would fail on these, not hang
      FSTORE_CONTROL_URL: 'http://127.0.0.1:1',
      FSTORE_API_KEY: 'unused',
      FSTORE_KAFKA_BROKERS: '127.0.0.1:1',
      ...env,
      FSTORE_REGISTER_REPORT: report,
    },
  });
  return {
    status: res.status,
    stdout: res.stdout,
    stderr: res.stderr,
    ms: Date.now() - started,
    report: JSON.parse(readFileSync(report, 'utf8')) as Run['report'],
  };
}

/** What --help and --version must not load: the stack, NestJS, kafkajs, TypeScript, features/. */
function heavy(modules: string[]): string[] {
  const features = join(PROJECT_ROOT, 'features') + '/';
  return modules.filter(
    (m) =>
      m.startsWith(features) ||
      /node_modules\/(@nestjs|kafkajs|typescript\/lib|pg|ioredis|typeorm)\//.test(m) ||
      /apps\/cli\/src\/stack\/stack\.ts$/.test(m) ||
      // (@fstore/contracts/jobs, the job-name rule, is a light entry point without features/.)
      (/libs\/(contracts|definitions)\//.test(m) && !m.endsWith('/libs/contracts/src/jobs.ts')),
  );
}

describe('fstore --help and --version', () => {
  it('--help lists the commands and loads only the command tree', () => {
    const run = fstore(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: fstore [options] [command]');
    for (const command of ['stack', 'jobs', 'produce', 'features', 'apply', '-V, --version']) {
      expect(run.stdout).toContain(command);
    }
    expect(heavy(run.report.modules)).toEqual([]);
    expect(run.report.modules.length).toBeLessThan(100);
  });

  it("a command's --help too", () => {
    const run = fstore(['produce', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('--file <file>');
    expect(heavy(run.report.modules)).toEqual([]);
  });

  it('--version prints the version of package.json (and the commit)', () => {
    const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const run = fstore([flag]);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(
        new RegExp(`^${version.replace(/\./g, '\\.')}( \\(\\w+.*\\))?\n$`),
      );
      expect(heavy(run.report.modules)).toEqual([]);
    }
  });

  it('a second start transpiles nothing (the cache, without a build)', () => {
    fstore(['--help'], { FSTORE_BUILD: '0' });
    const run = fstore(['--help'], { FSTORE_BUILD: '0' });
    expect(run.report.transpiled).toBe(0);
    expect(run.report.built).toBe(0);
    expect(run.report.cached).toBeGreaterThan(0);
  });
});

describe('the build ahead (bin/build.js)', () => {
  beforeAll(() => {
    // What `npm ci` (prepare) and `stack up` run; incremental, so quick when current.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(join(PROJECT_ROOT, 'bin/build.js')) as { buildAhead(): unknown }).buildAhead();
  }, 120000);

  it('a first start after it (no transpile cache) loads every .ts file from it', () => {
    const run = fstore(['--help'], { FSTORE_TS_CACHE: '0' });
    expect(run.status).toBe(0);
    const ts = run.report.modules.filter((m) => m.endsWith('.ts'));
    expect(run.report).toMatchObject({ built: ts.length, cached: 0, transpiled: 0 });
    expect(ts.length).toBeGreaterThan(5);
    expect(run.report.modules.some((m) => m.includes('/node_modules/typescript/lib/'))).toBe(false);
  });

  it('a file edited since the build is transpiled, never run from the old build', () => {
    const build = mkdtempSync(join(tmpdir(), 'fstore-build-'));
    try {
      // A build whose output of options.ts is stale: its key is of another content.
      cpSync(join(PROJECT_ROOT, 'dist/build'), build, { recursive: true });
      const options = join(build, 'apps/cli/src/options.js');
      const text = readFileSync(options, 'utf8');
      writeFileSync(
        options,
        text.replace(/^\/\/fstore-build [0-9a-f]{8}/, '//fstore-build 00000000'),
      );
      const run = fstore(['--help'], { FSTORE_BUILD_DIR: build, FSTORE_TS_CACHE: '0' });
      expect(run.status).toBe(0);
      expect(run.report.transpiled).toBe(1);
      const required = fstore(['--help'], { FSTORE_BUILD_DIR: build, FSTORE_BUILD: 'required' });
      expect(required.status).toBe(1);
      expect(required.stderr).toContain(
        'FSTORE_BUILD=required: apps/cli/src/options.ts is not in the build',
      );
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  });
});

describe('flag validation: exit 2, a message naming the flag, nothing done', () => {
  const cases: [string[], string][] = [
    [
      ['jobs', 'deploy', 'j', '--version', 'abc'],
      "option '--version <n>' argument 'abc' is invalid. expected a positive integer",
    ],
    [
      ['jobs', 'run', 'j', '--version', '0'],
      "option '--version <n>' argument '0' is invalid. expected a positive integer",
    ],
    [
      ['jobs', 'upgrade', 'j', '1.5'],
      "command-argument value '1.5' is invalid for argument 'version'. expected a positive integer",
    ],
    [
      ['jobs', 'deploy', 'Orders'],
      "command-argument value 'Orders' is invalid for argument 'name'. expected a job name: a lower-case letter, then lower-case letters, digits, _ or - (≤ 63)",
    ],
    [
      ['jobs', 'register', 'my job', 'flink-sql/x.sql'],
      "command-argument value 'my job' is invalid for argument 'name'. expected a job name: a lower-case letter, then lower-case letters, digits, _ or - (≤ 63)",
    ],
    [
      ['jobs', 'register', 'j', 'flink-sql/x.sql', '--param', 'FOO'],
      "option '--param <KEY=VALUE...>' argument 'FOO' is invalid. expected KEY=VALUE (no \"=\" in it)",
    ],
    [
      ['jobs', 'register', 'j', 'flink-sql/x.sql', '--param', 'A=1', '=2'],
      "option '--param <KEY=VALUE...>' argument '=2' is invalid. expected KEY=VALUE (the KEY is empty)",
    ],
    [
      ['stack', 'logs', 'kafka', '-n', 'abc'],
      "option '-n, --lines <n>' argument 'abc' is invalid. expected a positive integer",
    ],
    [
      ['produce', '--file', 'no-such-file.csv'],
      "option '--file <file>' argument 'no-such-file.csv' is invalid. expected a readable file: it does not exist",
    ],
    [
      ['produce', '--dir', 'no-such-folder'],
      "option '--dir <folder>' argument 'no-such-folder' is invalid. expected a readable folder: it does not exist",
    ],
    [
      ['produce', '--dir', 'package.json'],
      "option '--dir <folder>' argument 'package.json' is invalid. expected a folder, not a file",
    ],
    [
      ['users', 'add', 'a@example.com', '--role', 'root'],
      "option '--role <role>' argument 'root' is invalid. expected one of admin, operator, viewer, reader",
    ],
    [
      ['apikeys', 'create', '--role', 'reader'],
      "option '--role <role>' argument 'reader' is invalid. expected one of admin, operator, viewer",
    ],
    [
      ['produce', '--file', 'package.json', '--format', 'xml'],
      "option '--format <format>' argument 'xml' is invalid. expected one of csv, ndjson",
    ],
    [
      ['produce', '--file', 'package.json', '--compression', 'zstd'],
      "option '--compression <codec>' argument 'zstd' is invalid. expected one of none, gzip, lz4",
    ],
    [
      ['apikeys', 'revoke', '12'],
      "command-argument value '12' is invalid for argument 'id'. expected an id (a UUID, e.g. 3f2c1a9e-0b4d-4c8e-9a1f-2b3c4d5e6f70)",
    ],
    [
      ['jobs', 'runs', '--id', 'latest'],
      "option '--id <run id>' argument 'latest' is invalid. expected an id (a UUID, e.g. 3f2c1a9e-0b4d-4c8e-9a1f-2b3c4d5e6f70)",
    ],
    [['produce'], 'give exactly one of --file, --dir or --stdin'],
    [
      ['produce', '--file', 'package.json', '--stdin'],
      'give exactly one of --file, --dir or --stdin',
    ],
    [
      ['consistency', '--since', 'yesterday'],
      "option '--since <time>' argument 'yesterday' is invalid. expected an ISO-8601 time, e.g. 2026-01-31T12:00:00Z",
    ],
    [
      ['consistency', '--since', '2026-02-01', '--until', '2026-01-01'],
      '--since 2026-02-01 is not before --until 2026-01-01',
    ],
    [
      ['jobs', 'run', 'j', '--as-of', 'later'],
      "option '--as-of <time>' argument 'later' is invalid. expected an ISO-8601 time, e.g. 2026-01-31T12:00:00Z",
    ],
    [
      ['training-set', '--entities', 'package.json', '--out', 'x'],
      'pass exactly one of --features a,b or --entity NAME',
    ],
    [
      [
        'training-set',
        '--entities',
        'package.json',
        '--out',
        'x',
        '--entity',
        'a',
        '--features',
        'b',
      ],
      'pass exactly one of --features a,b or --entity NAME',
    ],
    [
      ['generate', '--rows', '1', '--out', 'no-such-folder/x.csv'],
      "option '--out <file>' argument 'no-such-folder/x.csv' is invalid. expected a file in an existing folder",
    ],
    [
      ['generate', '--rows', '1', '--out', 'x.csv', '--start', '2026-02-30'],
      "option '--start <date>' argument '2026-02-30' is invalid. expected a day as YYYY-MM-DD, e.g. 2026-01-31",
    ],
    [
      ['generate', '--rows', '1', '--out', 'x.csv', '--zipf', 'abc'],
      "option '--zipf <s>' argument 'abc' is invalid. expected a number ≥ 0, e.g. 1.1",
    ],
    [
      ['dlq', 'replay', '--service', 'spark'],
      "option '--service <service>' argument 'spark' is invalid. expected one of producer, feature-writer",
    ],
    [
      ['dlq', 'list', '--sample', '0'],
      "option '--sample <n>' argument '0' is invalid. expected a positive integer",
    ],
  ];

  it.each(cases)('fstore %j', (args, message) => {
    const run = fstore(args);
    expect(run.stderr).toContain(`error: ${message}`);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(heavy(run.report.modules)).toEqual([]);
  });

  it.each([
    [
      ['dlq', 'replay', '--rule', 'nope'],
      "option '--rule <rule>' argument 'nope' is invalid. expected a rule of the producer or the feature writer: required, max_length, number, decimal, integer, min, max, range, format, date, type, column_count, quote, json, utf8, line_length, key, tile_end, event_time, value, tombstone, events, agg",
    ],
    [
      ['dlq', 'replay', '--service', 'producer', '--rule', 'tombstone'],
      "option '--rule <rule>' argument 'tombstone' is invalid. expected a rule of producer: required, max_length, number, decimal, integer, min, max, range, format, date, type, column_count, quote, json, utf8, line_length",
    ],
  ])(
    'fstore %j: exit 2 before Kafka is tried (the rules are those of @fstore/contracts)',
    (args, message) => {
      const run = fstore(args);
      expect(run.stderr).toBe(`error: ${message}\n`);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
    },
  );

  it.each([['up'], ['down'], ['status']])(
    'stack %s of an unknown component: exit 2 naming the argument and the known ones',
    (verb) => {
      const run = fstore(['stack', verb, 'redis', 'nosuch']);
      expect(run.stderr).toBe(
        `error: argument 'components' is invalid: unknown component "nosuch" (known: monitoring, postgres, redis, kafka, flink, writer, serving, spark, livy, control-plane, airflow, core, streaming, batch)\n`,
      );
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
    },
  );

  it('training-set of an --entities file that is not .csv or .parquet: exit 2, nothing placed', () => {
    const run = fstore([
      'training-set',
      '--entities',
      'package.json',
      '--out',
      'x',
      '--entity',
      'customer',
    ]);
    expect(run.stderr).toBe('[fstore] error: --entities package.json: a .csv or .parquet file\n');
    expect(run.status).toBe(2);
  });

  it('features get of an unknown entity: exit 2 naming the entities, nothing asked', () => {
    // The entities are read from features/ (so this one loads the definitions).
    const run = fstore(['features', 'get', 'nobody', '1'], {
      FSTORE_CONTROL_URL: 'http://127.0.0.1:1',
    });
    expect(run.stderr).toContain(
      'error: argument \'entity\' is invalid: no feature of "nobody" (entities: category, customer, customer_product, product)',
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
  });

  it('produce --file of a missing file fails fast, without trying Kafka', () => {
    const run = fstore(['produce', '--file', join(work, 'missing.csv')], {
      FSTORE_KAFKA_BROKERS: '127.0.0.1:1',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('it does not exist');
    expect(run.stderr).not.toMatch(/kafka/i);
    expect(run.ms).toBeLessThan(5000);
    expect(run.report.modules.some((m) => m.includes('/node_modules/kafkajs/'))).toBe(false);
  });
});

/**
 * A control plane for the CLI to talk to: an HTTP server of this test answering the routes the
 * commands below call, as the real one does (JSON bodies, 202 and an operation id for the
 * operations). What each route answers is set by the test.
 */
type Route = (path: string, body: unknown) => [number, unknown] | undefined;

function controlPlane(route: Route): Promise<{ url: string; server: Server }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c));
    req.on('end', () => {
      const answer = route(`${req.method} ${req.url}`, text ? JSON.parse(text) : undefined);
      const [status, body] = answer ?? [
        404,
        {
          error_code: 1004,
          error_message: `no route ${req.method} ${req.url}`,
          error_detail: null,
        },
      ];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }),
    ),
  );
}

/** The real `fstore`, not blocking this process (its control plane is a server of the test). */
function fstoreAsync(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [join(PROJECT_ROOT, 'bin/fstore.js'), ...args], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        FSTORE_API_KEY: 'unused',
        FSTORE_KAFKA_BROKERS: '127.0.0.1:1',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('--json is one JSON document on one line; --quiet keeps only errors and the result', () => {
  const jobs = compileStreamJobs(REGISTRY).map((j) => j.jobName);
  const plan = {
    features: [
      { name: 'f1', engine: 'stream', change: 'update', from_version: 1, detail: 'window 1h' },
    ],
    jobs: [{ job: jobs[0], file: null, action: 'cancel', state: 'RUNNING', reason: 'no feature' }],
    backfills: [],
    nothing_to_do: false,
  };
  const empty = { features: [], jobs: [], backfills: [], nothing_to_do: true };
  /** Deployments paused or cancelled, and whether apply was called: what the server changed. */
  const paused = new Set<string>();
  let applied = false;
  let url: string;
  let server: Server;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ url, server } = await controlPlane((route) => {
      let m: RegExpExecArray | null;
      if (route === 'POST /v1/features/plan') {
        // apply asks for the plan again at its end: by then nothing is left to do
        return [200, applied ? empty : plan];
      }
      if (route === 'POST /v1/features/apply') {
        applied = true;
        return [200, { ...plan, applied: [{ name: 'f1', version: 2 }] }];
      }
      if ((m = /^GET \/v1\/features\/([^?]+)\?entity_id=(.*)$/.exec(route))) {
        const id = decodeURIComponent(m[2]);
        return [200, { name: m[1], entity_id: id, value: 1.5, event_time: null, key: `k:${id}` }];
      }
      if ((m = /^GET \/v1\/jobs\/([^/]+)$/.exec(route))) {
        return [200, { name: m[1], live_deployment_id: `dep-${m[1]}` }];
      }
      if ((m = /^GET \/v1\/deployments\/dep-([^/]+)$/.exec(route))) {
        const stopped = paused.has(m[1]);
        return [
          200,
          {
            id: `dep-${m[1]}`,
            version: 1,
            desired_state: stopped ? 'paused' : 'running',
            observed_state: stopped ? 'FINISHED' : 'RUNNING',
            last_savepoint: stopped ? `file:///sp/${m[1]}` : null,
          },
        ];
      }
      if ((m = /^POST \/v1\/deployments\/dep-([^/]+)\/(pause|cancel)$/.exec(route))) {
        paused.add(m[1]);
        return [202, { operation_id: `op-${m[2]}-${m[1]}` }];
      }
      if ((m = /^GET \/v1\/operations\/op-(\w+)-(.+)$/.exec(route))) {
        return [200, { id: `op-${m[1]}-${m[2]}`, kind: m[1], target: m[2], status: 'succeeded' }];
      }
      return undefined;
    }));
    env = { FSTORE_CONTROL_URL: url, FSTORE_STACK_DIR: join(work, 'stack') };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const reset = () => {
    paused.clear();
    applied = false;
  };
  beforeEach(reset);

  it('plan --json: the plan and the drift, one line', async () => {
    const run = await fstoreAsync(['plan', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')).toHaveLength(2); // one line and its newline
    expect(JSON.parse(run.stdout)).toEqual({ ...plan, drift: [] });
  });

  it('features get --json: the answers, one line', async () => {
    const run = await fstoreAsync(['features', 'get', 'product', 'p 1', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')).toHaveLength(2);
    const names = REGISTRY.features.filter((f) => f.entity.name === 'product').map((f) => f.name);
    expect(JSON.parse(run.stdout)).toEqual(
      names.map((name) => ({ name, entity_id: 'p 1', value: 1.5, event_time: null, key: 'k:p 1' })),
    );
  });

  it('apply: its steps and the operations it follows on stderr; --quiet: none, the same result', async () => {
    const loud = await fstoreAsync(['apply'], env);
    expect(loud.status).toBe(0);
    expect(loud.stderr.split('\n')).toEqual([
      '[fstore] registry: f1 version 2',
      `[fstore] ${jobs[0]}: cancelling (no feature)`,
      `[fstore] operation op-cancel-${jobs[0]} (cancel ${jobs[0]}): succeeded (0 s)`,
      '',
    ]);
    expect(loud.stdout).toContain('Applied: the registry and the running jobs match features/.');
    reset();
    const quiet = await fstoreAsync(['apply', '--quiet'], env);
    expect(quiet.stderr).toBe('');
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe(loud.stdout);
  });

  it('pipeline down: a line per job and per operation; --quiet: none, the same table', async () => {
    const loud = await fstoreAsync(['pipeline', 'down'], env);
    expect(loud.status).toBe(0);
    for (const job of jobs) {
      expect(loud.stderr).toContain(`[fstore] pipeline: pausing ${job} (stop with savepoint)\n`);
      expect(loud.stderr).toContain(`[fstore] operation op-pause-${job} (pause ${job}): succeeded`);
    }
    expect(loud.stdout).toContain(`file:///sp/${jobs[0]}`);
    reset();
    const quiet = await fstoreAsync(['pipeline', 'down', '--quiet'], env);
    expect(quiet.stderr).toBe('');
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe(loud.stdout);
  });

  it('pipeline up and apply take --quiet', () => {
    for (const command of [['pipeline', 'up'], ['apply']]) {
      const run = fstore([...command, '--help']);
      expect(run.stdout).toContain('--quiet');
    }
  });
});

describe('fstore users before the migrations ran (a database without the users tables)', () => {
  let db: PostgresWithoutTables;
  beforeAll(async () => {
    db = await postgresWithoutTables();
  });
  afterAll(() => db.close());

  it.each([
    [
      ['users', 'add', 'new.user@example.com', '--role', 'reader'],
      { FSTORE_NEW_USER_PASSWORD: 'quiet harbor velvet orchard' },
    ],
    [['users', 'remove', 'new.user@example.com'], {}],
  ])('%j: exit 1, naming the command that migrates; no table created', async (args, extra) => {
    const before = db.statements.length;
    const run = await fstoreAsync(args, {
      FSTORE_PG_HOST: '127.0.0.1',
      FSTORE_PG_PORT: String(db.port),
      FSTORE_PG_PASSWORD: 'unused',
      ...extra,
    });
    expect(run.stderr).toBe(
      "[fstore] error: user database unavailable: the users tables do not exist: the database's " +
        'migrations have not run (run `fstore migrate`, or start the control plane, which ' +
        'migrates at boot)\n',
    );
    expect(run.status).toBe(1);
    const sent = db.statements.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^(INSERT INTO|DELETE FROM) auth_users /);
  });

  it('fstore migrate is that command', () => {
    const run = fstore(['migrate', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("Apply the database's migrations");
  });
});
