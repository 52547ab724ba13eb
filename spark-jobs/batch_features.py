"""The four 30-day batch features (docs/design.md §3) as of a time T: Hive raw table → Redis and
history.

    spark-submit batch_features.py --as-of 2024-03-15T00:00:00Z [--as-of T2 …] \
        [--table ecommerce.transactions] [--history-table features.batch_feature_history] \
        [--redis-nodes 127.0.0.1:7001,…] [--redis-password-file FILE] [--online auto|always|never]

Window (T − 30 days, T] by transaction_date; only the event_date partitions that can hold it are
read. Per product: units_sold (sum of quantity), revenue_by_product (sum of price × quantity,
exact decimal), avg_review_rating (mean rating of rated events, a double); per category:
revenue_by_category. No qualifying event → no key.

Online store (docs/online-store-format.md): each value with its `<key>:ts` = T (epoch ms), set by
the writer's set-if-not-older script, so a value never replaces one of a newer as-of. Redis holds
the snapshot of the latest as-of published (the history table's property `fstore.online_as_of_ms`);
each of its keys that has no value as of T is deleted by the same rule (the `:ts` key stays as the
tombstone, at T), so an entity without qualifying events has no key.

History: one snapshot per as-of in `--history-table` (Parquet, partitioned by as_of_date and
as_of_ms), overwritten as a whole, so the same T twice gives the same table. Order of a run:
Redis, then the snapshot, then the published mark; a run that fails on the way is simply redone.

`--online auto` (default) writes Redis unless it holds a newer as-of (then this is a backfill:
history only); `always` writes anyway (the set-if-not-older rule still protects newer values);
`never` writes history only. One run at a time per history table.

Redis: nodes from `--redis-nodes` (default: $FSTORE_REDIS_HOST and $FSTORE_REDIS_CLUSTER_PORTS, as
the settings name them); password from $FSTORE_REDIS_PASSWORD, else from `--redis-password-file` (a
file holding the password, or `FSTORE_REDIS_PASSWORD=…` lines like the stack's secrets.env). The
password is never an argument. Several `--as-of` run one after the other, in the order given (a
backfill: oldest first, or newest first to write Redis once).

Prints one `BATCH_FEATURES_SUMMARY <json>` line per as-of.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

WINDOW = timedelta(days=30)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SUMMARY_PREFIX = "BATCH_FEATURES_SUMMARY "


@dataclass(frozen=True)
class BatchFeature:
    """One batch feature; mirrors libs/contracts/src/features.ts (checked by the unit tests)."""

    name: str
    entity: str
    type: str  # int | decimal | double


BATCH_FEATURES: tuple[BatchFeature, ...] = (
    BatchFeature("avg_review_rating", "product", "double"),
    BatchFeature("revenue_by_category", "category", "decimal"),
    BatchFeature("revenue_by_product", "product", "decimal"),
    BatchFeature("units_sold", "product", "int"),
)
FEATURE_NAMES = tuple(f.name for f in BATCH_FEATURES)

# The online store's write rule, the same script as libs/online-store/src/online-store.ts
# (SET_IF_NEWER; the unit tests check that the two are identical). KEYS = value key, `:ts` key;
# ARGV = value ('' deletes), event time in epoch ms.
SET_IF_NEWER = """
if ARGV[2] ~= '' then
  local stored = redis.call('GET', KEYS[2])
  if stored and tonumber(stored) > tonumber(ARGV[2]) then return 0 end
  redis.call('SET', KEYS[2], ARGV[2])
end
if ARGV[1] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[1]) end
return 1"""

# Table property of the history table: the latest as-of (epoch ms) published to Redis.
PUBLISHED_PROPERTY = "fstore.online_as_of_ms"

# Keys sent to Redis per pipeline round trip (the cluster pipeline splits them per node).
REDIS_CHUNK = 2000


# --- pure parts (unit-tested without Spark or Redis) ---------------------------------------------


def feature_key(feature: str, *parts: str) -> str:
    """`units_sold:{p1}`: each key part in braces, joined by `_` (libs/contracts featureKey)."""
    return f"{feature}:" + "_".join("{" + p + "}" for p in parts)


def event_time_key(key: str) -> str:
    return f"{key}:ts"


def parse_as_of(text: str) -> datetime:
    """ISO-8601 date or time (UTC unless it names an offset) → aware UTC datetime, whole ms."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError as e:
        raise ValueError(f'"{text}" is not an ISO-8601 time (e.g. 2024-03-15T00:00:00Z)') from e
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    if t.microsecond % 1000:
        raise ValueError(f'"{text}" has sub-millisecond digits: event times are milliseconds')
    return t


