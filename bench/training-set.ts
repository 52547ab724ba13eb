/**
 * Benchmark: a point-in-time training set of every stream feature (spark-jobs/training_set.py's
 * own `run`, in Spark) beside the same values computed by DuckDB SQL generated from the same
 * export, over the same Parquet files, results compared row by row, in one run.
 *
 *   npm run bench:training-set [-- --events N --rows R --work-dir DIR --driver-memory 2g]
 *
 * N generated events (default 10,000,000; no redeliveries) over 30 days, converted once by Spark
 * into Parquet partitioned by event_date (kept in the work dir, default
 * <stack>/bench/training-set, and reused); R entity rows (default 1,000,000) at random events'
 * keys and times ± a day, one in ten an entity that never existed. Spark runs on
 * FSTORE_SPARK_MASTER (local[2]) with a 2 GB driver (--driver-memory), through spark-submit (Livy adds a fixed
 * submission cost and nothing else); DuckDB with as many threads and 2 GB. Timed: building the
 * training set and writing it as Parquet. Prints seconds, rows/s and the ratio, and the number of
 * values that differ (must be 0); the figures also go to <work dir>/training-set-result.json.
 */
import { rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { loadConfig } from '@fstore/config';
import { arg } from './args';
import { fmt, prepareEvents, runSparkBench } from './spark-bench';

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

async function main(): Promise<void> {
  const config = loadConfig();
  const events = Number(arg('events', '10000000'));
  const rows = Number(arg('rows', '1000000'));
  const dir = arg('work-dir', join(config.stackDir, 'bench', 'training-set'));
  const driverMemory = arg('driver-memory', '2g');
  if (!/^\d+[mg]$/.test(driverMemory)) throw new Error('--driver-memory must be like 2g or 512m');
  for (const [name, n] of [
    ['--events', events],
    ['--rows', rows],
  ] as const) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  }
  const generated = await prepareEvents(dir, events, 'events');
  const args = ['--definitions', generated.definitions, '--parquet', generated.parquet];
  args.push('--rows', String(rows), '--work-dir', dir);
  if (generated.generated) args.push('--csv', generated.csv);
  console.error(`Spark (${config.spark.master}, ${driverMemory} driver) and DuckDB`);
  const r = await runSparkBench<BenchResult>({
    script: 'training_set_bench.py',
    args,
    dir,
    shufflePartitions: 8,
    driverMemory,
    isProgress: (line) => line.startsWith('bench:') || line.startsWith('training_set ['),
  });
  rmSync(generated.csv, { force: true });
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
