import { Command } from 'commander';
import { execFileSync } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
// Only light modules here: `fstore --help` must not load the stack, NestJS, kafkajs or the feature
// definitions. Each command's modules load inside its action (`await import(…)`).
import {
  CONFIGURATION_DOC,
  ConfigError,
  loadConfig,
  PROJECT_ROOT,
  settingsMarkdownTable,
} from '@fstore/config';
import type { GenerateOptions } from '@fstore/generator';
// The defaults alone: the generator's index loads the event schema and its validators.
import { GENERATOR_DEFAULTS as GEN } from '@fstore/generator/defaults';
import type { IngestSummary, ProduceOptions } from '@fstore/ingest';
import type { DlqReplayOptions, ReplayCounts } from '@fstore/ingest/dlq';
import { StackError } from './stack/processes';
import { call, ControlPlaneError, jobsCommand } from './control/jobs-command';
import { formatTable } from './format-table';
import { applyCommands } from './features/apply-command';
import { featuresCommand } from './features/features-command';
import {
  duration,
  isoDate,
  isoTime,
  nonNegativeInt as int,
  nonNegativeNumber,
  oneOf,
  positiveInt,
  PRODUCE_CODECS,
  readableDir,
  readableFile,
  share,
  uuid,
  writableFile,
} from './options';
// A type only: the training code itself is imported when its command runs.
import type { TrainingSetOptions } from './training/training-set';

type ProduceCliOptions = ProduceOptions & { json?: boolean; quiet?: boolean };

type DlqReplayCliOptions = Omit<DlqReplayOptions, 'log' | 'progress'> & {
  json?: boolean;
  quiet?: boolean;
};

type GenerateCliOptions = Omit<GenerateOptions, 'maxDelaySeconds'> & { maxDelay: number };

const log = (message: string) => process.stderr.write(`[fstore] ${message}\n`);

/**
 * A usage error found in an action (flags that go together or exclude each other, a name only
 * the stack knows): commander's own form, one line on stderr, exit 2, before anything is contacted.
 */
const usageError = (command: Command, message: string): never =>
  command.error(`error: ${message}`, { exitCode: 2, code: 'fstore.usage' });

/**
 * Stops with a usage error unless every name is a stack component or group; loads the stack's
 * modules (nothing is contacted) and returns them.
 */
async function checkedStack(command: Command, names: string[]) {
  const stackMod = await import('./stack/stack');
  try {
    stackMod.selectComponents(names);
  } catch (e) {
    if (!(e instanceof StackError)) throw e;
    usageError(command, `argument 'components' is invalid: ${e.message}`);
  }
  return stackMod;
}

const ROLES = ['admin', 'operator', 'viewer'];

/** Replaces the configuration table of docs/configuration.md. */
function updateConfigurationTable(): void {
  const file = join(PROJECT_ROOT, CONFIGURATION_DOC);
  const readme = readFileSync(file, 'utf8');
  const start = readme.indexOf('| variable | default | meaning |');
  if (start < 0) throw new Error(`${CONFIGURATION_DOC} has no configuration table`);
  const end = readme.indexOf('\n\n', start);
  writeFileSync(file, readme.slice(0, start) + settingsMarkdownTable() + readme.slice(end));
}

/** package.json's version, and the commit of the checkout when git can tell it. */
function version(): string {
  const { version: v } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    return commit ? `${v} (${commit}${dirty ? ', modified' : ''})` : v;
  } catch {
    return v;
  }
}

const program = new Command('fstore')
  .description('Feature store: local stack, pipeline and jobs')
  // Program options only before the command: `jobs deploy --version 3` is the job's version.
  .enablePositionalOptions()
  .option('-V, --version', 'print the version (and the git commit) and exit')
  .on('option:version', () => {
    console.log(version());
    process.exit(0);
  });

const stackModule = () => import('./stack/stack');
const pipelineModule = () => import('./pipeline/pipeline');

program
  .command('up')
  .description('Install and run the whole system locally: every service, then the pipeline')
  .action(async () => {
    const { formatStatusTable, stackContext, stackUp } = await stackModule();
    const { formatJobRows, pipelineUp } = await pipelineModule();
    const ctx = stackContext(log);
    const rows = await stackUp(ctx, []);
    const jobs = await pipelineUp(ctx);
    console.log(formatStatusTable(rows));
    console.log();
    console.log(formatJobRows(jobs));
  });

featuresCommand(program);
applyCommands(program);

const pipeline = program.command('pipeline').description('The streaming feature pipeline');

