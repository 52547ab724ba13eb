"""Medium-test fixture: reads a batch feature history table from a separate Spark process.

    spark-submit history_report.py DB.TABLE [--drop-database DB…]

Prints one `HISTORY_REPORT <json>` line: the table's partitions (SHOW PARTITIONS), its table
properties, and every row (entity, entity_id, feature, key, value, as_of in epoch ms, and the
as_of_ms partition it sits in). Then drops the given databases.
"""

import argparse
import json

from fixture_session import fixture_session
from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812


def report(spark: SparkSession, table: str) -> dict:
    rows = (
        spark.table(table)
        .select(
            "entity",
            "entity_id",
            "feature",
            "key",
            "value",
            F.unix_millis("as_of").alias("as_of"),
            "as_of_ms",
            F.date_format("as_of_date", "yyyy-MM-dd").alias("as_of_date"),
        )
        .collect()
    )
    return {
        "partitions": sorted(r[0] for r in spark.sql(f"SHOW PARTITIONS {table}").collect()),
        "properties": {r[0]: r[1] for r in spark.sql(f"SHOW TBLPROPERTIES {table}").collect()},
        "rows": [r.asDict() for r in rows],
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("table")
    p.add_argument("--drop-database", action="append", default=[])
    args = p.parse_args()
    with fixture_session("history_report", args.drop_database) as spark:
        print("HISTORY_REPORT " + json.dumps(report(spark, args.table)), flush=True)


if __name__ == "__main__":
    main()
