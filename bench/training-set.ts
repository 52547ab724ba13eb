/**
 * Benchmark: a point-in-time training set of every stream feature, run the way a user runs it
 * (`fstore training-set`'s code: a control-plane run of spark-jobs/training_set.py, through Livy,
 * on the stack's Spark), beside the same values computed by DuckDB SQL generated from the same
 * export, over the same Parquet files of the lake, results compared row by row, in one run.
 *
 *   npx fstore stack up control-plane   (FSTORE_SPARK_DRIVER_MEMORY=8g at full size)
 *   npm run bench:training-set [-- --events N --rows R --work-dir DIR]
 *
 * N generated events (default 10,000,000; no redeliveries) over 30 days, loaded once into the
 * lake table bench.training_set_events_<N> by a control-plane run of spark-jobs/
 * load_raw_events.py (kept and reused while the table's folder is there); R entity rows (default
 * 1,000,000, made by DuckDB from the lake's files) at events' keys and times ± a day, one in ten
 * an entity that never existed. Timed: Spark, from the run's request to its summary (Livy's
 * submission and Spark's start included), and the job's own duration; DuckDB (as many threads as
 * cores, 2 GB), building the training set and writing it as Parquet. Prints seconds, rows/s and the
 * ratio, and the number of values that differ (must be 0); the figures also go to <work
 * dir>/training-set-result.json.
 */
import { spawn } from 'child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { cpus } from 'os';
import { join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { REGISTRY } from '@fstore/contracts';
import { exportDefinitions } from '@fstore/definitions';
import { call } from '../apps/cli/src/control/jobs-command';
import { projectVenv, sparkDirs } from '../apps/cli/src/stack/spark';
import { stackContext } from '../apps/cli/src/stack/stack';
import { ensureBatchJob, followRun, trainingSet } from '../apps/cli/src/training/training-set';
import { arg } from './args';
import { ensureDuckdb, fmt, generateEvents } from './spark-bench';

interface DuckResult {
  rows: number;
  spark_rows: number;
  events: number;
  features: string[];
  threads: number;
  duckdb_s: number;
  differences: Record<string, number>;
  spark_rows_out_of_order: number;
  duckdb_version: string;
}

/** A setting of the stack's Spark configuration (what Livy's runs get), e.g. spark.driver.memory. */
function stackSparkSetting(key: string): string {
  const file = join(sparkDirs(stackContext()).conf, 'spark-defaults.conf');
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.split(/\s+/)[0] === key);
  return line?.trim().split(/\s+/)[1] ?? '(unset)';
}

const SCRIPT = join(PROJECT_ROOT, 'bench', 'training_set_bench.py');
const DATABASE = 'bench';
const HOUR_MS = 3_600_000;

/** The bench script (DuckDB) in the project venv: its progress to stderr, its result parsed. */
function python(args: string[], dir: string): Promise<DuckResult | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(projectVenv().python, [SCRIPT, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of d.toString().split('\n'))
        if (line.startsWith('bench:')) console.error(line);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        const log = join(dir, 'bench-failure.log');
        writeFileSync(log, `${out}\n--- stderr\n${err}`);
        reject(
          new Error(`${SCRIPT} ${args[0]} exited ${code} (output: ${log}):\n${err.slice(-3000)}`),
        );
        return;
      }
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      resolve(line ? (JSON.parse(line.slice('BENCH_RESULT '.length)) as DuckResult) : undefined);
    });
  });
}

/**
 * The generated events in the lake: loaded by a control-plane run of load_raw_events (the job
 * `load-raw-events`, as the bulk-load DAG runs it) unless this stack's warehouse already holds
 * the table. Returns the table and its folder.
 */