pipeline
  .command('up')
  .description('Start the feature writer and the four Flink SQL jobs (no duplicates on a rerun)')
  .option('--quiet', 'no progress lines on stderr (errors and the table are printed)')
  .action(async (o: { quiet?: boolean }) => {
    const { stackContext } = await stackModule();
    const { formatJobRows, pipelineUp } = await pipelineModule();
    console.log(formatJobRows(await pipelineUp(stackContext(o.quiet ? undefined : log))));
  });

pipeline
  .command('down')
  .description('Stop the jobs with savepoints (the next `up` resumes from them) and the writer')
  .option('--quiet', 'no progress lines on stderr (errors and the table are printed)')
  .action(async (o: { quiet?: boolean }) => {
    const { stackContext } = await stackModule();
    const { formatJobRows, pipelineDown } = await pipelineModule();
    console.log(formatJobRows(await pipelineDown(stackContext(o.quiet ? undefined : log))));
  });

pipeline
  .command('status')
  .description('The four jobs: state and record counts')
  .action(async () => {
    const { stackContext } = await stackModule();
    const { formatJobRows, pipelineStatus } = await pipelineModule();
    console.log(formatJobRows(await pipelineStatus(stackContext())));
  });

const stack = program.command('stack').description('The local stack of real services');

stack
  .command('up [components...]')
  .description('Install what is missing, start what is not running, wait until healthy')
  .action(async function (this: Command, components: string[]) {
    const { formatStatusTable, stackContext, stackUp } = await checkedStack(this, components);
    const rows = await stackUp(stackContext(log), components);
    console.log(formatStatusTable(rows));
  });

stack
  .command('down [components...]')
  .description('Stop what this stack started (data is kept)')
  .action(async function (this: Command, components: string[]) {
    const { stackContext, stackDown } = await checkedStack(this, components);
    await stackDown(stackContext(log), components);
  });

stack
  .command('status [components...]')
  .description('One row per process: pid, address, health by a real round trip')
  .action(async function (this: Command, components: string[]) {
    const { formatStatusTable, stackContext, stackStatus } = await checkedStack(this, components);
    const rows = await stackStatus(stackContext(), components);
    console.log(formatStatusTable(rows));
    if (rows.some((r) => !r.healthy)) process.exitCode = 1;
  });

stack
  .command('supervise', { hidden: true })
  .description('The supervisor `stack up` starts: restarts stack processes that die')
  .action(async () => {
    const { stackContext, stackSupervise } = await stackModule();
    await stackSupervise(stackContext((m) => console.log(`${new Date().toISOString()} ${m}`)));
  });

stack
  .command('logs <component>')
  .description('Print the last lines of a component’s (or one process’s) log')
  .option('-n, --lines <n>', 'lines per log', positiveInt, 100)
  .action(async (component: string, opts: { lines: number }) => {
    const { logFiles, stackContext } = await stackModule();
    for (const file of logFiles(stackContext(), component)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      console.log(`==> ${file} <==`);
      console.log(lines.slice(-opts.lines - 1).join('\n'));
    }
  });

program
  .command('migrate')
  .description(
    "Apply the database's migrations (the control plane's schema, the users tables) and grant " +
      "the services' PostgreSQL roles their rights, as the project's role (idempotent)",
  )
  .action(async () => {
    const { migrateDatabase } = await import('@fstore/control-store');
    const config = loadConfig();
    await migrateDatabase(config);
    log(`database ${config.postgres.database} migrated (schema ${config.control.pgSchema})`);
  });

const users = program.command('users').description('Users who may log in to the services');
users
  .command('add <email>')
  .description(
    'Create or update a user; the password comes from stdin or FSTORE_NEW_USER_PASSWORD ' +
      '(at least 12 characters, not a common password, repeat, run or keyboard walk)',
  )
  .requiredOption(
    '--role <role>',
    'admin, operator, viewer or reader (serving, read-only)',
    oneOf([...ROLES, 'reader']),
  )
  .action(async (email: string, opts: { role: string }) => {
    const { addUser } = await import('./users/users-command');
    await addUser(email, opts.role);
    log(`user ${email} (${opts.role}) saved`);
  });
users
  .command('remove <email>')
  .description(
    'Remove a user; their tokens stop working (within FSTORE_AUTH_REVOCATION_CHECK_SECONDS)',
  )
  .action(async (email: string) => {
    const { removeUser } = await import('./users/users-command');
    await removeUser(email);
    log(`user ${email} removed`);
  });

