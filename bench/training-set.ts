/**
 * Benchmark: a point-in-time training set of every stream feature (spark-jobs/training_set.py's
 * own `run`, in Spark) beside the same values computed by DuckDB SQL generated from the same
 * export, over the same Parquet files, results compared row by row, in one run.
 *
 *   npm run bench:training-set [-- --events N --rows R --work-dir DIR]
 *
 * N generated events (default 10,000,000; no redeliveries) over 30 days, converted once by Spark
 * into Parquet partitioned by event_date (kept in the work dir, default
 * <stack>/bench/training-set, and reused); R entity rows (default 1,000,000) at random events'
 * keys and times ± a day, one in ten an entity that never existed. Spark runs on
 * FSTORE_SPARK_MASTER (local[2]) with a 2 GB driver, through spark-submit (Livy adds a fixed
 * submission cost and nothing else); DuckDB with as many threads and 2 GB. Timed: building the
 * training set and writing it as Parquet. Prints seconds, rows/s and the ratio, and the number of
 * values that differ (must be 0); the figures also go to <work dir>/training-set-result.json.
 */
import { spawn } from 'child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { REGISTRY } from '@fstore/contracts';
import { exportDefinitions } from '@fstore/definitions';
import { generate } from '@fstore/generator';
import { projectVenv, sparkHome } from '../apps/cli/src/stack/spark';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

interface BenchResult {
  rows: number;
  events: number;
  features: string[];
  cores: number;
  spark_s: number;
  duckdb_s: number;
  differences: Record<string, number>;
  spark_rows_out_of_order: number;
  spark_version: string;
  duckdb_version: string;
}

function runBench(args: string[], dir: string): Promise<BenchResult> {
  const config = loadConfig();
  const tmp = join(dir, 'spark-tmp');
  mkdirSync(tmp, { recursive: true });
  const submit = [
    ...['--master', config.spark.master, '--driver-memory', '2g'],
    ...['--conf', 'spark.ui.enabled=false', '--conf', 'spark.sql.session.timeZone=UTC'],
    ...['--conf', 'spark.driver.extraJavaOptions=-Duser.timezone=UTC'],
    ...['--conf', 'spark.sql.shuffle.partitions=8'],
    join(PROJECT_ROOT, 'bench', 'training_set_bench.py'),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(join(sparkHome(), 'bin', 'spark-submit'), submit, {
      env: {
        ...process.env,
        SPARK_HOME: sparkHome(),
        JAVA_HOME: config.spark.javaHome,
        PYSPARK_PYTHON: projectVenv().python,
        PYSPARK_DRIVER_PYTHON: projectVenv().python,
        SPARK_LOCAL_IP: config.host,
        SPARK_LOCAL_DIRS: tmp,
        // Not the stack's Spark configuration: no Hive metastore, nothing but the files.
        SPARK_CONF_DIR: join(dir, 'no-spark-conf'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of d.toString().split('\n')) {
        if (line.startsWith('bench:') || line.startsWith('training_set [')) console.error(line);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('BENCH_RESULT '.length)));
      else {
        const log = join(dir, 'bench-failure.log');
        writeFileSync(log, `${out}\n--- stderr\n${err}`);
        const tail = [...err.split('\n').slice(-30), ...out.split('\n').slice(-10)].join('\n');
        reject(new Error(`the benchmark run exited ${code} (output: ${log}):\n${tail}`));
      }
    });
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

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
  mkdirSync(join(dir, 'no-spark-conf'), { recursive: true });
  const parquet = join(dir, `events-${events}-seed1.parquet`);
  const definitions = join(dir, 'definitions.json');
  writeFileSync(definitions, JSON.stringify(exportDefinitions(REGISTRY)));
  const args = ['--definitions', definitions, '--parquet', parquet];
  args.push('--rows', String(rows), '--work-dir', dir);
  const csv = join(dir, `events-${events}-seed1.csv`);
  if (!existsSync(parquet)) {
    console.error(`generating ${fmt(events)} events into ${csv}`);
    await generate({
      rows: events,
      seed: 1,
      out: csv,
      start: '2024-01-01',
      spanDays: 30,
      duplicates: 0,
      malformed: 0,
      progress: true,
    });
    args.push('--csv', csv);
  }
  console.error(`Spark (${config.spark.master}, 2 GB driver) and DuckDB`);
  const r = await runBench(args, dir);
  rmSync(csv, { force: true });
  const sparkRate = r.rows / r.spark_s;
  const duckRate = r.rows / r.duckdb_s;
  const differing = Object.values(r.differences).reduce((a, b) => a + b, 0);
  console.log(
    `\n${fmt(r.rows)} entity rows × ${r.features.length} stream features over ${fmt(r.events)} ` +
      `events; ${r.cores} cores; Spark ${r.spark_version}, DuckDB ${r.duckdb_version}\n`,
  );
  console.log('| engine | s | rows/s |');
  console.log('|---|---|---|');
  console.log(`| Spark | ${r.spark_s.toFixed(1)} | ${fmt(sparkRate)} |`);
  console.log(`| DuckDB | ${r.duckdb_s.toFixed(1)} | ${fmt(duckRate)} |`);
  console.log(
    `\nDuckDB / Spark rows/s: ${(duckRate / sparkRate).toFixed(2)}×; values that differ: ` +
      `${differing} (${JSON.stringify(r.differences)}); Spark rows out of order: ` +
      `${r.spark_rows_out_of_order}`,
  );
  writeFileSync(
    join(dir, 'training-set-result.json'),
    JSON.stringify({ ...r, spark_rows_per_s: sparkRate, duckdb_rows_per_s: duckRate }, null, 2) +
      '\n',
  );
  if (differing > 0 || r.spark_rows_out_of_order > 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