def epoch_ms(t: datetime) -> int:
    return (t - EPOCH) // timedelta(milliseconds=1)


def iso_ms(ms: int) -> str:
    t = EPOCH + timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Window:
    """(start, end] by event time, and the event_date partitions that can hold it."""

    start: datetime  # exclusive
    end: datetime  # inclusive
    first_date: date
    last_date: date


def window_of(as_of: datetime) -> Window:
    start = as_of - WINDOW
    # An event at start + 1 µs is on start's date; the window's last event is on T's date.
    return Window(start, as_of, start.date(), as_of.date())


def format_double(x: float) -> str:
    """A double as JavaScript's String(x) writes it (the online-store format: shortest round
    trip, `4` not `4.0`, exponent only beyond 1e21 / below 1e-6), so every writer agrees."""
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"not a finite number: {x}")
    if x == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(x)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0")
    exponent += len(digits) - len(ds)
    k, n = len(ds), len(ds) + exponent  # value = 0.ds × 10^n
    out = "-" if sign else ""
    if k <= n <= 21:
        return out + ds + "0" * (n - k)
    if 0 < n <= 21:
        return out + ds[:n] + "." + ds[n:]
    if -6 < n <= 0:
        return out + "0." + "0" * -n + ds
    e = n - 1
    mantissa = ds if k == 1 else ds[0] + "." + ds[1:]
    return out + mantissa + "e" + ("+" if e >= 0 else "-") + str(abs(e))