const apikeys = program.command('apikeys').description('API keys of the control plane');

apikeys
  .command('create')
  .description('Create an API key; it is printed once (only its sha256 is stored)')
  .requiredOption('--role <role>', 'admin, operator or viewer', oneOf(ROLES))
  .option('--name <name>', 'who or what uses it (shown in the audit log)', 'cli')
  .option('--expires-in <duration>', 'refused after this long, e.g. 90d (default: never)', duration)
  .action(async (opts: { role: string; name: string; expiresIn?: number }) => {
    const { createControlApiKey } = await import('@fstore/control-store');
    const expiresAt = opts.expiresIn ? new Date(Date.now() + opts.expiresIn) : null;
    console.log(await createControlApiKey(loadConfig(), opts.name, opts.role, expiresAt));
    const until = expiresAt ? `, valid until ${expiresAt.toISOString()}` : '';
    log(`API key "${opts.name}" (${opts.role}${until}) created; it will not be shown again`);
  });

apikeys
  .command('list')
  .description('Every API key: id, name, prefix, role, created, expires, revoked (admin key)')
  .action(async () => {
    const { keys } = await call('GET', '/v1/apikeys');
    const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
    const columns = ['id', 'name', 'prefix', 'role', 'created_at', 'expires_at', 'revoked_at'];
    console.log(
      formatTable(
        [...columns, 'usable'],
        (keys as Record<string, unknown>[]).map((k) => [
          ...columns.map((c) => cell(k[c])),
          k.usable ? 'yes' : 'no',
        ]),
      ),
    );
  });

apikeys
  .command('revoke')
  .argument('<id>', "the key's id (a UUID, from `apikeys list`)", uuid)
  .description('Revoke an API key at once: its next request is refused (admin key)')
  .action(async (id: string) => {
    const key = await call('POST', `/v1/apikeys/${encodeURIComponent(id)}/revoke`, {});
    log(`API key ${String(key.id)} ("${String(key.name)}") revoked at ${String(key.revoked_at)}`);
  });

program.addCommand(jobsCommand());

program
  .command('training-set')
  .description(
    'A point-in-time correct training set: each row of --entities with its features as they were at its timestamp (a run of spark-jobs/training_set.py through the control plane)',
  )
  .requiredOption(
    '--entities <file>',
    'entity rows: a .csv (with a header) or .parquet file',
    readableFile,
  )
  .option('--features <names>', 'comma-separated feature names')
  .option('--entity <name>', 'every feature of this entity')
  .option('--timestamp-column <column>', "the rows' time column (default: event_timestamp)")
  .requiredOption('--out <name>', "the training set's name: table <out-database>.<name>")
  .option('--out-database <db>', 'database of the output table (default: training_sets)')
  .option('--table <db.table>', "raw events (default: the source's table)")
  .option('--history-table <db.table>', 'batch snapshots (default: features.batch_feature_history)')
  .option('--json', 'print the summary as JSON (one line on stdout)')
  .option('--quiet', 'no progress lines on stderr')
  .action(async function (
    this: Command,
    o: Omit<TrainingSetOptions, 'progress' | 'timeoutMs'> & { json?: boolean; quiet?: boolean },
  ) {
    if (Boolean(o.features) === Boolean(o.entity)) {
      usageError(this, 'pass exactly one of --features a,b or --entity NAME');
    }
    const { trainingSet, formatTrainingSummary } = await import('./training/training-set');
    const result = await trainingSet({
      ...o,
      progress: o.quiet ? () => undefined : (line) => process.stderr.write(`${line}\n`),
    });
    console.log(o.json ? JSON.stringify(result) : formatTrainingSummary(result));
  });

program
  .command('consistency')
  .description(
    'Online/offline consistency: the values the feature server logged (FSTORE_SERVING_LOG_SAMPLE_RATE) recomputed point in time from the lake, per feature (a run of spark-jobs/consistency.py through the control plane)',
  )
  .option('--since <time>', 'reads at or after this ISO-8601 time (default: 24 hours ago)', isoTime)
  .option('--until <time>', 'reads before this ISO-8601 time (default: now)', isoTime)
  .option('--features <names>', 'comma-separated feature names (default: all)')
  .option('--table <db.table>', "raw events (default: the source's table)")
  .option('--history-table <db.table>', 'batch snapshots (default: features.batch_feature_history)')
  .option('--json', 'print the report as JSON (one line on stdout)')
  .option('--quiet', 'no progress lines on stderr')
  .action(async function (
    this: Command,
    o: {
      since?: string;
      until?: string;
      features?: string;
      table?: string;
      historyTable?: string;
      json?: boolean;
      quiet?: boolean;
    },
  ) {
    if (o.since && o.until && Date.parse(o.since) >= Date.parse(o.until)) {
      usageError(this, `--since ${o.since} is not before --until ${o.until}`);
    }
    const { consistency, formatConsistency } = await import('./training/consistency');
    const result = await consistency({
      ...o,
      progress: o.quiet ? () => undefined : (line) => process.stderr.write(`${line}\n`),
    });
    console.log(o.json ? JSON.stringify(result) : formatConsistency(result));
  });

