/**
 * Benchmark: the seed's four 30-day batch features computed by spark-jobs/batch_features.py's own
 * functions (from the export of the definitions, written to <work dir>/definitions.json) in Spark
 * beside the same aggregation in DuckDB, over the same Parquet files, in one run.
 *
 *   npm run bench:batch [-- --rows N --rounds R --work-dir DIR]
 *
 * N generated rows (default 10,000,000; no redeliveries, no malformed rows) over 30 days, all
 * inside the window of T = the end of those days; converted once by Spark into Parquet
 * partitioned by event_date, the lake's layout and column types (kept in the work dir, default
 * <stack>/bench/batch-features, and reused; the CSV is deleted). Timed: the aggregation only,
 * R rounds per engine (default 2; the first Spark round includes JIT warm-up), Spark on
 * FSTORE_SPARK_MASTER (local[2]) with a 2 GB driver, DuckDB with as many threads and 2 GB. The two
 * results must be equal. Prints rows/s per engine (best round), the ratio and an estimate for
 * 100 M rows: the engine's fixed cost per run (measured with a window that holds no data) plus
 * the per-row cost measured here (measured instead with --rows 100000000). The figures also go
 * to <work dir>/batch-features-result.json.
 * DuckDB comes from bench/requirements.txt, installed into the project venv when missing
 * (runSparkBench).
 */
import { rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { loadConfig } from '@fstore/config';
import { arg } from './args';
import { fmt, prepareEvents, runSparkBench } from './spark-bench';

const AS_OF = '2024-01-31T00:00:00Z';
const EXTRAPOLATE_TO = 100_000_000;

interface BenchResult {
  rows: number;
  keys: number;
  cores: number;
  spark: number[];
  duckdb: number[];
  spark_empty: number;
  duckdb_empty: number;
  spark_version: string;
  duckdb_version: string;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const rows = Number(arg('rows', '10000000'));
  const rounds = Math.max(1, Number(arg('rounds', '2')));
  const dir = arg('work-dir', join(config.stackDir, 'bench', 'batch-features'));
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a positive integer`);

  const events = await prepareEvents(dir, rows, 'rows');
  const args = ['--definitions', events.definitions, '--parquet', events.parquet, '--as-of', AS_OF];
  args.push('--rounds', String(rounds));
  if (events.generated) args.push('--csv', events.csv);
  console.error(`Spark (${config.spark.master}, 2 GB driver) and DuckDB, ${rounds} round(s) each`);
  const r = await runSparkBench<BenchResult>({
    script: 'batch_features_bench.py',
    args,
    dir,
    shufflePartitions: 4,
    driverMemory: '2g',
    isProgress: (line) => line.startsWith('bench:'),
  });
  rmSync(events.csv, { force: true });

  const best = (xs: number[]) => Math.min(...xs);
  const sparkRate = r.rows / best(r.spark);
  const duckRate = r.rows / best(r.duckdb);
  // 100 M rows: measured when this run generated them, else the fixed cost of a run (the empty
  // window) plus the per-row cost measured here.
  const measured100M = rows === EXTRAPOLATE_TO;
  const at100M = (xs: number[], fixed: number) =>
    measured100M ? best(xs) : fixed + (Math.max(0, best(xs) - fixed) * EXTRAPOLATE_TO) / r.rows;
  const how100M = measured100M ? 'measured' : 'estimate';
  const sparkAt100M = at100M(r.spark, r.spark_empty);
  const duckAt100M = at100M(r.duckdb, r.duckdb_empty);
  const secs = (xs: number[]) => xs.map((s) => s.toFixed(2)).join(', ');
  console.log(
    `\n${fmt(r.rows)} rows in the window (${fmt(rows)} generated), ${fmt(r.keys)} feature values; ` +
      `as of ${AS_OF}; ${r.cores} cores; Spark ${r.spark_version}, DuckDB ${r.duckdb_version}\n`,
  );
  console.log(`| engine | s per round | s, empty window | best rows/s | 100 M rows (${how100M}) |`);
  console.log('|---|---|---|---|---|');
  const rowsOf = [
    ['Spark', r.spark, r.spark_empty, sparkRate, sparkAt100M],
    ['DuckDB', r.duckdb, r.duckdb_empty, duckRate, duckAt100M],
  ] as const;
  for (const [name, xs, empty, rate, est] of rowsOf) {
    const row = [name, secs(xs), empty.toFixed(2), fmt(rate), `${est.toFixed(0)} s`];
    console.log(`| ${row.join(' | ')} |`);
  }
  console.log(
    `\nDuckDB / Spark rows/s: ${(duckRate / sparkRate).toFixed(2)}×; Spark / DuckDB time at ` +
      `100 M rows: ${(sparkAt100M / duckAt100M).toFixed(2)}× (` +
      (measured100M
        ? 'measured: the best rounds of this run).'
        : 'estimate: the fixed cost of a run, measured with an empty window, + the per-row ' +
          'cost measured here; --rows 100000000 measures it).'),
  );
  writeFileSync(
    join(dir, 'batch-features-result.json'),
    JSON.stringify(
      {
        ...r,
        generated: rows,
        as_of: AS_OF,
        spark_rows_per_s: sparkRate,
        duckdb_rows_per_s: duckRate,
        spark_100m_s: sparkAt100M,
        duckdb_100m_s: duckAt100M,
        at_100m: how100M,
      },
      null,
      2,
    ) + '\n',
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
