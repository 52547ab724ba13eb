"""The DuckDB side of bench:training-set: the entity rows, and the reference the Spark run
through the control plane (and Livy) is compared with, over the same Parquet files of the lake.

    python bench/training_set_bench.py rows --events DIR --rows N --out FILE
    python bench/training_set_bench.py compare --definitions FILE --events DIR --rows-file FILE \
        --spark-out DIR --threads N

`rows`: N entity rows (Parquet, one file, a `row_id` column in order) at the keys of events
picked by a hash of their ids (one row in ten an entity that never existed), at the event's time
± up to a day, with a `label` column passed through.

`compare`: for every stream feature of the definitions, the same point-in-time values in SQL
generated here from the same export (`last` by an ASOF join on the latest event per (key, time);
`last_k` by each row's count of events ≤ t (ASOF) and an equi-join on its K sequence numbers;
time windows by a RANGE window frame over (t − W, t] on the events and the rows unioned), written
as Parquet and timed; then the Spark output is compared with it row by row (decimals exact,
doubles to 1e-9 relative) and its row order checked. Prints one `BENCH_RESULT <json>` line.

DIR is the lake table's folder (Parquet partitioned by event_date, as load_raw_events writes it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

JOBS = Path(__file__).resolve().parent.parent / "spark-jobs"
sys.path.insert(0, str(JOBS))

from batch_features import load_definitions  # noqa: E402

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


def lake_events(events_dir: str) -> str:
    """The lake table's data files (Spark names a Hive table's files part-*, no extension)."""
    return f"{events_dir}/event_date=*/part-*"


def connect(threads: int):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET memory_limit = '2GB'")
    con.execute("SET TimeZone = 'UTC'")
    return con


def entity_rows(events_dir: str, out: str, n: int) -> None:
    """N rows at events picked by a hash of their ids: the same rows for the same lake."""
    con = connect(os.cpu_count() or 1)
    pick = "hash(event_id || ':pick')"
    con.execute(
        "COPY (SELECT * EXCLUDE (pick) FROM (SELECT"
        " CASE WHEN hash(event_id || ':ghost') % 10 = 0 THEN 'ghost-' || customer_id"
        "  ELSE customer_id END AS customer_id, product_id, category,"
        " CAST(CAST(transaction_date AS TIMESTAMP) + to_milliseconds("
        "  CAST(hash(event_id || ':time') % 172800000 AS BIGINT) - 86400000) AS TIMESTAMPTZ)"
        "  AS event_timestamp,"
        " CAST(hash(event_id || ':label') % 2 AS INTEGER) AS label,"
        f" row_number() OVER (ORDER BY {pick}, event_id) - 1 AS row_id, {pick} AS pick"
        f" FROM read_parquet('{lake_events(events_dir)}', hive_partitioning = true))"
        f" WHERE row_id < {n} ORDER BY row_id) TO '{out}' (FORMAT parquet)"
    )


def compare(args: argparse.Namespace) -> None:
    import duckdb

    defs = load_definitions(args.definitions)
    features = tuple(f for f in defs.features if f.engine == "stream")
    src = defs.sources[features[0].source]
    con = connect(args.threads)
    events_glob = lake_events(args.events)
    events = con.execute(f"SELECT count(*) FROM read_parquet('{events_glob}')").fetchone()[0]
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{args.rows_file}')").fetchone()[0]
    print(f"bench: DuckDB over {events} events, {rows} rows, {len(features)} features", flush=True)
    duck_out = os.path.join(os.path.dirname(args.rows_file), "duckdb-out.parquet")
    sql = duckdb_query(features, src, events_glob, args.rows_file)
    started = time.monotonic()
    con.execute(f"COPY ({sql}) TO '{duck_out}' (FORMAT parquet)")
    duck_s = time.monotonic() - started
    print(f"bench: DuckDB {duck_s:.1f} s", flush=True)

    spark_out = f"{args.spark_out}/*.parquet"
    diffs = {}
    for f in features:
        a, b = f's."{f.name}"', f'd."{f.name}"'
        same = (
            f"(({a} IS NULL AND {b} IS NULL) OR abs({a} - {b}) <= 1e-9 * greatest(1, abs({a})))"
            if f.type == "double"
            else f"{a} IS NOT DISTINCT FROM {b}"
        )
        diffs[f.name] = con.execute(
            f"SELECT count(*) FILTER (WHERE NOT {same}) FROM read_parquet('{spark_out}')"
            f" s JOIN read_parquet('{duck_out}') d USING (row_id)"
        ).fetchone()[0]
    spark_rows = con.execute(f"SELECT count(*) FROM read_parquet('{spark_out}')").fetchone()[0]
    # One file, read in order.
    ids = [r[0] for r in con.execute(f"SELECT row_id FROM read_parquet('{spark_out}')").fetchall()]
    order = sum(1 for a, b in zip(ids, ids[1:], strict=False) if b < a)
    result = {
        "rows": rows,
        "spark_rows": spark_rows,
        "events": events,
        "features": [f.name for f in features],
        "threads": args.threads,
        "duckdb_s": duck_s,
        "differences": diffs,
        "spark_rows_out_of_order": order,
        "duckdb_version": duckdb.__version__,
    }
    print("BENCH_RESULT " + json.dumps(result), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("rows", help="make the entity rows")
    r.add_argument("--events", required=True, help="the lake table's folder")
    r.add_argument("--rows", type=int, required=True)
    r.add_argument("--out", required=True)
    c = sub.add_parser("compare", help="the DuckDB reference, timed, and the comparison")
    c.add_argument("--definitions", required=True)
    c.add_argument("--events", required=True, help="the lake table's folder")
    c.add_argument("--rows-file", required=True)
    c.add_argument("--spark-out", required=True, help="the Spark training set's folder")
    c.add_argument("--threads", type=int, required=True)
    args = p.parse_args()
    if args.command == "rows":
        entity_rows(args.events, args.out, args.rows)
    else:
        compare(args)


if __name__ == "__main__":
    main()