program
  .command('config')
  .description('Print the configuration reference (every environment variable and its default)')
  .option('--update-docs', `rewrite ${CONFIGURATION_DOC}'s configuration table from it`)
  .action((opts: { updateDocs?: boolean }) => {
    if (opts.updateDocs) updateConfigurationTable();
    else console.log(settingsMarkdownTable());
  });

program
  .command('openapi')
  .description(
    "Write the APIs' OpenAPI documents (docs/openapi/) and the client's types from the apps",
  )
  .option('--check', 'change nothing: fail when a file is stale or a document is not valid')
  .option('--validate <file>', 'only validate this OpenAPI document', readableFile)
  .action(async (opts: { check?: boolean; validate?: string }) => {
    const { openapiCommand } = await import('./openapi/openapi-command');
    process.exitCode = await openapiCommand(opts, log);
  });

program
  .command('console')
  .description('The web console (apps/console), served by the control plane under /console/')
  .command('build')
  .description(
    'Build the web console into dist/console (stack up does it before the control plane starts)',
  )
  .action(async () => {
    const { buildConsole } = await import('./console/build-console');
    await buildConsole(log);
  });

program
  .command('generate')
  .description('Write a deterministic synthetic data set (CSV with EventID, or NDJSON)')
  .requiredOption('--rows <n>', 'rows to write', int)
  .requiredOption('--out <file>', 'output file: .csv, or .ndjson/.jsonl', writableFile)
  .option('--seed <n>', 'PRNG seed', int, 1)
  .option('--customers <n>', 'distinct customers', int, GEN.customers)
  .option('--products <n>', 'distinct products', int, GEN.products)
  .option('--categories <n>', 'distinct categories', int, GEN.categories)
  .option('--start <date>', 'first event day (YYYY-MM-DD, UTC)', isoDate, GEN.start)
  .option('--span-days <n>', 'days of event time covered', int, GEN.spanDays)
  .option('--duplicates <share>', 'share of redelivered rows', share, GEN.duplicates)
  .option('--max-delay <seconds>', 'largest out-of-order delay', int, GEN.maxDelaySeconds)
  .option('--malformed <share>', 'share of rows breaking a rule', share, GEN.malformed)
  .option('--zipf <s>', 'Zipf exponent of key popularity', nonNegativeNumber, GEN.zipf)
  .option('--quiet', 'no progress on stderr (the summary line is printed)')
  .action(async (o: GenerateCliOptions & { quiet?: boolean }) => {
    const { generate } = await import('@fstore/generator');
    const s = await generate({ ...o, maxDelaySeconds: o.maxDelay, progress: !o.quiet });
    console.log(JSON.stringify(s));
  });

