"""A point-in-time training set timed in Spark and in DuckDB over the same Parquet files.

    spark-submit bench/training_set_bench.py --definitions FILE --parquet DIR --rows N \
        --work-dir DIR [--csv FILE]

With `--csv` (a generated file) and no Parquet yet, Spark first converts it into DIR the way the
lake holds raw events (Parquet partitioned by event_date; not timed). Entity rows (N, Parquet,
one file, a `row_id` column): keys of random events (one row in ten an entity that never
existed) at the event's time ± up to a day (not timed). Then, for every stream feature of the
definitions:

- Spark: spark-jobs/training_set.py's own `run` (rows in, the training set written as Parquet);
- DuckDB: the same point-in-time values in SQL generated here from the same export (`last` by an
  ASOF join on the latest event per (key, time); `last_k` by each row's count of events ≤ t (ASOF)
  and an equi-join on its K sequence numbers; time windows by a RANGE window frame over
  (t − W, t] on the events and the rows unioned), written as Parquet, with as many threads as
  Spark has cores.

The two outputs are compared in DuckDB, row by row (decimals exact, doubles to 1e-9 relative).
Prints one `BENCH_RESULT <json>` line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

JOBS = Path(__file__).resolve().parent.parent / "spark-jobs"
sys.path.insert(0, str(JOBS))

from batch_features import load_definitions  # noqa: E402
from batch_features_bench import convert  # noqa: E402

TYPES = {"int": "BIGINT", "decimal": "DECIMAL(38,2)", "double": "DOUBLE"}


def duck_sql(expr: str) -> str:
    """The export's Spark SQL (identifiers in backticks) as DuckDB reads it."""
    return expr.replace("`", '"')


def duckdb_query(features, src, events: str, rows: str) -> str:
    """One statement: the rows and one column per feature, in row_id order."""
    derived = ", ".join(f"CAST(({duck_sql(sql)}) AS {t}) AS {n}" for n, sql, t in src.derived)
    ctes = [
        f"ev AS (SELECT *{', ' + derived if derived else ''} FROM read_parquet('{events}',"
        " hive_partitioning = true))",
        f"r AS (SELECT *, CAST(event_timestamp AS TIMESTAMP) AS __t FROM read_parquet('{rows}'))",
    ]
    joins = []
    for i, f in enumerate(features):
        keys = list(f.keys)
        on = " AND ".join(f'r."{k}" = e."{k}"' for k in keys)
        value = "1" if f.of is None else f"CAST(({duck_sql(f.of)}) AS {duck_sql(f.of_type)})"
        where = f"({duck_sql(f.filter)}) AND " if f.filter else ""
        ks = ", ".join(f'"{k}"' for k in keys)
        ctes.append(
            f"q{i} AS (SELECT {ks}, {src.event_time} AS t, {src.event_id} AS id, {value} AS v"
            f" FROM ev WHERE {where}{value} IS NOT NULL)"
        )
        w = f"INTERVAL {f.window_ms} MILLISECOND" if f.window_ms else None
        in_window = f" AND e.t > r.__t - {w}" if w else ""
        if f.aggregation == "last":
            ctes.append(f"l{i} AS (SELECT {ks}, t, arg_max(v, id) AS v FROM q{i} GROUP BY {ks}, t)")
            ctes.append(
                f"f{i} AS (SELECT r.row_id, CASE WHEN TRUE{in_window} THEN e.v END AS v"
                f" FROM r ASOF JOIN l{i} e ON {on} AND r.__t >= e.t)"
            )
        elif f.aggregation == "last_k":
            ctes.append(
                f"s{i} AS (SELECT *, row_number() OVER (PARTITION BY {ks} ORDER BY t, id) AS s"
                f" FROM q{i})"
            )
            ctes.append(f"n{i} AS (SELECT {ks}, t, max(s) AS n FROM s{i} GROUP BY {ks}, t)")
            # Each row's K sequence numbers as rows, then an equi-join: a BETWEEN beside the
            # keys is a hash join on the keys alone (every event of a category, at full size).
            rks = ", ".join(f'r."{k}"' for k in keys)
            ctes.append(
                f"x{i} AS (SELECT r.row_id, r.__t, {rks},"
                f" unnest(generate_series(greatest(m.n - {f.k - 1}, 1), m.n)) AS s"
                f" FROM r ASOF JOIN n{i} m ON {on.replace('e.', 'm.')} AND r.__t >= m.t)"
            )
            ctes.append(
                f"f{i} AS (SELECT r.row_id, {reduce_sql(f.reduce, 'e.v')} AS v"
                f" FROM x{i} r JOIN s{i} e ON {on} AND e.s = r.s{in_window}"
                " GROUP BY r.row_id)"
            )
        else:
            # The events and the rows in one RANGE frame over integer microseconds: (t − W, t]
            # is [t − (W − 1), t], and CURRENT ROW takes its peers (events at t count). A range
            # join would pair each row with every event of its key (~10^12 pairs for a category
            # at full size); DuckDB's frames are segment trees.
            frame = (
                f"OVER (PARTITION BY {ks} ORDER BY tu"
                f" RANGE BETWEEN {f.window_ms * 1000 - 1} PRECEDING AND CURRENT ROW)"
            )
            ctes.append(
                f"u{i} AS (SELECT {ks}, epoch_us(t) AS tu, v, NULL::BIGINT AS row_id FROM q{i}"
                f" UNION ALL SELECT {ks}, epoch_us(__t) AS tu, NULL AS v, row_id FROM r)"
            )
            ctes.append(
                f"f{i} AS (SELECT row_id, v FROM (SELECT row_id,"
                f" {reduce_sql(f.aggregation, 'v', frame)} AS v FROM u{i})"
                " WHERE row_id IS NOT NULL)"
            )
        joins.append(f"LEFT JOIN f{i} ON f{i}.row_id = r.row_id")
    cols = ", ".join(
        f'CAST(f{i}.v AS {TYPES[f.type]}) AS "{f.name}"' for i, f in enumerate(features)
    )
    return (
        f"WITH {', '.join(ctes)} SELECT r.* EXCLUDE (__t), {cols} FROM r {' '.join(joins)}"
        " ORDER BY r.row_id"
    )