async function lakeEvents(events: number): Promise<{ table: string; folder: string }> {
  const config = loadConfig();
  const name = `training_set_events_${events}`;
  const table = `${DATABASE}.${name}`;
  const folder = join(sparkDirs(stackContext()).warehouse, `${DATABASE}.db`, name);
  const loaded = join(folder, '.bench-loaded');
  if (existsSync(loaded)) return { table, folder };
  const landing = join(config.control.landingDir, 'bench');
  mkdirSync(landing, { recursive: true, mode: 0o755 });
  const csv = join(landing, `training-set-events-${events}-seed1.csv`);
  await generateEvents(csv, events, 'events');
  chmodSync(csv, 0o644); // Spark runs as the stack's service user
  try {
    await ensureBatchJob(
      'load-raw-events',
      'spark-jobs/load_raw_events.py',
      'Bulk-load a file of raw events into the lake',
    );
    const accepted = await call(
      'POST',
      '/v1/jobs/load-raw-events/runs',
      { args: ['--input', `bench/${csv.split('/').pop()}`, '--table', table] },
      true,
    );
    console.error(`loading them into ${table} (a control-plane run of load_raw_events)`);
    const { summary } = await followRun(accepted, 'load', {
      what: 'load',
      progress: (l) => console.error(l),
      timeoutMs: 3 * HOUR_MS,
    });
    console.error(`loaded: ${JSON.stringify(summary)}`);
    writeFileSync(loaded, JSON.stringify(summary) + '\n');
  } finally {
    rmSync(csv, { force: true });
  }
  return { table, folder };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const events = Number(arg('events', '10000000'));
  const rows = Number(arg('rows', '1000000'));
  const dir = arg('work-dir', join(config.stackDir, 'bench', 'training-set'));
  for (const [name, n] of [
    ['--events', events],
    ['--rows', rows],
  ] as const) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  }
  mkdirSync(dir, { recursive: true });
  ensureDuckdb();
  const definitions = join(dir, 'definitions.json');
  writeFileSync(definitions, JSON.stringify(exportDefinitions(REGISTRY)));
  const features = REGISTRY.features.filter((f) => f.engine === 'stream').map((f) => f.name);

  const lake = await lakeEvents(events);
  const rowsFile = join(dir, `rows-${rows}-of-${events}.parquet`);
  if (!existsSync(rowsFile)) {
    console.error(`making ${fmt(rows)} entity rows into ${rowsFile}`);
    await python(['rows', '--events', lake.folder, '--rows', String(rows), '--out', rowsFile], dir);
  }

  const master = stackSparkSetting('spark.master');
  const driverMemory = stackSparkSetting('spark.driver.memory');
  console.error(`Spark through the control plane and Livy (${master}, ${driverMemory} driver)`);
  const started = Date.now();
  const spark = await trainingSet({
    entities: rowsFile,
    features: features.join(','),
    out: `events_${events}_rows_${rows}`,
    outDatabase: DATABASE,
    table: lake.table,
    progress: (l) => console.error(l),
    timeoutMs: 3 * HOUR_MS,
  });
  const sparkS = (Date.now() - started) / 1000;
  console.error(
    `bench: Spark ${sparkS.toFixed(1)} s (the job itself ${spark.summary.duration_s} s)`,
  );

  const threads = cpus().length;
  const r = await python(
    [
      'compare',
      ...['--definitions', definitions, '--events', lake.folder, '--rows-file', rowsFile],
      ...['--spark-out', spark.summary.path.replace(/^file:/, ''), '--threads', String(threads)],
    ],
    dir,
  );
  if (!r) throw new Error(`${SCRIPT} compare printed no BENCH_RESULT`);
  const sparkRate = r.rows / sparkS;
  const jobRate = r.rows / spark.summary.duration_s;
  const duckRate = r.rows / r.duckdb_s;
  const differing = Object.values(r.differences).reduce((a, b) => a + b, 0);
  console.log(
    `\n${fmt(r.rows)} entity rows × ${r.features.length} stream features over ${fmt(r.events)} ` +
      `events; ${threads} cores; Spark ${master} with a ${driverMemory} ` +
      `driver (run ${spark.run_id}), DuckDB ${r.duckdb_version}\n`,
  );
  console.log('| engine | s | rows/s |');
  console.log('|---|---|---|');
  console.log(`| Spark, request to summary | ${sparkS.toFixed(1)} | ${fmt(sparkRate)} |`);
  console.log(`| Spark, the job itself | ${spark.summary.duration_s} | ${fmt(jobRate)} |`);
  console.log(`| DuckDB | ${r.duckdb_s.toFixed(1)} | ${fmt(duckRate)} |`);
  console.log(
    `\nDuckDB / Spark rows/s: ${(duckRate / sparkRate).toFixed(2)}× (request to summary), ` +
      `${(duckRate / jobRate).toFixed(2)}× (the job itself); values that differ: ${differing} ` +
      `(${JSON.stringify(r.differences)}); Spark rows: ${fmt(r.spark_rows)}, out of order: ` +
      `${r.spark_rows_out_of_order}`,
  );
  writeFileSync(
    join(dir, 'training-set-result.json'),
    JSON.stringify(
      {
        ...r,
        run_id: spark.run_id,
        spark_s: sparkS,
        spark_job_s: spark.summary.duration_s,
        spark_master: master,
        spark_driver_memory: driverMemory,
        spark_rows_per_s: sparkRate,
        duckdb_rows_per_s: duckRate,
      },
      null,
      2,
    ) + '\n',
  );
  const bad = differing > 0 || r.spark_rows_out_of_order > 0 || r.spark_rows !== r.rows;
  if (bad) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