program
  .command('produce')
  .description('Validate records and publish them to Kafka (invalid ones to the dead-letter topic)')
  .option('--file <file>', 'produce one file (.csv or .ndjson), then exit', readableFile)
  .option(
    '--dir <folder>',
    'service mode: produce every file of a folder, then watch it',
    readableDir,
  )
  .option('--stdin', 'service mode: read standard input')
  .option(
    '--format <format>',
    'csv or ndjson (default: from the file extension; stdin: csv)',
    oneOf(['csv', 'ndjson']),
  )
  // produce() applies these defaults (TOPICS of @fstore/contracts, whose index loads features/).
  .option('--topic <topic>', 'main topic (default: "ecommerce.transactions")')
  .option('--dlq-topic <topic>', 'dead-letter topic (default: "ecommerce.transactions.dlq")')
  .option('--rate <n>', 'records per second at most', int)
  .option('--batch-size <n>', 'records per produce request (default: setting)', int)
  .option('--lanes <n>', 'idempotent producers side by side (default: setting)', int)
  .option('--compression <codec>', 'lz4, gzip or none (default: setting)', oneOf(PRODUCE_CODECS))
  .option('--connect-timeout <seconds>', 'give up when no broker answers (default: setting)', int)
  .option('--no-parse-worker', 'parse files in the main thread (default: in a worker thread)')
  .option('--no-resume', 'ignore the checkpoint of an earlier run and send the file again')
  .option('--checkpoint-dir <folder>', 'where checkpoints live (default: setting)')
  .option('--metrics-port <port>', 'serve /metrics on this port (service mode: setting)', int)
  .option('--json', 'print the summary as JSON (one line on stdout per input)')
  .option('--quiet', 'no progress lines on stderr (--file; service mode never prints them)')
  .action(async function (this: Command, o: ProduceCliOptions) {
    if ([o.file, o.dir, o.stdin].filter(Boolean).length !== 1) {
      usageError(this, 'give exactly one of --file, --dir or --stdin');
    }
    const { formatSummary, produce, ProducerError } = await import('@fstore/ingest');
    const stop = new AbortController();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
    const { fileProgressReporter } = await import('@fstore/generator/progress');
    // Progress lines for a file only: service mode (--dir, --stdin) logs one JSON object a line
    // on stderr for log collectors, and its progress is on /metrics.
    const reporter =
      o.quiet || !o.file
        ? undefined
        : fileProgressReporter(process.stderr, Boolean(process.stderr.isTTY));
    const print = (s: IngestSummary) => {
      reporter?.end();
      console.log(o.json ? JSON.stringify(s) : formatSummary(s));
    };
    try {
      (await produce({ ...o, signal: stop.signal, progress: reporter?.update })).forEach(print);
    } catch (e) {
      reporter?.end();
      // The counts line comes even on failure: what Kafka acknowledged up to it.
      if (e instanceof ProducerError) e.summaries.forEach(print);
      throw e;
    }
  });

const dlq = program
  .command('dlq')
  .description(
    'The dead-letter topic: what is in it, and replaying it after a fix (docs/dead-letter-format.md)',
  );

dlq
  .command('list')
  .description(
    'Count the dead letters by service and rule, and show the newest (reads the whole topic)',
  )
  .option('--sample <n>', 'newest letters to show (default 10)', positiveInt)
  .option('--dlq-topic <topic>', 'dead-letter topic (default: "ecommerce.transactions.dlq")')
  .option('--json', 'print the listing as JSON')
  .action(async (o: { sample?: number; dlqTopic?: string; json?: boolean }) => {
    const { dlqList } = await import('@fstore/ingest/dlq');
    const listing = await dlqList(o);
    if (o.json) console.log(JSON.stringify(listing));
    else console.log((await import('./dlq/dlq-format')).formatListing(listing));
  });

dlq
  .command('replay')
  .description(
    "Replay the dead letters from the group fstore-dlq-replay's position to the end offsets at start: producer lines the current rules accept to the main topic, writer records to their changelog",
  )
  .option(
    '--service <service>',
    "only this service's letters",
    oneOf(['producer', 'feature-writer']),
  )
  .option('--rule <rule>', 'only letters of this rule')
  .option('--dry-run', 'decide and count only: send and commit nothing')
  .option('--dlq-topic <topic>', 'dead-letter topic (default: "ecommerce.transactions.dlq")')
  .option('--topic <topic>', 'where producer letters go (default: "ecommerce.transactions")')
  .option('--group <group>', 'consumer group (default: "fstore-dlq-replay")')
  .option('--json', 'print the summary as JSON')
  .option('--quiet', 'no progress lines on stderr')
  .action(async function (this: Command, o: DlqReplayCliOptions) {
    if (o.rule !== undefined) {
      const { PRODUCER_RULES, WRITER_RULES } = await import('@fstore/contracts');
      const rules = {
        producer: Object.keys(PRODUCER_RULES),
        'feature-writer': Object.keys(WRITER_RULES),
      };
      const known = o.service ? rules[o.service] : [...new Set(Object.values(rules).flat())];
      if (!known.includes(o.rule)) {
        usageError(
          this,
          `option '--rule <rule>' argument '${o.rule}' is invalid. expected a rule of ${o.service ?? 'the producer or the feature writer'}: ${known.join(', ')}`,
        );
      }
    }
    const { dlqReplay, formatReplayCounts } = await import('@fstore/ingest/dlq');
    let last: ReplayCounts | undefined;
    let shownAt = 0;
    try {
      const summary = await dlqReplay({
        ...o,
        log,
        progress: (c) => {
          last = { ...c };
          if (o.quiet || Date.now() - shownAt < 1000) return;
          shownAt = Date.now();
          log(`dlq replay: ${formatReplayCounts(c)} so far`);
        },
      });
      console.log(
        o.json
          ? JSON.stringify(summary)
          : `${formatReplayCounts(summary)}${summary.dry_run ? ' (dry run: nothing sent or committed)' : ''}`,
      );
    } catch (e) {
      // What was replayed before the failure is committed: say how far it got.
      if (last) log(`stopped after: ${formatReplayCounts(last)}`);
      throw e;
    }
  });

