"""Ingest raw events from Kafka into the Hive raw table, each event_id once (issue 9).

    spark-submit ingest_kafka_to_lake.py [--topic ecommerce.transactions] \
        [--table ecommerce.transactions] [--rejects-table DB.TABLE] [--offsets-table DB.TABLE] \
        [--brokers HOST:PORT,…] [--kafka-option KEY=VALUE…] [--max-per-partition N] \
        [--allow-data-loss] [--every SECONDS [--max-runs N]]

A run is a bounded batch (Spark's Kafka batch source, not a streaming query): for each partition of
the topic, from the first offset no run has read yet up to the end offset Kafka reports when the
run starts. Messages are parsed and validated exactly as the bulk loader parses an NDJSON file
(fstore_lake.raw_event, the producer's message format), and go into the same table, with the same
columns: `source_file` = `kafka:<topic>/<partition>`, `source_line` = the message's offset.

No loss, no duplication. What each run read is recorded in the lake itself, in the offsets table
(default `<table>_kafka_offsets`: a row per run and partition), written only after the run's rows
and rejects; the next run starts where the recorded ranges end. A run that dies before recording
its offsets (at any point) leaves its range to the next run, which reads it again: an event whose
event_id the table already holds (looked up in the event_date partitions the run touches) is
not written again, nor is a reject already recorded for the same offset. An event_id twice in a
run (a redelivery) is written once. So a row is never lost and never doubled, whichever of the
bulk loader and this job brings an event first.

Rejects: a message that is not UTF-8 JSON, lacks its event_id or breaks a rule of docs/design.md §2
goes to the rejects table (default `<table>_rejects`) with field, rule, reason, the message text and
where it was (source_file/source_line as above). Every message is accounted for:
read = valid + rejected, valid = loaded + duplicates_in_batch + already_loaded.

Brokers: --brokers, else the `spark.fstore.kafka.brokers` of the Spark configuration (the local
stack writes it). A partition whose unread offsets Kafka has already deleted (retention) stops the
run, unless --allow-data-loss skips them (counted as `lost`). --every N runs again every N seconds
in the same Spark application, until SIGTERM/SIGINT (then after the current run) or --max-runs;
a failing run ends the process (non-zero), to be restarted by its supervisor.

One writer per table at a time: no two runs of this job on the same table at once, nor a bulk load
(the Airflow DAG runs one at a time). Each run prints one `INGEST_SUMMARY <json>` line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

from fstore_lake import emit_line, ship_to_executors
from fstore_lake.kafka_offsets import (
    OffsetError,
    commit_offsets,
    committed_offsets,
    ensure_offsets_table,
    plan_ranges,
    read_options,
    source_name,
    topic_bounds,
)
from fstore_lake.raw_event import event_values, parse_message
from fstore_lake.tables import (
    REJECT_SCHEMA,
    append_new_events,
    append_new_rejects,
    ensure_tables,
    event_schema,
    is_table_name,
)

DEFAULT_TOPIC = "ecommerce.transactions"
DEFAULT_TABLE = "ecommerce.transactions"
BROKERS_CONF = "spark.fstore.kafka.brokers"
# The job's Kafka login (libs/config/src/kafka-acl.ts): the SCRAM user spark-ingest, which may
# read the raw events' topic only; its password from the environment (Livy's), never an argument.
KAFKA_USER = "spark-ingest"
PASSWORD_SETTING = "FSTORE_KAFKA_INGEST_PASSWORD"


def login_options(env: dict[str, str]) -> dict[str, str]:
    """Kafka client options logging in as KAFKA_USER with $FSTORE_KAFKA_INGEST_PASSWORD (none
    without a password: a broker without authentication)."""
    password = env.get(PASSWORD_SETTING)
    if not password:
        return {}

    def quote(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f"username={quote(KAFKA_USER)} password={quote(password)};",
    }


class SimulatedCrash(RuntimeError):
    """--fail-after-data-write (tests): the run stops after its rows, before its offsets."""


def parse_record(topic: str, partition: int, offset: int, value) -> tuple:
    """One Kafka message → (True, source, offset, event values, None, None)
    or (False, source, offset, None, (field, rule, reason), message text)."""
    source = source_name(topic, partition)
    event, rejected = parse_message(value)
    if event is None:
        text = bytes(value).decode("utf-8", "replace") if value is not None else None
        return (False, source, offset, None, rejected, text)
    return (True, source, offset, event_values(event), None, None)


def run_once(spark, args: argparse.Namespace, brokers: str) -> dict:
    from pyspark import StorageLevel
    from pyspark.sql import types as T  # noqa: N812

    started = time.monotonic()
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    topic, table = args.topic, args.table
    rejects = args.rejects_table or f"{table}_rejects"
    offsets = args.offsets_table or f"{table}_kafka_offsets"
    ensure_tables(spark, table, rejects)
    ensure_offsets_table(spark, offsets)
    for t in (table, rejects, offsets):  # another writer (a bulk load) may have added files
        spark.catalog.refreshTable(t)

    committed = committed_offsets(spark, offsets, topic)
    bounds = topic_bounds(spark, brokers, topic, args.kafka_options)
    ranges = plan_ranges(committed, bounds, args.max_per_partition, args.allow_data_loss)
    to_read = [r for r in ranges if r.size > 0]

    events = {"valid": 0, "duplicates_in_batch": 0, "already_loaded": 0, "loaded": 0, "dates": []}
    read: dict[int, int] = {}
    rejected = rejects_recorded = 0
    if to_read:
        ship_to_executors(spark)
        raw = (
            spark.read.format("kafka")
            .option("kafka.bootstrap.servers", brokers)
            .options(**{f"kafka.{k}": v for k, v in args.kafka_options.items()})
            .options(**read_options(topic, to_read))
            .option("failOnDataLoss", "true")
            .load()
            .select("partition", "offset", "value")
        )
        parsed = raw.rdd.map(lambda m: parse_record(topic, m[0], m[1], m[2]))
        parsed = parsed.persist(StorageLevel.MEMORY_AND_DISK)
        by_source = parsed.map(lambda r: r[1]).countByValue()
        read = {r.partition: by_source.get(source_name(topic, r.partition), 0) for r in to_read}
        good = spark.createDataFrame(
            parsed.filter(lambda r: r[0]).map(lambda r: (*r[3], r[1], r[2])), event_schema(T)
        )
        bad = spark.createDataFrame(
            parsed.filter(lambda r: not r[0]).map(lambda r: (r[1], r[2], *r[4], r[5])),
            REJECT_SCHEMA,
        )
        events = append_new_events(spark, table, good)
        rejected = sum(read.values()) - events["valid"]
        if rejected:
            rejects_recorded = append_new_rejects(spark, rejects, bad)
        parsed.unpersist()

    if args.fail_after_data_write:
        raise SimulatedCrash(f"run {run_id}: stopped after writing its rows, offsets not recorded")
    commit_offsets(spark, offsets, topic, [r for r in ranges if r.size or r.lost], read, run_id)

    dates = events["dates"]
    summary = {
        "run_id": run_id,
        "topic": topic,
        "table": table,
        "rejects_table": rejects,
        "offsets_table": offsets,
        "partitions": {
            str(r.partition): {"from": r.start, "until": r.until, "read": read.get(r.partition, 0)}
            | ({"lost": r.lost} if r.lost else {})
            for r in ranges
        },
        "read": sum(read.values()),
        "valid": events["valid"],
        "rejected": rejected,
        "duplicates_in_batch": events["duplicates_in_batch"],
        "already_loaded": events["already_loaded"],
        "loaded": events["loaded"],
        "rejects_recorded": rejects_recorded,
        "lost": sum(r.lost for r in ranges),
        "event_dates": len(dates),
        "first_date": str(dates[0]) if dates else None,
        "last_date": str(dates[-1]) if dates else None,
        "seconds": round(time.monotonic() - started, 1),
    }
    emit_line("INGEST_SUMMARY " + json.dumps(summary))
    return summary


def _kafka_option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key.removeprefix("kafka."), value


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--topic", default=DEFAULT_TOPIC)
    p.add_argument("--table", default=DEFAULT_TABLE, help="database.table")
    p.add_argument("--rejects-table", help="database.table (default: <table>_rejects)")
    p.add_argument("--offsets-table", help="database.table (default: <table>_kafka_offsets)")
    p.add_argument("--brokers", help=f"bootstrap servers (default: the Spark conf {BROKERS_CONF})")
    p.add_argument(
        "--kafka-option",
        type=_kafka_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Kafka client setting (e.g. security.protocol=SSL), repeatable",
    )
    p.add_argument("--max-per-partition", type=int, help="read at most N messages a partition")
    p.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="skip offsets Kafka deleted before they were ingested instead of failing",
    )
    p.add_argument("--every", type=float, metavar="SECONDS", help="run again every N seconds")
    p.add_argument("--max-runs", type=int, metavar="N", help="with --every: stop after N runs")
    p.add_argument("--fail-after-data-write", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for name in (args.table, args.rejects_table, args.offsets_table):
        if name is not None and not is_table_name(name):
            p.error(f"{name!r} is not database.table")
    if args.max_per_partition is not None and args.max_per_partition < 1:
        p.error("--max-per-partition must be at least 1")
    if args.every is not None and args.every <= 0:
        p.error("--every must be positive")
    if args.max_runs is not None and (args.max_runs < 1 or args.every is None):
        p.error("--max-runs needs --every and must be at least 1")
    args.kafka_options = {**login_options(dict(os.environ)), **dict(args.kafka_option)}
    return args


def main(argv: list[str]) -> int:
    from pyspark.sql import SparkSession

    args = parse_args(argv)
    spark = SparkSession.builder.appName("ingest_kafka_to_lake").enableHiveSupport().getOrCreate()
    stop = threading.Event()
    if args.every:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    try:
        brokers = args.brokers or spark.conf.get(BROKERS_CONF, None)
        if not brokers:
            print(f"no Kafka brokers: pass --brokers or set {BROKERS_CONF}", file=sys.stderr)
            return 2
        runs = 0
        while True:
            began = time.monotonic()
            try:
                run_once(spark, args, brokers)
            except OffsetError as e:
                print(f"ingest_kafka_to_lake: {e}", file=sys.stderr)
                return 1
            runs += 1
            if not args.every or runs == args.max_runs:
                return 0
            if stop.wait(max(0.0, args.every - (time.monotonic() - began))):
                return 0
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
