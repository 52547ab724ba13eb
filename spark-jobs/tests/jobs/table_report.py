"""Medium-test fixture: reads raw-event tables from a separate Spark process and reports them.

    spark-submit table_report.py [DB.TABLE…] [--drop-database DB…]

Prints one `TABLE_REPORT <json>` line: per table, the row count, distinct event_ids, rows per
event_date partition (from the metastore's partitions), rows whose partition is not the UTC date
of transaction_date, and the rejects (line, field, rule). Then drops the given databases.
"""

import argparse
import json

from fixture_session import fixture_session
from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812


def report(spark: SparkSession, table: str) -> dict:
    df = spark.table(table)
    partitions = [r[0] for r in spark.sql(f"SHOW PARTITIONS {table}").collect()]
    per_date = {str(r.event_date): r["count"] for r in df.groupBy("event_date").count().collect()}
    misplaced = df.where(F.to_date("transaction_date") != F.col("event_date")).count()
    rejects = spark.table(f"{table}_rejects").orderBy("source_line").collect()
    return {
        "rows": df.count(),
        "distinct_event_ids": df.select("event_id").distinct().count(),
        "partitions": len(partitions),
        "rows_per_date": per_date,
        "misplaced": misplaced,
        "amount_total": str(df.select(F.sum(F.col("price") * F.col("quantity"))).first()[0]),
        "rejects": [
            {"line": r.source_line, "field": r.field, "rule": r.rule, "reason": r.reason}
            for r in rejects
        ],
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("tables", nargs="*")
    p.add_argument("--drop-database", action="append", default=[])
    args = p.parse_args()
    with fixture_session("table_report", args.drop_database) as spark:
        out = {t: report(spark, t) for t in args.tables}
        print("TABLE_REPORT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
