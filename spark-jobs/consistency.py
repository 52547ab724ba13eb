"""Online/offline consistency (issue 16): the values the feature server served (its serving log,
the Kafka topic `fstore.serving-log`, docs/consistency.md) against the values the lake gives for
the same entity at the same time, per feature.

    spark-submit consistency.py --definitions defs.json --topic fstore.serving-log \
        [--since 2026-01-30T00:00:00Z] [--until T] [--features a,b] [--brokers HOST:PORT,…] \
        [--table db.raw] [--history-table db.history]

Each logged read (feature, entity keys, served value, its event time, read time, and `as_of`:
the read time, or a time window's end) is recomputed point in time with training_set.py's own
functions (stream_values, batch_values: docs/design.md §7 "Point in time"; nothing of it is
restated here), twice:

- at `as_of`: the offline value the read should have served. Equal (both absent, or the same
  number: doubles within a relative 1e-9, decimals and ints exactly) → consistent.
- else at the served value's event time: when the served value equals the offline value as of
  its own event time, the server served a value the stream had not yet replaced (a later event
  was not yet processed at read time) → `not_yet_processed`, freshness rather than inconsistency.
- anything else → inconsistent (a served value the events never produced, or one missing).

The topic is read directly (Spark's Kafka batch source, from the earliest offset kept; records
older than --since are skipped): the log needs no table of its own. Default --since: 24 hours
before the run.

Output: progress lines `consistency [  1.2s] …`, then one `CONSISTENCY_SUMMARY <json>` line: the
window, reads, unreadable records, and per feature reads, consistent, inconsistent,
not_yet_processed, inconsistent_ratio (inconsistent / reads) and a few inconsistent examples. A bad
argument ends the job with one `FSTORE_ERROR <message>` line and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta

from batch_features import (
    EPOCH,
    Definitions,
    FeatureDef,
    feature_names,
    iso_ms,
    load_definitions,
    parse_as_of,
)
from fstore_lake import job_cli
from ingest_kafka_to_lake import login_options
from training_set import (
    DEFAULT_HISTORY_TABLE,
    ROW,
    TU,
    batch_values,
    history_snapshots,
    stream_values,
)

SUMMARY_PREFIX = "CONSISTENCY_SUMMARY "
BROKERS_CONF = "spark.fstore.kafka.brokers"
DEFAULT_SINCE = timedelta(hours=24)
EXAMPLES_PER_FEATURE = 5
# Doubles: a relative tolerance (docs/design.md §3); decimals and ints: exact (a cent is far above
# this absolute bound, the double rounding of a decimal far below it).
RELATIVE_TOLERANCE = 1e-9
EXACT_TOLERANCE = 1e-6

# A serving-log record (apps/feature-server/src/features/serving-log.ts, ServedRecord).
RECORD_SCHEMA = (
    "feature string, entity string, keys map<string,string>, value double,"
    " event_time_ms bigint, read_time_ms bigint, as_of_ms bigint"
)
READ = "__cs_read"
STATUSES = ("consistent", "inconsistent", "not_yet_processed")

_STARTED = time.monotonic()


class ConsistencyError(Exception):
    """Bad input: the message names the argument."""


def log(message: str) -> None:
    print(f"consistency [{time.monotonic() - _STARTED:7.1f}s] {message}", flush=True)


# --- pure parts ----------------------------------------------------------------------------------


def select_features(defs: Definitions, names: list[str] | None) -> tuple[FeatureDef, ...]:
    if not names:
        return defs.features
    by_name = {f.name: f for f in defs.features}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ConsistencyError(
            f"--features: unknown feature {', '.join(unknown)}"
            f" (features: {', '.join(sorted(by_name))})"
        )
    return tuple(by_name[n] for n in dict.fromkeys(names))


def same_value(served: float | None, offline: float | None, ftype: str) -> bool:
    """The rule `classify` applies in Spark, for the tests and the docs."""
    if served is None or offline is None:
        return served is None and offline is None
    if ftype == "double":
        return abs(served - offline) <= RELATIVE_TOLERANCE * max(abs(served), abs(offline), 1e-300)
    return abs(served - offline) <= EXACT_TOLERANCE


def status_of(served, event_time_ms, offline_at, offline_before, ftype: str) -> str:
    """consistent | not_yet_processed | inconsistent (see the module's docstring)."""
    if same_value(served, offline_at, ftype):
        return "consistent"
    if event_time_ms is not None and same_value(served, offline_before, ftype):
        return "not_yet_processed"
    return "inconsistent"


def summarize(counts: dict[str, dict[str, int]], features) -> dict[str, dict]:
    """Per feature (every one selected, in order): reads, the three counts and the share
    inconsistent (None without reads)."""
    out = {}
    for f in features:
        c = counts.get(f.name, {})
        reads = sum(c.get(s, 0) for s in STATUSES)
        out[f.name] = {
            "reads": reads,
            **{s: c.get(s, 0) for s in STATUSES},
            "inconsistent_ratio": round(c.get("inconsistent", 0) / reads, 6) if reads else None,
        }
    return out


# --- Spark ---------------------------------------------------------------------------------------


def read_serving_log(spark, brokers: str, topic: str):
    """The topic's records as columns (RECORD_SCHEMA), plus `__cs_bad`: true for a record that is
    not one (counted, skipped)."""
    from pyspark.sql import functions as F  # noqa: N812

    reader = spark.read.format("kafka").option("kafka.bootstrap.servers", brokers)
    # Spark's Kafka user (spark-ingest: Read on the serving log), password from Livy's environment.
    for key, value in login_options(dict(os.environ)).items():
        reader = reader.option(f"kafka.{key}", value)
    raw = (
        reader.option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("endingOffsets", "latest")
        .option("failOnDataLoss", "false")  # retention may delete what the run was about to read
        .load()
    )
    parsed = raw.select(F.from_json(F.col("value").cast("string"), RECORD_SCHEMA).alias("r"))
    return parsed.select(
        "r.*",
        (
            F.col("r").isNull()
            | F.col("r.feature").isNull()
            | F.col("r.keys").isNull()
            | F.col("r.read_time_ms").isNull()
            | F.col("r.as_of_ms").isNull()
        ).alias("__cs_bad"),
    )


def _same(served, offline, ftype: str):
    from pyspark.sql import functions as F  # noqa: N812

    both = served.isNotNull() & offline.isNotNull()
    if ftype == "double":
        bound = F.lit(RELATIVE_TOLERANCE) * F.greatest(F.abs(served), F.abs(offline))
        close = F.abs(served - offline) <= bound
    else:
        close = F.abs(served - offline) <= F.lit(EXACT_TOLERANCE)
    return (served.isNull() & offline.isNull()) | (both & close)


def offline_values(spark, points, features, defs: Definitions, table, history_table):
    """(ROW, one column per feature) for points (ROW, TU, key columns), as training_set computes
    a training set's rows."""
    from pyspark.sql import functions as F  # noqa: N812

    bounds = points.agg(F.min(TU), F.max(TU)).first()
    t_bounds = tuple(EPOCH + timedelta(microseconds=b) for b in bounds)
    parts, cached = [], []
    stream = [(i, f) for i, f in enumerate(features) if f.engine == "stream"]
    batch = [(i, f) for i, f in enumerate(features) if f.engine == "batch"]
    by_source: dict[str, list] = {}
    for i, f in stream:
        by_source.setdefault(f.source, []).append((i, f))
    for source, group in by_source.items():
        raw_table = table or defs.sources[source].table
        if not spark.catalog.tableExists(raw_table):
            raise ConsistencyError(f"raw events table {raw_table} does not exist")
        part, read, c = stream_values(
            spark, points, group, defs.sources[source], raw_table, t_bounds
        )
        cached.extend(c)
        log(f"stream: {', '.join(f.name for _, f in group)} ({read.events_read} events)")
        parts.append(part)
    if batch:
        snapshots = history_snapshots(spark, history_table)
        part, used = batch_values(spark, points, batch, history_table, snapshots)
        log(f"batch: {', '.join(f.name for _, f in batch)} ({len(used)} snapshots used)")
        parts.append(part)
    out = points.select(ROW)
    for part in parts:
        out = out.join(part, ROW, "left")
    return out, cached


def classify(spark, reads, features, defs: Definitions, table=None, history_table=None):
    """reads (RECORD_SCHEMA's columns) → (feature, status, served, offline, keys, times) per
    read, and what to unpersist."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F  # noqa: N812

    history_table = history_table or DEFAULT_HISTORY_TABLE
    reads = reads.where(F.col("feature").isin([f.name for f in features])).withColumn(
        READ, F.monotonically_increasing_id()
    )
    reads = reads.persist(StorageLevel.MEMORY_AND_DISK)
    keys = tuple(dict.fromkeys(k for f in features for k in f.keys))
    key_cols = [F.col("keys")[k].alias(k) for k in keys]
    # Two points per read: at its as-of (ROW even) and at the served event time (ROW odd).
    at = reads.select((F.col(READ) * 2).alias(ROW), (F.col("as_of_ms") * 1000).alias(TU), *key_cols)
    before = reads.where(F.col("event_time_ms").isNotNull()).select(
        (F.col(READ) * 2 + 1).alias(ROW), (F.col("event_time_ms") * 1000).alias(TU), *key_cols
    )
    points = at.unionByName(before).persist(StorageLevel.MEMORY_AND_DISK)
    cached = [reads, points]
    if points.limit(1).count() == 0:
        return None, cached
    values, c = offline_values(spark, points, features, defs, table, history_table)
    cached.extend(c)
    # The read's own feature's column, as a double.
    pick = None
    for f in features:
        v = F.col(f.name).cast("double")
        pick = (
            F.when(F.col("feature") == f.name, v)
            if pick is None
            else pick.when(F.col("feature") == f.name, v)
        )
    with_feature = (
        points.select(ROW)
        .join(values, ROW)
        .join(reads.select(READ, "feature"), F.floor(F.col(ROW) / 2) == F.col(READ))
    )
    offline = with_feature.select(ROW, pick.alias("__cs_offline"))
    o_at = offline.where(F.col(ROW) % 2 == 0).select(
        (F.col(ROW) / 2).cast("bigint").alias(READ), F.col("__cs_offline").alias("offline_at")
    )
    o_before = offline.where(F.col(ROW) % 2 == 1).select(
        ((F.col(ROW) - 1) / 2).cast("bigint").alias(READ),
        F.col("__cs_offline").alias("offline_before"),
    )
    joined = reads.join(o_at, READ, "left").join(o_before, READ, "left")
    served, at_v, before_v = F.col("value"), F.col("offline_at"), F.col("offline_before")
    status = None
    for f in features:
        mine = F.col("feature") == f.name
        s = (
            F.when(_same(served, at_v, f.type), F.lit("consistent"))
            .when(
                F.col("event_time_ms").isNotNull() & _same(served, before_v, f.type),
                F.lit("not_yet_processed"),
            )
            .otherwise(F.lit("inconsistent"))
        )
        status = F.when(mine, s) if status is None else status.when(mine, s)
    return joined.withColumn("status", status), cached


def run(spark, args, reads=None) -> dict:
    """Reads the serving log (or the `reads` given: RECORD_SCHEMA's columns and `__cs_bad`),
    classifies each read of the window and prints the summary."""
    from pyspark.sql import functions as F  # noqa: N812

    started = time.monotonic()
    if reads is None:
        brokers = args.brokers or spark.conf.get(BROKERS_CONF, None)
        if not brokers:
            raise ConsistencyError(f"--brokers: none given and no Spark conf {BROKERS_CONF}")
        reads = read_serving_log(spark, brokers, args.topic)
    window = F.col("read_time_ms") >= F.lit(args.since_ms)
    if args.until_ms is not None:
        window = window & (F.col("read_time_ms") < F.lit(args.until_ms))
    good = F.coalesce(~F.col("__cs_bad"), F.lit(False))
    counted = reads.agg(
        F.count(F.when(~good, 1)).alias("bad"),
        F.count(F.when(good & window, 1)).alias("in_window"),
    ).first()
    in_window = reads.where(good & window).drop("__cs_bad")
    log(
        f"{counted['in_window']} logged reads from {iso_ms(args.since_ms)}"
        f" ({counted['bad']} unreadable records skipped)"
    )
    classified, cached = classify(
        spark, in_window, args.features, args.definitions, args.table, args.history_table
    )
    counts: dict[str, dict[str, int]] = {}
    examples: dict[str, list] = {}
    if classified is not None:
        for r in classified.groupBy("feature", "status").count().collect():
            counts.setdefault(r["feature"], {})[r["status"]] = r["count"]
        bad = (
            classified.where(F.col("status") == "inconsistent")
            .select("feature", "keys", "value", "offline_at", "event_time_ms", "read_time_ms")
            .orderBy("feature", "read_time_ms")
            .limit(EXAMPLES_PER_FEATURE * len(args.features))
            .collect()
        )
        for r in bad:
            mine = examples.setdefault(r["feature"], [])
            if len(mine) < EXAMPLES_PER_FEATURE:
                mine.append(
                    {
                        "keys": dict(r["keys"]),
                        "served": r["value"],
                        "offline": r["offline_at"],
                        "event_time": None
                        if r["event_time_ms"] is None
                        else iso_ms(r["event_time_ms"]),
                        "read_time": iso_ms(r["read_time_ms"]),
                    }
                )
    for df in cached:
        df.unpersist()
    per_feature = summarize(counts, args.features)
    for name, s in per_feature.items():
        s["examples"] = examples.get(name, [])
    summary = {
        "since": iso_ms(args.since_ms),
        "until": None if args.until_ms is None else iso_ms(args.until_ms),
        "topic": args.topic,
        "reads": sum(s["reads"] for s in per_feature.values()),
        "unreadable": counted["bad"],
        "features": per_feature,
        "duration_s": round(time.monotonic() - started, 3),
    }
    print(SUMMARY_PREFIX + json.dumps(summary), flush=True)
    return summary


def _ms(t: datetime) -> int:
    return (t - EPOCH) // timedelta(milliseconds=1)


def parse_args(argv: list[str], now: datetime | None = None) -> argparse.Namespace:
    from fstore_lake.tables import is_table_name

    p = job_cli.parser("consistency", __doc__.split("\n\n")[0])
    p.add_argument("--definitions", required=True, help="JSON of `fstore features export`")
    p.add_argument("--topic", required=True, help="the serving log's topic")
    p.add_argument("--brokers", help=f"bootstrap servers (default: the Spark conf {BROKERS_CONF})")
    p.add_argument("--since", help="reads at or after this time (default: 24 hours ago)")
    p.add_argument("--until", help="reads before this time (default: all)")
    p.add_argument("--features", help="comma-separated feature names (default: all)")
    p.add_argument("--table", help="raw events, database.table (default: the source's table)")
    p.add_argument("--history-table", default=DEFAULT_HISTORY_TABLE)
    p.add_argument("--log-level", default="WARN")
    args = p.parse_args(argv)
    for name in (args.table, args.history_table):
        if name is not None and not is_table_name(name):
            p.error(f"{name!r} is not database.table")
    now = now or datetime.now(UTC)
    try:
        args.since_ms = _ms(parse_as_of(args.since) if args.since else now - DEFAULT_SINCE)
        args.until_ms = None if args.until is None else _ms(parse_as_of(args.until))
    except ValueError as e:
        p.error(f"--since/--until: {e}")
    if args.until_ms is not None and args.until_ms <= args.since_ms:
        p.error("--until must be after --since")
    try:
        args.definitions = load_definitions(args.definitions)
        args.features = select_features(args.definitions, feature_names(args.features))
    except (ValueError, ConsistencyError) as e:
        p.error(str(e))
    if args.table and len({f.source for f in args.features if f.engine == "stream"}) > 1:
        p.error("--table: the stream features read more than one source")
    return args


def main(argv: list[str]) -> None:
    job_cli.run_driver("consistency", parse_args(argv), run, ConsistencyError, log)


if __name__ == "__main__":
    main(sys.argv[1:])