def reduce_sql(reducer: str, v: str, over: str = "") -> str:
    """The reducer of v as SQL: an aggregate, or a window function with `over`."""
    if reducer == "avg":
        return f"CAST(sum({v}) {over} AS DOUBLE) / nullif(count({v}) {over}, 0)"
    if reducer == "count":
        return f"nullif(count({v}) {over}, 0)"
    return f"{reducer}({v}) {over}"


def entity_rows(spark, parquet: str, out: str, n: int) -> None:
    from pyspark.sql import functions as F  # noqa: N812

    events = spark.read.parquet(parquet)
    total = events.count()
    sample = events.sample(fraction=min(1.0, 1.3 * n / max(total, 1)), seed=3).limit(n)
    ghost = F.rand(5) < 0.1
    rows = sample.select(
        F.when(ghost, F.concat(F.lit("ghost-"), F.col("customer_id")))
        .otherwise(F.col("customer_id"))
        .alias("customer_id"),
        "product_id",
        "category",
        F.expr(
            "timestamp_millis(unix_millis(transaction_date)"
            " + CAST((rand(7) - 0.5) * 172800000 AS BIGINT))"
        ).alias("event_timestamp"),
        (F.rand(9) < 0.5).cast("int").alias("label"),
    ).withColumn("row_id", F.monotonically_increasing_id())
    rows.repartition(1).sortWithinPartitions("row_id").write.mode("overwrite").parquet(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--definitions", required=True)
    p.add_argument("--parquet", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--work-dir", required=True)
    p.add_argument("--csv")
    args = p.parse_args()

    import duckdb
    import training_set
    from pyspark.sql import SparkSession

    # The catalog is in memory: an earlier run's table files would block the new table.
    shutil.rmtree(os.path.join(args.work_dir, "warehouse"), ignore_errors=True)
    spark = (
        SparkSession.builder.appName("bench-training-set")
        .config("spark.sql.warehouse.dir", os.path.join(args.work_dir, "warehouse"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    cores = spark.sparkContext.defaultParallelism
    if not Path(args.parquet).exists():
        if not args.csv:
            raise SystemExit(f"{args.parquet} does not exist: pass --csv to create it")
        convert(spark, args.csv, args.parquet)
    rows_file = os.path.join(args.work_dir, f"rows-{args.rows}.parquet")
    if not Path(rows_file).exists():
        entity_rows(spark, args.parquet, rows_file, args.rows)
    defs = load_definitions(args.definitions)
    features = tuple(f for f in defs.features if f.engine == "stream")
    src = defs.sources[features[0].source]
    spark.read.parquet(args.parquet).createOrReplaceGlobalTempView("bench_events")
    events = spark.table("global_temp.bench_events").count()
    print(f"bench: {events} events, {args.rows} rows, {len(features)} features", flush=True)

    ns = argparse.Namespace(
        definitions=defs,
        features=features,
        entities=rows_file,
        entities_table=None,
        format="parquet",
        timestamp_column="event_timestamp",
        out="bench_out",
        out_database="bench_training_set",
        table="global_temp.bench_events",
        history_table="bench_training_set.no_history",
    )
    started = time.monotonic()
    summary = training_set.run(spark, ns)
    spark_s = time.monotonic() - started
    spark_out = summary["path"].removeprefix("file:")
    print(f"bench: Spark {spark_s:.1f} s", flush=True)
    spark_version = spark.version
    spark.stop()

    con = duckdb.connect()
    con.execute(f"SET threads = {cores}")
    con.execute("SET memory_limit = '2GB'")
    con.execute("SET TimeZone = 'UTC'")
    duck_out = os.path.join(args.work_dir, "duckdb-out.parquet")
    sql = duckdb_query(features, src, f"{args.parquet}/*/*.parquet", rows_file)
    started = time.monotonic()
    con.execute(f"COPY ({sql}) TO '{duck_out}' (FORMAT parquet)")
    duck_s = time.monotonic() - started
    print(f"bench: DuckDB {duck_s:.1f} s", flush=True)

    diffs = {}
    for f in features:
        a, b = f's."{f.name}"', f'd."{f.name}"'
        same = (
            f"(({a} IS NULL AND {b} IS NULL) OR abs({a} - {b}) <= 1e-9 * greatest(1, abs({a})))"
            if f.type == "double"
            else f"{a} IS NOT DISTINCT FROM {b}"
        )
        diffs[f.name] = con.execute(
            f"SELECT count(*) FILTER (WHERE NOT {same}) FROM read_parquet('{spark_out}/*.parquet')"
            f" s JOIN read_parquet('{duck_out}') d USING (row_id)"
        ).fetchone()[0]
    # One file, read in order.
    ids = [
        r[0]
        for r in con.execute(f"SELECT row_id FROM read_parquet('{spark_out}/*.parquet')").fetchall()
    ]
    order = sum(1 for a, b in zip(ids, ids[1:], strict=False) if b < a)
    result = {
        "rows": args.rows,
        "events": events,
        "features": [f.name for f in features],
        "cores": cores,
        "spark_s": spark_s,
        "duckdb_s": duck_s,
        "differences": diffs,
        "spark_rows_out_of_order": order,
        "nulls": summary["nulls"],
        "spark_version": spark_version,
        "duckdb_version": duckdb.__version__,
    }
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
