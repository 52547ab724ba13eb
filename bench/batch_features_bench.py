"""The batch feature aggregation timed in Spark and in DuckDB over the same Parquet files.

    spark-submit bench/batch_features_bench.py --definitions FILE --parquet DIR --as-of T \
        [--csv FILE] [--rounds R]

With `--csv` (a generated file: the seed's header plus EventID) and no Parquet yet, Spark first
converts it into DIR the way the lake holds raw events (Parquet, partitioned by event_date, the
table's column types); that part is not timed. Then, R rounds each, the same aggregation:

- Spark: spark-jobs/batch_features.py's own computation (`compute_features`: the read window's
  partitions, one aggregation by the union of the key columns rolled up per entity, the values as
  text) of the seed's four batch features from the definitions' export (`--definitions`, the JSON
  of `fstore features export`), collected;
- DuckDB: the same four in one SQL statement over the same files (hive partitioning), with as
  many threads as Spark has cores (hand-written: it stands for the seed's definitions only).

The two results must be equal (exact decimals; means to 1e-9 relative). Each engine also runs
once more, as of a time whose window holds no data: its fixed cost per run. Prints one
`BENCH_RESULT <json>` line: rows in the window, seconds per round and of the empty run for each
engine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

JOBS = Path(__file__).resolve().parent.parent / "spark-jobs"
sys.path.insert(0, str(JOBS))

from batch_features import (  # noqa: E402
    compute_features,
    format_double,
    load_definitions,
    parse_as_of,
    read_window_ms,
    select_features,
    window_of,
)

# The features DUCKDB_SQL computes (DESIGN.md §3).
SEED_BATCH_FEATURES = [
    "avg_review_rating",
    "revenue_by_category",
    "revenue_by_product",
    "units_sold",
]

CSV_SCHEMA = (
    "customer_id STRING, product_id STRING, category STRING, price DECIMAL(10,2), quantity INT,"
    " transaction_date TIMESTAMP, review_rating INT, review_text STRING, customer_age INT,"
    " customer_gender STRING, country STRING, device_type STRING, browsing_duration INT,"
    " previous_purchases INT, event_id STRING"
)

DUCKDB_SQL = """
WITH events AS (
    SELECT product_id, category, price, quantity, review_rating
    FROM read_parquet('{files}', hive_partitioning = true)
    WHERE event_date BETWEEN DATE '{first_date}' AND DATE '{last_date}'
      AND transaction_date > TIMESTAMP '{start}' AND transaction_date <= TIMESTAMP '{end}'
), pairs AS (
    SELECT product_id, category, sum(quantity) AS units, sum(price * quantity) AS revenue,
           sum(review_rating) AS rating_sum, count(review_rating) AS rated, count(*) AS events
    FROM events GROUP BY product_id, category
), products AS (
    SELECT product_id, sum(units) AS units, sum(revenue) AS revenue,
           sum(rating_sum) AS rating_sum, sum(rated) AS rated
    FROM pairs GROUP BY product_id
), categories AS (
    SELECT category, sum(revenue) AS revenue FROM pairs GROUP BY category
)
SELECT 'units_sold:{{' || product_id || '}}', units::VARCHAR, NULL FROM products
UNION ALL SELECT 'revenue_by_product:{{' || product_id || '}}', revenue::VARCHAR, NULL FROM products
UNION ALL SELECT 'avg_review_rating:{{' || product_id || '}}', NULL, rating_sum::DOUBLE / rated
    FROM products WHERE rated > 0
UNION ALL SELECT 'revenue_by_category:{{' || category || '}}', revenue::VARCHAR, NULL
    FROM categories
