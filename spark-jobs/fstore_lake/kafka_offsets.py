"""Which Kafka offsets a lake ingestion run reads, and the record of what it has read.

The record lives in the lake beside the data: an offsets table (Parquet, append-only), one row per
run and partition with the range the run read, written after the run's rows. The next run starts
each partition at the greatest `until_offset` recorded for it (a partition never read starts at its
earliest offset) and reads up to the end offsets Kafka reports when it starts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

OFFSETS_COLUMNS_DDL = """
    topic STRING,
    kafka_partition INT,
    from_offset BIGINT,
    until_offset BIGINT,
    read BIGINT,
    lost BIGINT,
    run_id STRING,
    committed_at TIMESTAMP"""


class OffsetError(Exception):
    """The recorded offsets and the topic disagree; reading on would lose or skip data."""


@dataclass(frozen=True)
class Range:
    """Offsets [start, until) of one partition; `lost` offsets before `start` were deleted by
    retention before any run read them (skipped only with allow_data_loss)."""

    partition: int
    start: int
    until: int
    lost: int = 0

    @property
    def size(self) -> int:
        return self.until - self.start


def source_name(topic: str, partition: int) -> str:
    """What a row read from Kafka carries as source_file (source_line is its offset)."""
    return f"kafka:{topic}/{partition}"


def plan_ranges(
    committed: dict[int, int],
    bounds: dict[int, tuple[int, int]],
    max_per_partition: int | None = None,
    allow_data_loss: bool = False,
) -> list[Range]:
    """The range of every partition for this run.

    committed: partition → first offset not read yet (from the offsets table).
    bounds: partition → (earliest, end) offsets Kafka holds now.
    """
    gone = sorted(set(committed) - set(bounds))
    if gone:
        raise OffsetError(
            f"partitions {gone} have recorded offsets but are not in the topic: was it recreated?"
            " Delete the topic's rows from the offsets table to read it from its beginning."
        )
    ranges = []
    for p in sorted(bounds):
        earliest, end = bounds[p]
        start = committed.get(p, earliest)
        if start > end:
            raise OffsetError(
                f"partition {p}: recorded offset {start} is beyond its end {end}: was the topic"
                " recreated? Delete the topic's rows from the offsets table to read it from its"
                " beginning."
            )
        lost = 0
        if start < earliest:
            if not allow_data_loss:
                raise OffsetError(
                    f"partition {p}: offsets {start}..{earliest - 1} were deleted from Kafka"
                    " (retention) before they were ingested; rerun with --allow-data-loss to skip"
                    " them"
                )
            lost, start = earliest - start, earliest
        until = end if max_per_partition is None else min(end, start + max_per_partition)
        ranges.append(Range(p, start, until, lost))
    return ranges


def read_options(topic: str, ranges: list[Range]) -> dict[str, str]:
    """Options of Spark's Kafka batch source reading exactly these ranges."""
    return {
        "assign": json.dumps({topic: [r.partition for r in ranges]}),
        "startingOffsets": json.dumps({topic: {str(r.partition): r.start for r in ranges}}),
        "endingOffsets": json.dumps({topic: {str(r.partition): r.until for r in ranges}}),
    }


# --- Spark and the JVM's Kafka client ------------------------------------------------------------


def topic_bounds(
    spark, brokers: str, topic: str, options: dict[str, str] | None = None
) -> dict[int, tuple[int, int]]:
    """partition → (earliest, end) offsets, asked with the Kafka client of the connector's jars
    (through the driver's JVM). `options` are extra Kafka client settings (e.g. security)."""
    jvm = spark._jvm
    props = jvm.java.util.Properties()
    deserializer = "org.apache.kafka.common.serialization.ByteArrayDeserializer"
    for key, value in {
        "bootstrap.servers": brokers,
        "key.deserializer": deserializer,
        "value.deserializer": deserializer,
        "client.id": "fstore-lake-offsets",
        **(options or {}),
    }.items():
        props.put(key, value)
    consumer = jvm.org.apache.kafka.clients.consumer.KafkaConsumer(props)
    try:
        timeout = jvm.java.time.Duration.ofSeconds(60)
        infos = consumer.partitionsFor(topic, timeout)
        if not infos:
            raise OffsetError(f"topic {topic} does not exist at {brokers}")
        partitions = jvm.java.util.ArrayList()
        for info in infos:
            partitions.add(jvm.org.apache.kafka.common.TopicPartition(topic, info.partition()))
        begin = consumer.beginningOffsets(partitions, timeout)
        end = consumer.endOffsets(partitions, timeout)
        return {tp.partition(): (int(begin.get(tp)), int(end.get(tp))) for tp in partitions}
    finally:
        consumer.close()


def ensure_offsets_table(spark, offsets_table: str) -> None:
    from .tables import create_if_missing, ensure_databases

    ensure_databases(spark, offsets_table)
    create_if_missing(
        spark,
        f"CREATE TABLE IF NOT EXISTS {offsets_table} ({OFFSETS_COLUMNS_DDL}\n)"
        " COMMENT 'Kafka offsets ingested into the raw table: a row per run and partition;"
        " the next run starts at max(until_offset)' STORED AS PARQUET",
        lambda: spark.catalog.tableExists(offsets_table),
    )


def committed_offsets(spark, offsets_table: str, topic: str) -> dict[int, int]:
    """partition → first offset of `topic` no run has read yet."""
    from pyspark.sql import functions as F  # noqa: N812

    rows = (
        spark.table(offsets_table)
        .where(F.col("topic") == topic)
        .groupBy("kafka_partition")
        .agg(F.max("until_offset").alias("until"))
        .collect()
    )
    return {int(r.kafka_partition): int(r.until) for r in rows}


def commit_offsets(
    spark, offsets_table: str, topic: str, ranges: list[Range], read: dict[int, int], run_id: str
) -> None:
    """Records the ranges this run read (after its rows are written)."""
    from pyspark.sql import functions as F  # noqa: N812

    if not ranges:
        return
    rows = [
        (topic, r.partition, r.start, r.until, int(read.get(r.partition, 0)), r.lost, run_id)
        for r in ranges
    ]
    schema = (
        "topic STRING, kafka_partition INT, from_offset BIGINT, until_offset BIGINT, read BIGINT,"
        " lost BIGINT, run_id STRING"
    )
    df = spark.createDataFrame(rows, schema).withColumn("committed_at", F.current_timestamp())
    df.coalesce(1).write.insertInto(offsets_table)
