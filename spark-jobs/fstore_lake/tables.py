"""The lake's raw-event tables and the one way rows get into them (Spark).

`ecommerce.transactions` (Parquet, partitioned by `event_date`, one row per event_id) and its
rejects table are filled by two jobs — the bulk loader (files) and the Kafka ingestion — through
`append_new_events` and `append_new_rejects`, so both write the same columns and skip the same
duplicates. `source_file`/`source_line` say where a row came from: a file's basename and physical
line, or `kafka:<topic>/<partition>` and the message's offset.

Writers of one table must not run concurrently: two writers may both find an event_id absent and
both add it (and both add the same new partition, which the metastore refuses).
"""

from __future__ import annotations

import re
import time

from .raw_event import EVENT_COLUMNS, FIELDS

EVENT_COLUMNS_DDL = """
    event_id STRING,
    customer_id STRING,
    product_id STRING,
    category STRING,
    price DECIMAL(10,2),
    quantity INT,
    transaction_date TIMESTAMP,
    review_rating INT,
    review_text STRING,
    customer_age INT,
    customer_gender STRING,
    country STRING,
    device_type STRING,
    browsing_duration INT,
    previous_purchases INT,
    source_file STRING,
    source_line BIGINT,
    loaded_at TIMESTAMP"""

REJECT_COLUMNS_DDL = """
    source_file STRING,
    source_line BIGINT,
    field STRING,
    rule STRING,
    reason STRING,
    raw STRING,
    rejected_at TIMESTAMP"""

_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_]\w*")


def is_table_name(name: str) -> bool:
    """database.table, plain identifiers (they are spliced into SQL)."""
    return bool(_TABLE_NAME.fullmatch(name))


def create_if_missing(spark, ddl: str, exists) -> None:
    """Runs a CREATE … IF NOT EXISTS. Two jobs creating the same object at once: the metastore's
    unique keys refuse the second, which then finds the object there and carries on."""
    for attempt in range(3):
        try:
            spark.sql(ddl)
            return
        except Exception:
            if exists():
                return
            if attempt == 2:
                raise
            time.sleep(1 + attempt)


def ensure_databases(spark, *tables: str) -> None:
    for db in sorted({t.split(".")[0] for t in tables}):
        create_if_missing(
            spark,
            f"CREATE DATABASE IF NOT EXISTS {db}",
            lambda db=db: spark.catalog.databaseExists(db),
        )


def ensure_tables(spark, table: str, rejects: str) -> None:
    """The raw table and its rejects table (and their databases), if missing."""
    ensure_databases(spark, table, rejects)
    create_if_missing(
        spark,
        f"CREATE TABLE IF NOT EXISTS {table} ({EVENT_COLUMNS_DDL}\n)"
        " COMMENT 'Raw e-commerce transactions (docs/design.md section 2), one row per event_id'"
        " PARTITIONED BY (event_date DATE) STORED AS PARQUET",
        lambda: spark.catalog.tableExists(table),
    )
    create_if_missing(
        spark,
        f"CREATE TABLE IF NOT EXISTS {rejects} ({REJECT_COLUMNS_DDL}\n)"
        " COMMENT 'Input lines that broke a rule of the raw event, with the reason'"
        " STORED AS PARQUET",
        lambda: spark.catalog.tableExists(rejects),
    )


def spark_type(T, kind: str):  # noqa: N803
    if kind == "decimal":
        return T.DecimalType(10, 2)
    if kind == "int":
        return T.IntegerType()
    if kind == "timestamp":
        return T.TimestampType()
    return T.StringType()


def event_schema(T):  # noqa: N803
    """The typed event (EVENT_COLUMNS) plus where it came from (source_file, source_line)."""
    fields = [T.StructField("event_id", T.StringType())]
    fields += [T.StructField(f.name, spark_type(T, f.kind)) for f in FIELDS]
    fields += [
        T.StructField("event_date", T.DateType()),
        T.StructField("source_file", T.StringType()),
        T.StructField("source_line", T.LongType()),
    ]
    assert [f.name for f in fields[: len(EVENT_COLUMNS)]] == EVENT_COLUMNS
    return T.StructType(fields)


REJECT_SCHEMA = (
    "source_file STRING, source_line BIGINT, field STRING, rule STRING, reason STRING, raw STRING"
)


def append_new_events(spark, table: str, events) -> dict:
    """Appends the events (event_schema) whose event_id the table does not hold yet.

    An event_id twice in `events` counts once: the first by (source_file, source_line) wins (a
    redelivery carries the same payload). Ids are looked up in the partitions the events fall in
    (event_date is the UTC date of transaction_date, so a redelivery lands in the same one).
    Returns valid (rows in), duplicates_in_batch, already_loaded, loaded and the event dates.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F  # noqa: N812

    first_seen = Window.partitionBy("event_id").orderBy("source_file", "source_line")
    ranked = events.withColumn("_n", F.row_number().over(first_seen)).cache()
    totals = ranked.agg(
        F.count(F.lit(1)).alias("valid"),
        F.count(F.when(F.col("_n") == 1, True)).alias("unique"),
        F.sort_array(F.collect_set("event_date")).alias("dates"),
    ).first()
    valid, unique, dates = totals["valid"], totals["unique"], list(totals["dates"])
    counts = {"valid": valid, "duplicates_in_batch": valid - unique, "dates": dates}
    if unique == 0:
        ranked.unpersist()
        return {**counts, "already_loaded": 0, "loaded": 0}
    distinct = ranked.filter("_n = 1").drop("_n")

    existing = (
        spark.table(table).select("event_id", "event_date").where(F.col("event_date").isin(dates))
    )
    columns = [f.name for f in spark.table(table).schema.fields]
    to_load = (
        distinct.join(existing, ["event_id", "event_date"], "left_anti")
        .withColumn("loaded_at", F.current_timestamp())
        .select(*columns)
        .cache()
    )
    loaded = to_load.count()
    if loaded:
        to_load.repartition("event_date").write.insertInto(table)
    for df in (ranked, to_load):
        df.unpersist()
    return {**counts, "already_loaded": unique - loaded, "loaded": loaded}


def append_new_rejects(spark, rejects: str, bad) -> int:
    """Appends the rejected records (REJECT_SCHEMA) not recorded yet for the same
    (source_file, source_line); returns how many were added."""
    from pyspark.sql import functions as F  # noqa: N812

    sources = [r.source_file for r in bad.select("source_file").distinct().collect()]
    if not sources:
        return 0
    seen = (
        spark.table(rejects)
        .where(F.col("source_file").isin(sources))
        .select("source_file", "source_line")
    )
    new = (
        bad.join(seen, ["source_file", "source_line"], "left_anti")
        .withColumn("rejected_at", F.current_timestamp())
        .select(*[f.name for f in spark.table(rejects).schema.fields])
        .cache()
    )
    recorded = new.count()
    if recorded:
        new.coalesce(1).write.insertInto(rejects)
    new.unpersist()
    return recorded