program
  .command('dashboards')
  .description(
    'Write k8s/base/monitoring/dashboards/*.json from their source, libs/observability/src/dashboards.ts (--check: only report drift)',
  )
  .option('--check', 'exit 1 when a checked-in file differs from what the source produces')
  .action(async (opts: { check?: boolean }) => {
    const { dashboardDrift, writeDashboards } = await import('@fstore/observability/dashboards');
    if (opts.check) {
      const drift = dashboardDrift(PROJECT_ROOT);
      if (drift.length > 0) {
        console.error(`out of date: ${drift.join(', ')} (run: npx fstore dashboards)`);
        process.exitCode = 1;
      } else console.log('the dashboards are up to date');
      return;
    }
    const written = writeDashboards(PROJECT_ROOT);
    for (const file of written) console.log(`wrote ${file}`);
    if (written.length === 0) console.log('the dashboards are up to date');
  });

const k8s = program
  .command('k8s')
  .description('The production shape (k8s/): render and validate the manifests');

k8s
  .command('validate')
  .description(
    'Render k8s/overlays/production (kustomize) and validate every object (kubeconform, strict) against k8s/schemas/',
  )
  .action(async () => {
    const { loadConfig } = await import('@fstore/config');
    const { validateProductionShape } = await import('./k8s/validate');
    process.exitCode = (await validateProductionShape(loadConfig().cacheDir, log)) ? 0 : 1;
  });

k8s
  .command('flink-tls <dir>')
  .description(
    "Write the Secret flink-tls's files into <dir> (mode 600): Flink's REST and internal key stores and the REST certificate and key, made as the local stack makes them, for fstore-config's Flink URLs",
  )
  .action(async (dir: string) => {
    const { K8S_FLINK_TLS_SECRET, writeK8sFlinkTls } = await import('./k8s/flink-tls');
    const files = writeK8sFlinkTls(dir, log);
    console.log(
      `kubectl -n fstore create secret generic ${K8S_FLINK_TLS_SECRET} ${files.map((f) => `--from-file=${f}`).join(' ')}`,
    );
  });

k8s
  .command('schemas')
  .description(
    "Refresh k8s/schemas/: the Kubernetes kinds the overlay uses (pinned PyPI package), the Prometheus Operator's CRDs (Go module proxy), Strimzi's (Maven Central) and the FlinkDeployment's (npm types of its CRD)",
  )
  .action(async () => {
    const { loadConfig } = await import('@fstore/config');
    const { updateSchemas } = await import('./k8s/validate');
    await updateSchemas(loadConfig().cacheDir, log);
  });

program
  .command('test')
  .description('Run the whole test suite: bring up the stack, lint, unit and medium tests, Python')
  .action(async () => {
    const { runTests } = await import('./test-command');
    process.exitCode = await runTests(log);
  });

// A usage error (unknown command or flag, a flag value that does not parse) exits 2, as POSIX
// tools do, so a script can tell it from a failure of the work (1). Set on every command: the
// ones built apart and added (jobs, features, …) do not inherit it.
const usageExit = (command: Command): void => {
  command.exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  command.commands.forEach(usageExit);
};
usageExit(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  // By name: ProducerError's and DefinitionError's modules may not be loaded (lazy loading).
  const name = e instanceof Error ? e.name : '';
  const expected =
    e instanceof StackError ||
    e instanceof ConfigError ||
    e instanceof ControlPlaneError ||
    name === 'ProducerError' ||
    name === 'ReplayError' ||
    name === 'DefinitionError' ||
    name === 'TrainingSetInputError';
  const message = e instanceof Error ? e.message : String(e);
  log(`error: ${message}`);
  if (!expected && process.env.FSTORE_DEBUG && e instanceof Error) log(e.stack ?? '');
  // A bad --entities file is found before anything is contacted: a usage error, like a bad flag.
  process.exit(name === 'TrainingSetInputError' ? 2 : 1);
});