UNION ALL SELECT '#events', (SELECT sum(events) FROM pairs)::VARCHAR, NULL
"""


def convert(spark, csv: str, parquet: str) -> None:
    from pyspark.sql import functions as F  # noqa: N812

    started = time.monotonic()
    df = (
        spark.read.option("header", True)
        .option("escape", '"')
        .option("timestampFormat", "yyyy-MM-dd HH:mm:ss")
        .option("mode", "FAILFAST")
        .schema(CSV_SCHEMA)
        .csv(csv)
        .withColumn("event_date", F.to_date("transaction_date"))
    )
    tmp = parquet.rstrip("/") + ".tmp"
    df.repartition("event_date").write.mode("overwrite").partitionBy("event_date").parquet(tmp)
    os.replace(tmp, parquet)
    print(
        f"bench: converted {csv} into {parquet} in {time.monotonic() - started:.0f} s", flush=True
    )


def spark_round(spark, parquet: str, defs, features, as_of) -> tuple[float, dict[str, str], int]:
    started = time.monotonic()
    src = defs.sources[features[0].source]
    c = compute_features(spark.read.parquet(parquet), src, features, as_of)
    values = {r.key: r.value for r in c.features.select("key", "value").collect()}
    seconds = time.monotonic() - started
    c.unpersist()
    return seconds, values, c.rows_read


def duckdb_round(con, parquet: str, w) -> tuple[float, dict[str, str], int]:
    sql = DUCKDB_SQL.format(
        files=f"{parquet}/*/*.parquet",
        first_date=w.first_date.isoformat(),
        last_date=w.last_date.isoformat(),
        start=w.start.strftime("%Y-%m-%d %H:%M:%S.%f"),
        end=w.end.strftime("%Y-%m-%d %H:%M:%S.%f"),
    )
    started = time.monotonic()
    result = con.execute(sql).fetchall()
    values = {k: v if d is None else format_double(d) for k, v, d in result}
    seconds = time.monotonic() - started
    rows = int(values.pop("#events") or 0)
    return seconds, values, rows


def differences(a: dict[str, str], b: dict[str, str], doubles: set[str]) -> list[str]:
    out = [f"{k}: only in Spark" for k in a.keys() - b.keys()]
    out += [f"{k}: only in DuckDB" for k in b.keys() - a.keys()]
    for k in a.keys() & b.keys():
        if k.split(":", 1)[0] in doubles:
            x, y = float(a[k]), float(b[k])
            same = abs(x - y) <= 1e-9 * max(1.0, abs(x))
        else:
            same = Decimal(a[k]) == Decimal(b[k]) and a[k] == b[k]
        if not same:
            out.append(f"{k}: Spark {a[k]}, DuckDB {b[k]}")
    return sorted(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--definitions", required=True, help="the JSON of `fstore features export`")
    p.add_argument("--parquet", required=True)
    p.add_argument("--as-of", required=True)
    p.add_argument("--csv")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument(
        "--empty-as-of",
        default="2000-01-01T00:00:00Z",
        help="an as-of whose window holds no data: the engines' fixed cost per run",
    )
    args = p.parse_args()

    import duckdb
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("bench-batch-features").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    # The executors import batch_features too (the double-formatting UDF).
    spark.sparkContext.addPyFile(str(JOBS / "batch_features.py"))
    cores = spark.sparkContext.defaultParallelism
    spark_version = spark.version
    if not Path(args.parquet).exists():
        if not args.csv:
            raise SystemExit(f"{args.parquet} does not exist: pass --csv to create it")
        convert(spark, args.csv, args.parquet)
    defs = load_definitions(args.definitions)
    features = select_features(defs, SEED_BATCH_FEATURES)
    as_of, empty_as_of = parse_as_of(args.as_of), parse_as_of(args.empty_as_of)
    w = window_of(as_of, read_window_ms(features))
    empty = window_of(empty_as_of, read_window_ms(features))

    result: dict = {"cores": cores, "spark": [], "duckdb": []}
    spark_values: dict[str, str] = {}
    for i in range(args.rounds):
        seconds, spark_values, rows = spark_round(spark, args.parquet, defs, features, as_of)
        result["spark"].append(seconds)
        result["rows"] = rows
        print(f"bench: Spark round {i + 1}: {rows} rows in {seconds:.2f} s", flush=True)
    result["spark_empty"], _, n = spark_round(spark, args.parquet, defs, features, empty_as_of)
    assert n == 0, f"the window of {args.empty_as_of} holds {n} rows"
    spark.stop()

    con = duckdb.connect()
    con.execute(f"SET threads = {cores}")
    con.execute("SET memory_limit = '2GB'")
    con.execute("SET TimeZone = 'UTC'")
    duck_values: dict[str, str] = {}
    for i in range(args.rounds):
        seconds, duck_values, rows = duckdb_round(con, args.parquet, w)
        result["duckdb"].append(seconds)
        if rows != result["rows"]:
            raise SystemExit(f"DuckDB read {rows} rows in the window, Spark {result['rows']}")
        print(f"bench: DuckDB round {i + 1}: {rows} rows in {seconds:.2f} s", flush=True)
    result["duckdb_empty"], _, n = duckdb_round(con, args.parquet, empty)
    assert n == 0, f"the window of {args.empty_as_of} holds {n} rows"

    diff = differences(spark_values, duck_values, {f.name for f in features if f.type == "double"})
    if diff:
        raise SystemExit("Spark and DuckDB disagree:\n" + "\n".join(diff[:20]))
    result["keys"] = len(spark_values)
    result["duckdb_version"] = duckdb.__version__
    result["spark_version"] = spark_version
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
