/**
 * What the Spark-versus-DuckDB benchmarks share: the generated events (batch-features.ts converts
 * them once into Parquet; training-set.ts loads them into the lake), DuckDB, and the spark-submit
 * of batch-features' Python script with its result read back.
 */
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { REGISTRY } from '@fstore/contracts';
import { exportDefinitions } from '@fstore/definitions';
import { generate } from '@fstore/generator';
import { projectVenv, sparkHome } from '../apps/cli/src/stack/spark';

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The first day and the span of the generated events. */
export const EVENTS_START = '2024-01-01';
export const EVENTS_SPAN_DAYS = 30;

/**
 * Prepares the work dir (an empty Spark configuration directory, the definitions' export) and,
 * when the Parquet of `events` generated rows is not there yet, generates them as CSV for the
 * bench script to convert. Returns the script's common arguments and the CSV path (deleted by
 * the caller after the run).
 */
export async function prepareEvents(
  dir: string,
  events: number,
  what: string,
): Promise<{ parquet: string; definitions: string; csv: string; generated: boolean }> {
  mkdirSync(join(dir, 'no-spark-conf'), { recursive: true });
  const parquet = join(dir, `events-${events}-seed1.parquet`);
  const definitions = join(dir, 'definitions.json');
  writeFileSync(definitions, JSON.stringify(exportDefinitions(REGISTRY)));
  const csv = join(dir, `events-${events}-seed1.csv`);
  if (existsSync(parquet)) return { parquet, definitions, csv, generated: false };
  await generateEvents(csv, events, what);
  return { parquet, definitions, csv, generated: true };
}

/** The benchmarks' events: `events` generated rows (seed 1, no redeliveries) as CSV. */
export async function generateEvents(csv: string, events: number, what: string): Promise<void> {
  console.error(`generating ${fmt(events)} ${what} into ${csv}`);
  await generate({
    rows: events,
    seed: 1,
    out: csv,
    start: EVENTS_START,
    spanDays: EVENTS_SPAN_DAYS,
    duplicates: 0,
    malformed: 0,
    progress: true,
  });
}

export interface SparkBenchRun {
  /** The bench script in bench/. */
  script: string;
  args: string[];
  /** The work dir: Spark's local dirs, the empty Spark configuration, the failure log. */
  dir: string;
  shufflePartitions: number;
  /** spark.driver.memory (local mode: the executors' too), e.g. `2g`. */
  driverMemory: string;
  /** Which of the script's stdout lines are progress, echoed to stderr. */
  isProgress: (line: string) => boolean;
}

/** DuckDB, the reference of both benchmarks: bench/requirements.txt into the project venv. */
export function ensureDuckdb(): void {
  const python = projectVenv().python;
  if (spawnSync(python, ['-c', 'import duckdb']).status === 0) return;
  const requirements = join(PROJECT_ROOT, 'bench', 'requirements.txt');
  console.error(`installing ${requirements} into ${projectVenv().root}`);
  const pip = spawnSync(python, ['-m', 'pip', 'install', '-q', '-r', requirements], {
    stdio: 'inherit',
  });
  if (pip.status !== 0) throw new Error(`pip install -r ${requirements} failed`);
}

/**
 * spark-submit of a bench script (DuckDB installed first when missing); its progress lines go to
 * stderr, its BENCH_RESULT is parsed.
 */
export function runSparkBench<T>(run: SparkBenchRun): Promise<T> {
  const { dir } = run;
  ensureDuckdb();
  const config = loadConfig();
  const tmp = join(dir, 'spark-tmp');
  mkdirSync(tmp, { recursive: true });
  const submit = [
    ...['--master', config.spark.master, '--driver-memory', run.driverMemory],
    ...['--conf', 'spark.ui.enabled=false', '--conf', 'spark.sql.session.timeZone=UTC'],
    ...['--conf', 'spark.driver.extraJavaOptions=-Duser.timezone=UTC'],
    ...['--conf', `spark.sql.shuffle.partitions=${run.shufflePartitions}`],
    join(PROJECT_ROOT, 'bench', run.script),
    ...run.args,
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
        if (run.isProgress(line)) console.error(line);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('BENCH_RESULT '.length)) as T);
      else {
        const log = join(dir, 'bench-failure.log');
        writeFileSync(log, `${out}\n--- stderr\n${err}`);
        const tail = [...err.split('\n').slice(-30), ...out.split('\n').slice(-10)].join('\n');
        reject(new Error(`the benchmark run exited ${code} (output: ${log}):\n${tail}`));
      }
    });
  });
}
