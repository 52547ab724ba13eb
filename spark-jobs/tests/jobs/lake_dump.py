"""Medium-test fixture: dumps a raw table, its rejects and its Kafka offsets as NDJSON files.

    spark-submit lake_dump.py DB.TABLE --out DIR [--drop-database DB…]

Writes DIR/events.ndjson (every row; price as text with 2 decimals, transaction_date as UTC
`yyyy-MM-dd HH:mm:ss.SSS`, event_date as `yyyy-MM-dd`), DIR/rejects.ndjson and DIR/offsets.ndjson
(when the tables exist), and prints one `LAKE_DUMP <json>` line with the partition count and the
rows whose partition is not the UTC date of transaction_date. Then drops the given databases.
"""

import argparse
import json
import os

from fixture_session import fixture_session
from pyspark.sql import functions as F  # noqa: N812


def dump(df, path: str) -> int:
    rows = [r.asDict() for r in df.collect()]
    with open(path, "w") as out:
        for row in rows:
            out.write(json.dumps(row, default=str) + "\n")
    return len(rows)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("table")
    p.add_argument("--out", required=True)
    p.add_argument("--drop-database", action="append", default=[])
    args = p.parse_args()
    with fixture_session("lake_dump", args.drop_database) as spark:
        os.makedirs(args.out, exist_ok=True)
        events = spark.table(args.table)
        text = {
            "price": F.col("price").cast("string"),
            "transaction_date": F.date_format("transaction_date", "yyyy-MM-dd HH:mm:ss.SSS"),
            "event_date": F.date_format("event_date", "yyyy-MM-dd"),
            "loaded_at": F.col("loaded_at").cast("string"),
        }
        columns = [text.get(c, F.col(c)).alias(c) for c in events.columns]
        report = {
            "rows": dump(events.select(*columns), os.path.join(args.out, "events.ndjson")),
            "partitions": len(spark.sql(f"SHOW PARTITIONS {args.table}").collect()),
            "misplaced": events.where(F.to_date("transaction_date") != F.col("event_date")).count(),
        }
        for suffix, name in (("_rejects", "rejects"), ("_kafka_offsets", "offsets")):
            if spark.catalog.tableExists(args.table + suffix):
                df = spark.table(args.table + suffix)
                df = df.select(*[F.col(c).cast("string") if "_at" in c else c for c in df.columns])
                report[name] = dump(df, os.path.join(args.out, f"{name}.ndjson"))
        print("LAKE_DUMP " + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
