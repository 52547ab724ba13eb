"""Bulk-load one file of raw events into the Hive raw table (docs/design.md §2, §5).

    spark-submit load_raw_events.py --input /data/ecommerce_transactions.csv \
        [--format csv|ndjson] [--table ecommerce.transactions] [--rejects-table DB.TABLE] \
        [--source-name NAME]

Input: CSV with the seed's header (optionally followed by an EventID column), or NDJSON in the
producer's message format (snake_case fields). A record never spans lines; blank lines are not
records.

Output: `ecommerce.transactions` (Parquet, partitioned by `event_date`, the UTC date of
transaction_date). A row that breaks a rule of docs/design.md §2 goes to the rejects table
(default `<table>_rejects`) with the field, the rule, the reason and the original line: every
input line is accounted for (read = loaded + duplicates + rejected).

event_id: the input's, or, when absent, derived exactly as the producer derives it
(libs/events/src/event-id.ts): UUIDv5(EVENT_ID_NAMESPACE, "<file basename>:<line>"), line =
1-based physical line (the CSV header is line 1), so the lake and Kafka carry the same ids.

Idempotent: an event_id already in the table (in the partitions the file touches) is not loaded
again, nor is a rejected line already recorded for the same file; loading the same file twice
changes nothing. The job prints one JSON summary line prefixed with `LOAD_SUMMARY `.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from fstore_lake import emit_line, ship_to_executors
from fstore_lake.raw_event import event_values, parse_csv_header, parse_line
from fstore_lake.tables import (
    REJECT_SCHEMA,
    append_new_events,
    append_new_rejects,
    ensure_tables,
    event_schema,
    is_table_name,
)


def detect_format(path: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    lower = path.lower()
    if lower.endswith((".ndjson", ".jsonl", ".json")):
        return "ndjson"
    if lower.endswith(".csv"):
        return "csv"
    raise SystemExit(f"cannot tell the format of {path}: pass --format csv|ndjson")


def run(spark, args: argparse.Namespace) -> dict:
    from pyspark.sql import types as T  # noqa: N812

    fmt = detect_format(args.input, args.format)
    source_name = args.source_name or os.path.basename(args.input)
    table, rejects = args.table, args.rejects_table or f"{args.table}_rejects"
    ensure_tables(spark, table, rejects)
    ship_to_executors(spark)

    # (physical line number, text); zipWithIndex follows the file's order.
    lines = (
        spark.sparkContext.textFile(args.input)
        .zipWithIndex()
        .map(lambda t: (t[1] + 1, t[0].rstrip("\r")))
    )
    layout = None
    if fmt == "csv":
        first = lines.filter(lambda t: t[0] == 1).collect()
        if not first:
            raise SystemExit(f"{args.input} is empty: a CSV needs the seed's header")
        layout = parse_csv_header(first[0][1])
    data = lines.filter(lambda t: t[1].strip() != "" and not (fmt == "csv" and t[0] == 1))

    def parse(t):
        line_no, text = t
        event, rejected = parse_line(fmt, layout, source_name, line_no, text)
        if event is None:
            return (False, line_no, text, None, *rejected)
        return (True, line_no, text, event_values(event), None, None, None)

    parsed = data.map(parse).cache()
    good = spark.createDataFrame(
        parsed.filter(lambda r: r[0]).map(lambda r: (*r[3], source_name, r[1])),
        event_schema(T),
    )
    bad = spark.createDataFrame(
        parsed.filter(lambda r: not r[0]).map(lambda r: (source_name, r[1], *r[4:7], r[2])),
        REJECT_SCHEMA,
    )

    events = append_new_events(spark, table, good)
    rejected = parsed.filter(lambda r: not r[0]).count()
    rejects_recorded = append_new_rejects(spark, rejects, bad)
    dates = events["dates"]
    summary = {
        "input": args.input,
        "format": fmt,
        "source_name": source_name,
        "table": table,
        "rejects_table": rejects,
        "lines": data.count(),
        "valid": events["valid"],
        "rejected": rejected,
        "duplicates_in_file": events["duplicates_in_batch"],
        "already_loaded": events["already_loaded"],
        "loaded": events["loaded"],
        "rejects_recorded": rejects_recorded,
        "partitions": len(dates),
        "first_date": str(dates[0]) if dates else None,
        "last_date": str(dates[-1]) if dates else None,
    }
    emit_line("LOAD_SUMMARY " + json.dumps(summary))
    return summary


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="a local or file:// path of one file")
    p.add_argument("--format", choices=["csv", "ndjson"], help="default: from the extension")
    p.add_argument("--table", default="ecommerce.transactions", help="database.table")
    p.add_argument("--rejects-table", help="database.table (default: <table>_rejects)")
    p.add_argument("--source-name", help="name in derived event_ids (default: file basename)")
    args = p.parse_args(argv)
    for name in (args.table, args.rejects_table):
        if name is not None and not is_table_name(name):
            p.error(f"{name!r} is not database.table")
    return args


def main(argv: list[str]) -> None:
    from pyspark.sql import SparkSession

    args = parse_args(argv)
    spark = SparkSession.builder.appName("load_raw_events").enableHiveSupport().getOrCreate()
    try:
        run(spark, args)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