def read_password(env: dict[str, str], password_file: str | None) -> str | None:
    """$FSTORE_REDIS_PASSWORD, else the file: its FSTORE_REDIS_PASSWORD= line, else its only
    line. None when neither is given (a Redis without AUTH)."""
    if env.get("FSTORE_REDIS_PASSWORD"):
        return env["FSTORE_REDIS_PASSWORD"]
    if not password_file:
        return None
    try:
        with open(password_file, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ValueError(f"--redis-password-file {password_file}: {e.strerror}") from e
    for line in text.splitlines():
        m = re.match(r"^\s*FSTORE_REDIS_PASSWORD\s*=\s*(.*?)\s*$", line)
        if m:
            return m.group(1)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and "=" not in lines[0]:
        return lines[0]
    raise ValueError(
        f"--redis-password-file {password_file}: neither a FSTORE_REDIS_PASSWORD= line "
        "nor a single line holding the password"
    )


def parse_nodes(text: str) -> list[tuple[str, int]]:
    nodes = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*([^\s:]+):(\d{1,5})\s*", part)
        if not m or not 0 < int(m.group(2)) < 65536:
            raise ValueError(f'"{part}" is not host:port')
        nodes.append((m.group(1), int(m.group(2))))
    return nodes


def default_nodes(env: dict[str, str]) -> str:
    """The settings' FSTORE_REDIS_HOST (default FSTORE_HOST) × FSTORE_REDIS_CLUSTER_PORTS
    (libs/config/src/settings.ts)."""
    host = env.get("FSTORE_REDIS_HOST") or env.get("FSTORE_HOST", "127.0.0.1")
    ports = env.get("FSTORE_REDIS_CLUSTER_PORTS", "7001,7002,7003,7004,7005,7006")
    return ",".join(f"{host}:{p.strip()}" for p in ports.split(","))


def parse_snapshot(partition: str) -> int:
    """`as_of_date=2024-03-15/as_of_ms=1710460800000` (SHOW PARTITIONS) → as_of_ms."""
    m = re.fullmatch(r"as_of_date=\d{4}-\d{2}-\d{2}/as_of_ms=(\d+)", partition)
    if not m:
        raise ValueError(f"unexpected history partition {partition!r}")
    return int(m.group(1))


@dataclass(frozen=True)
class Plan:
    """What one as-of does to the online store."""

    online: bool
    reason: str
    # The snapshot whose keys Redis may hold from this job: each is deleted unless computed again.
    deletions_from: int | None


def plan_online(mode: str, as_of_ms: int, published: int | None, snapshots: list[int]) -> Plan:
    """`published`: the latest as-of whose snapshot went to Redis (the history table's
    PUBLISHED_PROPERTY), `snapshots`: the as-ofs the history holds."""
    if mode == "never":
        return Plan(False, "not written (--online never)", None)
    if mode == "auto" and published is not None and as_of_ms < published:
        return Plan(False, f"not written: backfill, Redis holds as-of {iso_ms(published)}", None)
    return Plan(True, "written", published if published in snapshots else None)


def write_rows(client, rows, as_of_ms: int, chunk: int = REDIS_CHUNK) -> Counter:
    """Applies (feature, key, value | None) rows through the set-if-not-older script, pipelined
    (redis-py's cluster pipeline: one batch of commands per node and round trip). Counts per
    `<feature>.written|deleted|skipped_newer`. Any Redis error fails the call."""
    counts: Counter = Counter()
    sha = client.script_load(SET_IF_NEWER)
    ts = str(as_of_ms)
    batch: list = []

    def flush() -> None:
        if not batch:
            return
        pipe = client.pipeline()
        for _, key, value in batch:
            pipe.execute_command("EVALSHA", sha, 2, key, event_time_key(key), value or "", ts)
        replies = pipe.execute(raise_on_error=False)
        for i, reply in enumerate(replies):
            if isinstance(reply, Exception) and "NOSCRIPT" in str(reply):
                # A node that lost its script cache (restart, failover): send the script itself.
                _, key, value = batch[i]
                reply = client.eval(SET_IF_NEWER, 2, key, event_time_key(key), value or "", ts)
            if isinstance(reply, Exception):
                raise RuntimeError(f"Redis refused a write of {batch[i][1]}: {reply}") from reply
            feature, _, value = batch[i]
            outcome = "skipped_newer" if reply == 0 else "written" if value else "deleted"
            counts[f"{feature}.{outcome}"] += 1
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            flush()
    flush()
    return counts


def redis_client(nodes: list[tuple[str, int]], password: str | None):
    from redis.cluster import ClusterNode, RedisCluster

    return RedisCluster(
        startup_nodes=[ClusterNode(h, p) for h, p in nodes],
        password=password,
        decode_responses=True,
        socket_timeout=30,
        socket_connect_timeout=5,
    )


_STARTED = time.monotonic()


def log(message: str) -> None:
    """A progress line on stdout, with the seconds since the job started."""
    print(f"batch_features [{time.monotonic() - _STARTED:7.1f}s] {message}", flush=True)


# --- Spark ---------------------------------------------------------------------------------------

HISTORY_COLUMNS_DDL = """
    entity STRING COMMENT 'product or category',
    entity_id STRING COMMENT 'product_id or category',
    feature STRING,
    key STRING COMMENT 'the Redis key',
    value STRING COMMENT 'the value exactly as written to Redis (GET)',
    as_of TIMESTAMP"""


def aggregate_pairs(events):
    """Events already cut to the window (columns product_id, category, price decimal(10,2),
    quantity, review_rating) → one row per (product, category): the sums every feature is made
    of. The only pass over the events; the features are sums of these rows."""
    from pyspark.sql import functions as F  # noqa: N812

    return events.groupBy("product_id", "category").agg(
        F.sum("quantity").alias("units"),
        F.sum(F.col("price") * F.col("quantity")).alias("revenue"),
        F.sum("review_rating").alias("rating_sum"),
        F.count("review_rating").alias("rated"),
        F.count(F.lit(1)).alias("events"),
    )


def _format_mean(x: float | None) -> str | None:
    return None if x is None else format_double(x)


def features_from_pairs(pairs):
    """(product, category) sums → DataFrame (entity, entity_id, feature, key, value), the values
    as the online-store format writes them: ints, decimals with two places (exact: decimal
    sums), means as doubles. No row where there is no qualifying event. One aggregate per
    entity; a product's three features come out of one row."""
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql import types as T  # noqa: N812

    def feature(name, value):
        return F.struct(F.lit(name).alias("feature"), value.alias("value"))

    mean = F.col("rating_sum").cast("double") / F.col("rated").cast("double")
    products = (
        pairs.groupBy("product_id")
        .agg(
            F.sum("units").alias("units"),
            F.sum("revenue").alias("revenue"),
            F.sum("rating_sum").alias("rating_sum"),
            F.sum("rated").alias("rated"),
        )
        .select(
            F.lit("product").alias("entity"),
            F.col("product_id").alias("entity_id"),
            F.explode(
                F.array(
                    feature("units_sold", F.col("units").cast("string")),
                    feature("revenue_by_product", F.col("revenue").cast("string")),
                    # No rated event: null, and no row.
                    feature("avg_review_rating", F.udf(_format_mean, T.StringType())(mean)),
                )
            ).alias("f"),
        )
    )
    categories = (
        pairs.groupBy("category")
        .agg(F.sum("revenue").alias("revenue"))
        .select(
            F.lit("category").alias("entity"),
            F.col("category").alias("entity_id"),
            feature("revenue_by_category", F.col("revenue").cast("string")).alias("f"),
        )
    )
    return (
        products.unionByName(categories)
        .where(F.col("f.value").isNotNull())
        .select(
            "entity",
            "entity_id",
            F.col("f.feature").alias("feature"),
            F.concat(F.col("f.feature"), F.lit(":{"), F.col("entity_id"), F.lit("}")).alias("key"),
            F.col("f.value").alias("value"),
        )
    )


def window_events(raw, w: Window, dedupe: bool = False):
    """The events of a raw-event DataFrame (the Hive table, or its Parquet files) in the window.
    The event_date condition lets Spark read only the partitions that can hold the window."""
    from pyspark.sql import functions as F  # noqa: N812

    micros = lambda t: F.expr(f"timestamp_micros({epoch_ms(t) * 1000})")  # noqa: E731
    df = (
        raw.where(F.col("event_date").between(F.lit(w.first_date), F.lit(w.last_date)))
        .where(
            (F.col("transaction_date") > micros(w.start))
            & (F.col("transaction_date") <= micros(w.end))
        )
        .select("event_id", "product_id", "category", "price", "quantity", "review_rating")
    )
    return df.dropDuplicates(["event_id"]) if dedupe else df


def ensure_history_table(spark, history: str) -> None:
    from fstore_lake.tables import create_if_missing, ensure_databases

    ensure_databases(spark, history)
    create_if_missing(
        spark,
        f"CREATE TABLE IF NOT EXISTS {history} ({HISTORY_COLUMNS_DDL}\n)"
        " COMMENT 'Batch feature snapshots (spark-jobs/batch_features.py), one per as-of time'"
        " PARTITIONED BY (as_of_date DATE, as_of_ms BIGINT) STORED AS PARQUET",
        lambda: spark.catalog.tableExists(history),
    )


def snapshots(spark, history: str) -> list[int]:
    return [parse_snapshot(r[0]) for r in spark.sql(f"SHOW PARTITIONS {history}").collect()]


def published_as_of(spark, history: str) -> int | None:
    props = {r[0]: r[1] for r in spark.sql(f"SHOW TBLPROPERTIES {history}").collect()}
    value = props.get(PUBLISHED_PROPERTY)
    return int(value) if value and value.isdigit() else None


def set_published(spark, history: str, as_of_ms: int) -> None:
    spark.sql(f"ALTER TABLE {history} SET TBLPROPERTIES ('{PUBLISHED_PROPERTY}' = '{as_of_ms}')")


def snapshot_keys(spark, history: str, as_of_ms: int):
    from pyspark.sql import functions as F  # noqa: N812

    day = (EPOCH + timedelta(milliseconds=as_of_ms)).date()
    return (
        spark.table(history)
        .where((F.col("as_of_date") == F.lit(day)) & (F.col("as_of_ms") == F.lit(as_of_ms)))
        .select("feature", "key")
    )


def write_online(features, deletions, nodes, password, as_of_ms: int) -> Counter:
    """Every value and every deletion through the set-if-not-older script, one Redis Cluster
    connection and pipelined batches per Spark partition; the counts come back to the driver."""
    rows = features.select("feature", "key", "value").unionByName(
        deletions.select("feature", "key", "value")
    )

    def write_partition(it):
        client = redis_client(nodes, password)
        try:
            yield write_rows(client, ((r.feature, r.key, r.value) for r in it), as_of_ms)
        finally:
            client.close()

    total: Counter = Counter()
    for c in rows.rdd.mapPartitions(write_partition).collect():
        total.update(c)
    return total


def write_history(spark, history: str, features, as_of_ms: int) -> None:
    """Overwrites exactly this as-of's snapshot (an empty one too: the partition then exists,
    empty, so later runs know this as-of was computed)."""
    day = (EPOCH + timedelta(milliseconds=as_of_ms)).date().isoformat()
    partition = f"PARTITION (as_of_date = DATE'{day}', as_of_ms = {as_of_ms})"
    features.createOrReplaceTempView("batch_features_snapshot")
    spark.sql(
        f"INSERT OVERWRITE TABLE {history} {partition}"
        f" SELECT entity, entity_id, feature, key, value, timestamp_millis({as_of_ms})"
        " FROM batch_features_snapshot"
    )
    spark.sql(f"ALTER TABLE {history} ADD IF NOT EXISTS {partition}")


def run_one(spark, args: argparse.Namespace, as_of: datetime, password: str | None) -> dict:
    from pyspark.sql import functions as F  # noqa: N812

    started = time.monotonic()
    as_of_ms = epoch_ms(as_of)
    w = window_of(as_of)
    published = published_as_of(spark, args.history_table)
    plan = plan_online(args.online, as_of_ms, published, snapshots(spark, args.history_table))
    log(
        f"as of {iso_ms(as_of_ms)}: window ({w.start.isoformat()}, {w.end.isoformat()}],"
        f" partitions {w.first_date}..{w.last_date}; online store: {plan.reason}"
    )
    events = window_events(spark.table(args.table), w, args.dedupe)
    partitions_read = len({f.rsplit("/", 1)[0] for f in events.inputFiles()})
    log(f"reading {partitions_read} partitions of {args.table}")
    pairs = aggregate_pairs(events).cache()
    rows_in_window = pairs.agg(F.sum("events")).first()[0] or 0
    log(f"{rows_in_window} events in the window")
    features = features_from_pairs(pairs).repartition(args.write_partitions).cache()
    per_feature = {r.feature: r["count"] for r in features.groupBy("feature").count().collect()}
    log(f"values: {per_feature}")

    written: Counter = Counter()
    if plan.online:
        # Keys of the snapshot Redis holds that have no value now: deleted (tombstone at T).
        if plan.deletions_from is None:
            previous = spark.createDataFrame([], "feature string, key string")
        else:
            previous = snapshot_keys(spark, args.history_table, plan.deletions_from)
        deletions = previous.join(features.select("key"), "key", "left_anti").withColumn(
            "value", F.lit(None).cast("string")
        )
        nodes = parse_nodes(args.redis_nodes)
        written = write_online(features, deletions, nodes, password, as_of_ms)
        log(f"online store: {dict(sorted(written.items()))}")
    # History after Redis, the published mark last: a run that fails on the way is simply redone.
    write_history(spark, args.history_table, features, as_of_ms)
    if plan.online and (published is None or as_of_ms > published):
        set_published(spark, args.history_table, as_of_ms)
    log(f"history: snapshot {iso_ms(as_of_ms)} written to {args.history_table}")
    features.unpersist()
    pairs.unpersist()

    summary = {
        "as_of": iso_ms(as_of_ms),
        "as_of_ms": as_of_ms,
        "table": args.table,
        "history_table": args.history_table,
        "window": {"from_exclusive": iso_ms(epoch_ms(w.start)), "to_inclusive": iso_ms(as_of_ms)},
        "partitions_read": partitions_read,
        "rows_read": rows_in_window,
        "online": plan.reason,
        "deletions_from": None if plan.deletions_from is None else iso_ms(plan.deletions_from),
        "features": {
            name: {
                "values": per_feature.get(name, 0),
                "written": written.get(f"{name}.written", 0),
                "deleted": written.get(f"{name}.deleted", 0),
                "skipped_newer": written.get(f"{name}.skipped_newer", 0),
            }
            for name in FEATURE_NAMES
        },
        "history_rows": sum(per_feature.values()),
        "duration_s": round(time.monotonic() - started, 3),
    }
    print(SUMMARY_PREFIX + json.dumps(summary), flush=True)
    return summary


def check_redis(args: argparse.Namespace, password: str | None) -> None:
    """Fails fast, before any Spark work, when Redis cannot be written."""
    nodes = parse_nodes(args.redis_nodes)
    try:
        client = redis_client(nodes, password)
        try:
            client.script_load(SET_IF_NEWER)
        finally:
            client.close()
    except Exception as e:
        hint = (
            "" if password else " (no password: set FSTORE_REDIS_PASSWORD or --redis-password-file)"
        )
        raise SystemExit(
            f"batch_features: Redis Cluster at {args.redis_nodes} unusable: {e}{hint}"
        ) from e


def run(spark, args: argparse.Namespace) -> list[dict]:
    if not spark.catalog.tableExists(args.table):
        raise SystemExit(
            f"batch_features: table {args.table} does not exist (load raw events first:"
            " spark-jobs/load_raw_events.py)"
        )
    ensure_history_table(spark, args.history_table)
    return [run_one(spark, args, t, args.password) for t in args.as_of]


def parse_args(argv: list[str], env: dict[str, str] | None = None) -> argparse.Namespace:
    # Here, not at the top: the executors import this module (the bench's UDF) without the package.
    from fstore_lake.tables import is_table_name

    env = dict(os.environ) if env is None else env
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--as-of",
        action="append",
        required=True,
        help="ISO-8601 time T (UTC unless an offset is given); repeat for several, e.g. a backfill",
    )
    p.add_argument("--table", default="ecommerce.transactions", help="raw events, database.table")
    p.add_argument(
        "--history-table", default="features.batch_feature_history", help="database.table"
    )
    p.add_argument(
        "--redis-nodes",
        default=default_nodes(env),
        help="host:port,… seeds of the Redis Cluster"
        " (default: $FSTORE_REDIS_HOST × $FSTORE_REDIS_CLUSTER_PORTS)",
    )
    p.add_argument(
        "--redis-password-file",
        help="file with the Redis password (used when $FSTORE_REDIS_PASSWORD is not set)",
    )
    p.add_argument("--online", choices=["auto", "always", "never"], default="auto")
    p.add_argument(
        "--dedupe",
        action="store_true",
        help="count each event_id once even if the table holds it twice (the loader already"
        " guarantees one row per event_id; this costs a shuffle of the window)",
    )
    p.add_argument("--log-level", default="WARN", help="Spark's log level once the job runs")
    p.add_argument("--write-partitions", type=int, default=4, help="Spark partitions writing Redis")
    args = p.parse_args(argv)
    for name in (args.table, args.history_table):
        if not is_table_name(name):
            p.error(f"{name!r} is not database.table")
    try:
        args.as_of = [parse_as_of(t) for t in args.as_of]
        parse_nodes(args.redis_nodes)
        args.password = (
            read_password(env, args.redis_password_file) if args.online != "never" else None
        )
    except ValueError as e:
        p.error(str(e))
    if args.write_partitions < 1:
        p.error("--write-partitions must be at least 1")
    return args


def main(argv: list[str]) -> None:
    from pyspark.sql import SparkSession

    args = parse_args(argv)
    if args.online != "never":
        check_redis(args, args.password)
    spark = SparkSession.builder.appName("batch_features").enableHiveSupport().getOrCreate()
    # Spark's INFO lines would drown the progress and summary lines (Livy keeps a log's last
    # lines only).
    spark.sparkContext.setLogLevel(args.log_level)
    log(f"Spark {spark.version} up, master {spark.sparkContext.master}")
    try:
        run(spark, args)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
