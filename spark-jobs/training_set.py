"""A point-in-time correct training set (docs/design.md §7, "Point in time"): entity rows (key
columns, a timestamp t, anything else) in, the same rows in the same order out, with one column
per feature holding its value as it was at t.

    spark-submit training_set.py --definitions defs.json --entities rows.csv \
        (--features a,b | --entity customer) [--timestamp-column event_timestamp] --out NAME \
        [--out-database training_sets] [--table db.raw] [--history-table db.history]

The definitions come from `fstore features export` (as for batch_features.py, whose parsing this
job shares); nothing about a feature is restated here.

- Stream features (last, last_k, time windows) are computed from the source's raw events in the
  lake with event time ≤ t: `last`/`last_k` over the qualifying events ≤ t (and > t − W when the
  feature has a window), a time window over (t − W, t] exactly (no tiles). "Latest" is the
  greatest (event time, event_id); an event_id counts once; an event qualifies when its filter is
  TRUE and its `of` is not NULL (test/support/interpreter.ts reads the definitions the same way).
- Batch features come from the batch history (batch_features.py's snapshots): the snapshot with
  the greatest as-of ≤ t, the value its run computed for the entity (none: NULL).
- No value at t: NULL. Values are typed: int → bigint, decimal → decimal(38,2), double → double.

How (Spark joins and window functions, no Python per row): the rows get a row number; per entity
(key set) the qualifying events of its `last`/`last_k` features and the rows are unioned and
sorted once by (keys, time, events before rows, event_id): a running `last` gives each row its
latest qualifying value, a running count numbers each feature's events and tells each row how many
qualifying events precede it (N); the K latest events of a row are then an equi-join on (keys,
sequence number in (N − K, N]). Time windows of width W cut time into buckets of W per key: a
row's window is a running reduction up to t in its own bucket plus one down to t − W in the
previous bucket (`window_values`), so every pass is linear in events + rows. A row's
batch snapshot is the greatest as-of ≤ t of the history's partitions (a small list), and the
history is read only for the snapshots the rows need, pivoted per entity and joined on (snapshot,
key). The raw events are read only for the event_date partitions the rows' times and the windows
can reach, and only for the entities the rows name.

Output: a Parquet table `<out-database>.<out>` (overwritten), one file, rows in input order.
Progress lines `training_set [  1.2s] …`, then one `TRAINING_SET_SUMMARY <json>` line: rows,
nulls per feature, the table and its path, snapshots used, events read, duration. A bad input
(missing key column, a timestamp that does not parse, an unknown feature) ends the job with one
`FSTORE_ERROR <message>` line (the control plane reports it as the run's error) and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from batch_features import (
    EPOCH,
    PARTITION_COLUMN,
    Definitions,
    FeatureDef,
    feature_names,
    iso_ms,
    load_definitions,
    parse_snapshot,
)
from fstore_lake import emit_line, job_cli

SUMMARY_PREFIX = "TRAINING_SET_SUMMARY "
DEFAULT_TIMESTAMP_COLUMN = "event_timestamp"
DEFAULT_OUT_DATABASE = "training_sets"
DEFAULT_HISTORY_TABLE = "features.batch_feature_history"
# Output column types per feature type.
OUTPUT_TYPES = {"int": "bigint", "decimal": "decimal(38,2)", "double": "double"}

_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")

# Internal columns (no entity-row column may start with `__ts_`).
ROW = "__ts_row"
T = "__ts_t"  # the row's time / the event's time (timestamp)
TU = "__ts_tu"  # the same in epoch microseconds
KIND = "__ts_kind"  # 0 event, 1 entity row (events sort first at equal times: ≤ t)
EID = "__ts_id"
KEY = "__ts_key"  # `{k1}_{k2}`: a Redis key without its feature prefix
SNAP = "__ts_snap"


class TrainingSetError(Exception):
    """Bad input: the message names the column, feature or argument."""


_STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"training_set [{time.monotonic() - _STARTED:7.1f}s] {message}", flush=True)


# --- pure parts ----------------------------------------------------------------------------------


def select_features(
    defs: Definitions, names: list[str] | None, entity: str | None
) -> tuple[FeatureDef, ...]:
    """The features asked for: by name (each must exist), or every feature of an entity."""
    by_name = {f.name: f for f in defs.features}
    if entity is not None:
        chosen = [f for f in defs.features if f.entity == entity]
        if not chosen:
            entities = sorted({f.entity for f in defs.features})
            raise TrainingSetError(
                f"--entity {entity}: no feature has this entity (entities: {', '.join(entities)})"
            )
        return tuple(chosen)
    if not names:
        raise TrainingSetError("--features: name at least one feature (or pass --entity)")
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise TrainingSetError(
            f"--features: unknown feature {', '.join(unknown)}"
            f" (features: {', '.join(sorted(by_name))})"
        )
    return tuple(by_name[n] for n in dict.fromkeys(names))


def key_sets(features) -> dict[tuple[str, ...], list[tuple[int, FeatureDef]]]:
    """Features grouped by their entity's key columns (feature index kept)."""
    out: dict[tuple[str, ...], list[tuple[int, FeatureDef]]] = {}
    for i, f in enumerate(features):
        out.setdefault(tuple(f.keys), []).append((i, f))
    return out


def snapshot_for(snapshots: list[int], t_ms: int) -> int | None:
    """The greatest snapshot as-of ≤ t (the Spark expression in `batch_values` does the same)."""
    eligible = [s for s in snapshots if s <= t_ms]
    return max(eligible) if eligible else None


def check_columns(columns: list[str], features, timestamp_column: str) -> None:
    """The entity rows must carry each feature's key columns and the timestamp column, and no
    column a feature's output would replace."""
    present = set(columns)
    if timestamp_column not in present:
        raise TrainingSetError(
            f"--timestamp-column {timestamp_column}: the entity rows have no such column"
            f" (columns: {', '.join(columns)})"
        )
    for f in features:
        for k in f.keys:
            if k not in present:
                raise TrainingSetError(
                    f"the entity rows lack the key column {k} (entity {f.entity},"
                    f" feature {f.name}; columns: {', '.join(columns)})"
                )
        if f.name in present:
            raise TrainingSetError(
                f"the entity rows already have a column {f.name}: the feature would replace it"
            )
    internal = [c for c in columns if c.startswith("__ts_")]
    if internal:
        raise TrainingSetError(f"column {internal[0]}: names starting __ts_ are reserved")


# --- Spark ---------------------------------------------------------------------------------------


def read_entity_rows(spark, args):
    """The entity rows with a row number (`ROW`) in input order."""
    from pyspark.sql import functions as F  # noqa: N812

    if args.entities_table:
        if not spark.catalog.tableExists(args.entities_table):
            raise TrainingSetError(f"--entities-table {args.entities_table}: no such table")
        df = spark.table(args.entities_table)
    else:
        fmt = args.format or ("csv" if args.entities.lower().endswith(".csv") else "parquet")
        try:
            if fmt == "csv":
                # Every column as text: passed through untouched.
                df = spark.read.option("header", True).option("inferSchema", False)
                df = df.option("mode", "FAILFAST").csv(args.entities)
            else:
                df = spark.read.parquet(args.entities)
        except Exception as e:  # AnalysisException: missing file, not Parquet, …
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise TrainingSetError(
                f"--entities {args.entities}: cannot read it as {fmt}: {first}"
            ) from None
    # A single file's partitions are its splits in order, so these ids follow the file's order.
    return df.withColumn(ROW, F.monotonically_increasing_id())


def parse_timestamps(rows, column: str):
    """`T` and `TU` from the timestamp column (a timestamp, a date, or ISO-8601 text; UTC unless
    an offset is given). A value that does not parse, or a missing one, is an error naming it."""
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql import types as TY  # noqa: N812

    dtype = rows.schema[column].dataType
    c = F.col(f"`{column}`")
    if isinstance(dtype, TY.TimestampType | TY.TimestampNTZType | TY.DateType):
        parsed = c.cast("timestamp")
    elif isinstance(dtype, TY.StringType):
        parsed = F.to_timestamp(F.trim(c))
    else:
        raise TrainingSetError(
            f"--timestamp-column {column}: a {dtype.simpleString()} column; it must hold"
            " timestamps or ISO-8601 text (e.g. 2024-03-15T10:00:00Z)"
        )
    out = rows.withColumn(T, parsed)
    bad = out.where(F.col(T).isNull()).select(c.cast("string").alias("v")).limit(3).collect()
    if bad:
        n = out.where(F.col(T).isNull()).count()
        shown = ", ".join("(empty)" if r.v is None else json.dumps(r.v) for r in bad)
        raise TrainingSetError(
            f"--timestamp-column {column}: {n} value(s) are not a timestamp, e.g. {shown}"
            " (ISO-8601 or YYYY-MM-DD HH:MM:SS[.fff], UTC unless an offset is given)"
        )
    return out.withColumn(TU, F.unix_micros(F.col(T)))


def value_column(f: FeatureDef):
    """An event's value for feature f: NULL unless the event qualifies (filter TRUE, `of` not
    NULL), then `of` with its declared type (1 for a count of events)."""
    from pyspark.sql import functions as F  # noqa: N812

    cond = F.lit(True)
    if f.filter is not None:
        cond = F.coalesce(F.expr(f"({f.filter})"), F.lit(False))
    value = F.lit(1) if f.of is None else F.expr(f"CAST(({f.of}) AS {f.of_type})")
    return F.when(cond, value)


def reduce_values(reducer: str, v):
    """sum | count | avg | min | max of v (a group's values); NULL when none qualified."""
    from pyspark.sql import functions as F  # noqa: N812

    if reducer == "sum":
        return F.sum(v)
    if reducer == "count":
        n = F.count(v)
        return F.when(n > 0, n)
    if reducer == "avg":
        n = F.count(v)
        return F.when(n > 0, F.sum(v).cast("double") / n.cast("double"))
    if reducer in ("min", "max"):
        return getattr(F, reducer)(v)
    raise ValueError(f"unknown reducer {reducer}")


def window_values(events, rows, keys: list[str], window_ms: int, group):
    """(ROW, one column per feature of `group`): each row's reduction over the qualifying events
    in (t − W, t], for features that share the window W — in passes linear in events + rows.

    Why not a RANGE frame: Spark re-aggregates a sliding frame whose aggregate it cannot invert
    (SlidingWindowFunctionFrame), so a key with many events in a window costs events × frame, and
    min/max cannot be inverted at all; the full-size bench ran 54 min without finishing (docs/
    training-sets.md). Instead, time is cut into buckets of W per key: a row's window (t − W, t]
    is the part of its own bucket up to t plus the part of the previous bucket after t − W (the
    previous bucket holds t − W, as ⌊(t − W)/W⌋ = ⌊t/W⌋ − 1). The first is a running reduction in
    ascending time, the second one in descending time, each over the bucket's events and one mark
    per row; no value is subtracted, so sums of doubles stay as accurate as a plain sum, and a
    key's events spread over its buckets' partitions instead of one."""
    from pyspark.sql import Window as W  # noqa: N814
    from pyspark.sql import functions as F  # noqa: N812

    width = window_ms * 1000  # W in microseconds, the unit of TU
    bucket, side = "__ts_bucket", "__ts_side"  # side: 0 the row's bucket, 1 the previous one

    def bucket_of(tu):
        # t − (t mod W) is a whole multiple of W: the division is exact.
        return F.floor((tu - F.pmod(tu, F.lit(width))).cast("long") / F.lit(width))

    values = [f"__ts_v{i}" for i, _ in group]
    ev = events.select(
        *keys,
        TU,
        F.lit(0).alias(KIND),
        bucket_of(F.col(TU)).alias(bucket),
        F.lit(None).cast("int").alias(side),
        F.lit(None).cast("bigint").alias(ROW),
        *values,
    )
    nulls = [F.lit(None).cast(events.schema[v].dataType).alias(v) for v in values]
    own = rows.select(
        *keys,
        TU,
        F.lit(1).alias(KIND),
        bucket_of(F.col(TU)).alias(bucket),
        F.lit(0).alias(side),
        ROW,
        *nulls,
    )
    previous = rows.select(
        *keys,
        (F.col(TU) - F.lit(width)).alias(TU),
        F.lit(1).alias(KIND),
        (bucket_of(F.col(TU)) - F.lit(1)).alias(bucket),
        F.lit(1).alias(side),
        ROW,
        *nulls,
    )
    u = ev.unionByName(own).unionByName(previous)
    # At equal times: ascending, events before the mark (≤ t counts); descending, the mark
    # before the events (> t − W: an event at exactly t − W does not count).
    up = W.partitionBy(*keys, bucket).orderBy(TU, KIND).rowsBetween(W.unboundedPreceding, 0)
    down = (
        W.partitionBy(*keys, bucket)
        .orderBy(F.col(TU).desc(), F.col(KIND).desc())
        .rowsBetween(W.unboundedPreceding, 0)
    )

    def partials(i: int, f: FeatureDef) -> dict[str, object]:
        """The per-side reductions f's value is combined from, by name."""
        v = F.col(f"__ts_v{i}")
        if f.aggregation in ("min", "max"):
            return {"r": getattr(F, f.aggregation)(v)}
        if f.aggregation == "sum":
            return {"s": F.sum(v)}
        if f.aggregation == "count":
            return {"n": F.count(v)}
        return {"s": F.sum(v), "n": F.count(v)}  # avg

    parts = {(i, name): agg for i, f in group for name, agg in partials(i, f).items()}
    mine = F.col(side) == 0
    marks = u.select(
        ROW,
        side,
        *(
            F.when(mine, agg.over(up)).otherwise(agg.over(down)).alias(f"__ts_{name}{i}")
            for (i, name), agg in parts.items()
        ),
    ).where(F.col(KIND) == 1)
    both = marks.groupBy(ROW).agg(
        *(
            F.first(F.when(F.col(side) == s, F.col(f"__ts_{name}{i}")), ignorenulls=True).alias(
                f"__ts_{name}{i}_{s}"
            )
            for (i, name) in parts
            for s in (0, 1)
        )
    )

    def combined(i: int, name: str):
        a, b = F.col(f"__ts_{name}{i}_0"), F.col(f"__ts_{name}{i}_1")
        if name == "n":
            return a + b  # counts are never NULL
        # NULL + x would be NULL: a side without qualifying events contributes nothing.
        return F.when(a.isNull(), b).when(b.isNull(), a).otherwise(a + b)

    out = []
    for i, f in group:
        if f.aggregation in ("min", "max"):
            pick = F.least if f.aggregation == "min" else F.greatest  # both skip NULLs
            value = pick(F.col(f"__ts_r{i}_0"), F.col(f"__ts_r{i}_1"))
        elif f.aggregation == "sum":
            value = combined(i, "s").cast(marks.schema[f"__ts_s{i}"].dataType)
        elif f.aggregation == "count":
            n = combined(i, "n")
            value = F.when(n > 0, n)
        else:
            n = combined(i, "n")
            value = F.when(n > 0, combined(i, "s").cast("double") / n.cast("double"))
        out.append(value.alias(f.name))
    return both.select(ROW, *out)


def by_row(left, right):
    """left ⟕ right on ROW, always as a sort-merge join. Both sides hold up to one row per entity
    row; when a shuffled side looks small (compressed row numbers and one value), adaptive
    execution turns the join into a broadcast, and in the full-size bench (1 M rows) concurrent
    1 M-row broadcasts ran the 4 GB driver out of heap (BroadcastExchangeExec, 2026-12-01)."""
    return left.join(right.hint("merge"), ROW, "left")


@dataclass
class StreamRead:
    events_read: int
    partitions_read: int


def source_events(spark, table: str, src, rows_bounds, windows_ms):
    """The raw events a set of rows can see: event time ≤ the latest t, and > the earliest
    t − the largest window when every feature has one; the event_date condition prunes the
    partitions read."""
    from pyspark.sql import functions as F  # noqa: N812

    t_min, t_max = rows_bounds
    raw = spark.table(table)
    t = F.col(src.event_time)
    df = raw.where(F.col(PARTITION_COLUMN) <= F.lit(t_max.date())).where(
        t <= F.expr(f"timestamp_micros({_micros(t_max)})")
    )
    if windows_ms and all(w is not None for w in windows_ms):
        start = t_min - timedelta(milliseconds=max(windows_ms))
        df = df.where(F.col(PARTITION_COLUMN) >= F.lit(start.date())).where(
            t > F.expr(f"timestamp_micros({_micros(start)})")
        )
    if src.derived:
        df = df.select(
            "*", *(F.expr(f"CAST(({sql}) AS {typ})").alias(name) for name, sql, typ in src.derived)
        )
    return df


def _micros(t: datetime) -> int:
    return (t - EPOCH) // timedelta(microseconds=1)


def last_values(events, rows, keys: list[str], last, latest):
    """(ROW, one column per `last` and `last_k` feature) for every row, and the sorted union
    (cached by the caller). The events and the rows are sorted once by (keys, time, events before
    rows, event_id): a running `last` gives each row its latest qualifying value (the latest ≤ t,
    and > t − W with a window), a running count numbers each last_k feature's events and tells
    each row how many precede it (N); the K latest are then an equi-join on (keys, sequence
    number in (N − K, N])."""
    from pyspark import StorageLevel
    from pyspark.sql import Window as W  # noqa: N814
    from pyspark.sql import functions as F  # noqa: N812

    values = [f"__ts_v{i}" for i, _ in [*last, *latest]]
    marks = rows.select(
        *keys,
        TU,
        F.lit(1).alias(KIND),
        F.lit(None).cast("string").alias(EID),
        ROW,
        *(F.lit(None).cast(events.schema[v].dataType).alias(v) for v in values),
    )
    u = events.select(*keys, TU, KIND, EID, ROW, *values).unionByName(marks)
    running = W.partitionBy(*keys).orderBy(TU, KIND, EID).rowsBetween(W.unboundedPreceding, 0)
    cols = []
    for i, f in last:
        v = F.col(f"__ts_v{i}")
        value = F.last(v, ignorenulls=True).over(running)
        if f.window_ms is not None:
            at = F.last(F.when(v.isNotNull(), F.col(TU)), ignorenulls=True).over(running)
            value = F.when(at > F.col(TU) - F.lit(f.window_ms * 1000), value)
        cols.append(value.alias(f"__ts_w{i}"))
    for i, _ in latest:
        qualifies = F.when(F.col(f"__ts_v{i}").isNotNull(), F.lit(1)).otherwise(F.lit(0))
        cols.append(F.sum(qualifies).over(running).alias(f"__ts_n{i}"))
    u = u.select("*", *cols).persist(StorageLevel.MEMORY_AND_DISK)
    at_rows = u.where(F.col(KIND) == 1)
    part = at_rows.select(ROW, *(F.col(f"__ts_w{i}").alias(f.name) for i, f in last))
    for i, f in latest:
        n = F.col(f"__ts_n{i}")
        lookups = at_rows.where(n > 0).select(
            ROW,
            *keys,
            F.col(TU).alias("__ts_rowtu"),
            F.explode(F.sequence(F.greatest(n - F.lit(f.k - 1), F.lit(1)), n)).alias("__ts_s"),
        )
        numbered = u.where((F.col(KIND) == 0) & F.col(f"__ts_v{i}").isNotNull()).select(
            *keys,
            F.col(f"__ts_n{i}").alias("__ts_s"),
            TU,
            EID,
            F.col(f"__ts_v{i}").alias("__ts_v"),
        )
        hits = lookups.join(numbered.hint("merge"), [*keys, "__ts_s"])  # both large: see by_row
        if f.window_ms is not None:
            hits = hits.where(F.col(TU) > F.col("__ts_rowtu") - F.lit(f.window_ms * 1000))
        agg = reduce_values(f.reduce, F.col("__ts_v"))
        part = by_row(part, hits.groupBy(ROW).agg(agg.alias(f.name)))
    return part, u


def stream_values(spark, rows, features, src, table: str, rows_bounds):
    """(ROW, one column per stream feature) for every row, and what was read."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F  # noqa: N812

    features = list(features)
    raw = source_events(spark, table, src, rows_bounds, [f.window_ms for _, f in features])
    partitions_read = len({p.rsplit("/", 1)[0] for p in raw.inputFiles()})
    all_keys = tuple(dict.fromkeys(k for _, f in features for k in f.keys))
    prepared = raw.select(
        *(F.col(k).cast("string").alias(k) for k in all_keys),
        F.col(src.event_time).alias(T),
        F.unix_micros(F.col(src.event_time)).alias(TU),
        F.col(src.event_id).alias(EID),
        *(value_column(f).alias(f"__ts_v{i}") for i, f in features),
    )
    # An event_id counts once (a redelivery carries the same payload).
    prepared = prepared.dropDuplicates([EID]).persist(StorageLevel.MEMORY_AND_DISK)
    events_read = prepared.count()
    cached = [prepared]

    result = rows.select(ROW)
    for keys, group in key_sets(f for _, f in features).items():
        group = [(features[j][0], f) for j, f in group]
        keys = list(keys)
        present = F.lit(True)
        for k in keys:
            present = present & F.col(k).isNotNull()
        wanted = rows.select(*keys).where(present)
        qualifying = F.lit(False)
        for i, _ in group:
            qualifying = qualifying | F.col(f"__ts_v{i}").isNotNull()
        ev = (
            prepared.where(qualifying)
            .join(wanted.distinct(), keys, "left_semi")
            .select(
                *keys,
                TU,
                F.lit(0).alias(KIND),
                EID,
                F.lit(None).cast("bigint").alias(ROW),
                *(F.col(f"__ts_v{i}") for i, _ in group),
            )
        )
        last = [(i, f) for i, f in group if f.aggregation == "last"]
        latest = [(i, f) for i, f in group if f.aggregation == "last_k"]
        windows: dict[int, list[tuple[int, FeatureDef]]] = {}
        for i, f in group:
            if f.aggregation not in ("last", "last_k"):
                windows.setdefault(f.window_ms, []).append((i, f))
        part = rows.select(ROW)
        if last or latest:
            part, u = last_values(ev, rows, keys, last, latest)
            cached.append(u)
        for window_ms, same_window in windows.items():
            part = by_row(
                part, window_values(ev, rows.where(present), keys, window_ms, same_window)
            )
        result = by_row(result, part)
    return result, StreamRead(events_read, partitions_read), cached


def history_snapshots(spark, history: str) -> list[int]:
    if not spark.catalog.tableExists(history):
        return []
    return sorted(parse_snapshot(r[0]) for r in spark.sql(f"SHOW PARTITIONS {history}").collect())


def batch_values(spark, rows, features, history: str, snapshots: list[int]):
    """(ROW, one column per batch feature): each row's value from the snapshot with the greatest
    as-of ≤ t (NULL when there is none, or the snapshot has no value for the entity)."""
    from pyspark.sql import functions as F  # noqa: N812

    features = list(features)
    if not snapshots:
        return rows.select(ROW, *(F.lit(None).alias(f.name) for _, f in features)), []
    candidates = F.array(*(F.lit(s).cast("bigint") for s in snapshots))
    latest = F.array_max(F.filter(candidates, lambda s: s * 1000 <= F.col(TU)))
    with_snap = rows.withColumn(SNAP, latest)
    used = sorted(r[0] for r in with_snap.select(SNAP).distinct().collect() if r[0] is not None)
    result = rows.select(ROW)
    if not used:
        return result.select(ROW, *(F.lit(None).alias(f.name) for _, f in features)), used
    days = sorted({(EPOCH + timedelta(milliseconds=s)).date() for s in used})
    hist = (
        spark.table(history)
        .where(F.col("as_of_date").isin(days))  # partition pruning
        .where(F.col("as_of_ms").isin(used))
        .where(F.col("feature").isin([f.name for _, f in features]))
        .select(
            F.col("as_of_ms").alias(SNAP),
            F.expr("substring(key, length(feature) + 2)").alias(KEY),
            "feature",
            "value",
        )
    )
    for keys, group in key_sets(f for _, f in features).items():
        names = [features[j][1].name for j, _ in group]
        pivoted = (
            hist.where(F.col("feature").isin(names))
            .groupBy(SNAP, KEY)
            .pivot("feature", names)
            .agg(F.first("value"))
        )
        row_key = F.concat_ws(
            "_", *(F.concat(F.lit("{"), F.col(k).cast("string"), F.lit("}")) for k in keys)
        )
        mine = with_snap.select(ROW, SNAP, row_key.alias(KEY))
        part = mine.join(pivoted, [SNAP, KEY], "left").select(ROW, *names)
        result = by_row(result, part)
    return result, used


def write_output(spark, out, table: str) -> str:
    """One Parquet file in row order, as a table (overwritten); returns its location."""
    from fstore_lake.tables import ensure_databases

    ensure_databases(spark, table)
    out.repartition(1).sortWithinPartitions(ROW).drop(ROW).write.mode("overwrite").format(
        "parquet"
    ).saveAsTable(table)
    info = spark.sql(f"DESCRIBE TABLE EXTENDED {table}").collect()
    location = next((r[1] for r in info if r[0] == "Location"), None)
    return location


def run(spark, args) -> dict:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F  # noqa: N812

    started = time.monotonic()
    features = args.features
    rows = read_entity_rows(spark, args)
    columns = [c for c in rows.columns if c != ROW]
    check_columns(columns, features, args.timestamp_column)
    # Kept: the row numbers must not be drawn again.
    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    rows = parse_timestamps(rows, args.timestamp_column)
    keys = tuple(dict.fromkeys(k for f in features for k in f.keys))
    narrow = rows.select(
        ROW, T, TU, *(F.col(f"`{k}`").cast("string").alias(k) for k in keys)
    ).persist(StorageLevel.MEMORY_AND_DISK)
    bounds = narrow.agg(F.count(F.lit(1)), F.min(T), F.max(T)).first()
    n_rows = bounds[0]
    log(f"{n_rows} entity rows, t from {bounds[1]} to {bounds[2]}; {len(features)} features")
    cached = [narrow]
    parts = []
    read = {"events_read": 0, "partitions_read": 0}
    stream = [(i, f) for i, f in enumerate(features) if f.engine == "stream"]
    batch = [(i, f) for i, f in enumerate(features) if f.engine == "batch"]
    snapshots_used: list[int] = []
    if stream and n_rows:
        t_bounds = (bounds[1].replace(tzinfo=UTC), bounds[2].replace(tzinfo=UTC))
        by_source: dict[str, list] = {}
        for i, f in stream:
            by_source.setdefault(f.source, []).append((i, f))
        for source, group in by_source.items():
            src = args.definitions.sources[source]
            table = args.table or src.table
            if not spark.catalog.tableExists(table):
                raise TrainingSetError(f"raw events table {table} does not exist")
            part, r, c = stream_values(spark, narrow, group, src, table, t_bounds)
            cached.extend(c)
            read["events_read"] += r.events_read
            read["partitions_read"] += r.partitions_read
            log(
                f"stream: {', '.join(f.name for _, f in group)} from {table}"
                f" ({r.partitions_read} partitions, {r.events_read} events up to the latest t)"
            )
            parts.append(part)
    if batch and n_rows:
        snapshots = history_snapshots(spark, args.history_table)
        part, snapshots_used = batch_values(spark, narrow, batch, args.history_table, snapshots)
        log(
            f"batch: {', '.join(f.name for _, f in batch)} from {args.history_table}"
            f" ({len(snapshots)} snapshots, {len(snapshots_used)} used)"
        )
        parts.append(part)
    out = rows.drop(T, TU)
    for part in parts:
        out = by_row(out, part)
    out = out.select(
        ROW,
        *(F.col(f"`{c}`") for c in columns),
        *(
            (F.col(f.name) if parts else F.lit(None)).cast(OUTPUT_TYPES[f.type]).alias(f.name)
            for f in features
        ),
    )
    table = f"{args.out_database}.{args.out}"
    location = write_output(spark, out, table)
    for df in cached:
        df.unpersist()
    log(f"written: {table} at {location}")
    written = spark.table(table)
    counts = written.agg(
        F.count(F.lit(1)),
        *(F.count(F.when(F.col(f.name).isNull(), 1)).alias(f.name) for f in features),
    ).first()
    summary = {
        "rows": counts[0],
        "features": [f.name for f in features],
        "nulls": {f.name: counts[f.name] for f in features},
        "table": table,
        "path": location,
        "timestamp_column": args.timestamp_column,
        "snapshots_used": [iso_ms(s) for s in snapshots_used],
        **read,
        "duration_s": round(time.monotonic() - started, 3),
    }
    emit_line(SUMMARY_PREFIX + json.dumps(summary))
    return summary


def parse_args(argv: list[str]) -> argparse.Namespace:
    from fstore_lake.tables import is_table_name

    p = job_cli.parser("training_set", __doc__.split("\n\n")[0])
    p.add_argument("--definitions", required=True, help="JSON of `fstore features export`")
    p.add_argument("--entities", help="the entity rows: a CSV (with a header) or Parquet file")
    p.add_argument("--entities-table", help="the entity rows as a lake table, database.table")
    p.add_argument("--format", choices=["csv", "parquet"], help="default: by the file's extension")
    p.add_argument("--features", help="comma-separated feature names")
    p.add_argument("--entity", help="every feature of this entity")
    p.add_argument("--timestamp-column", default=DEFAULT_TIMESTAMP_COLUMN)
    p.add_argument("--out", required=True, help="the training set's name (its table's name)")
    p.add_argument("--out-database", default=DEFAULT_OUT_DATABASE)
    p.add_argument("--table", help="raw events, database.table (default: the source's table)")
    p.add_argument("--history-table", default=DEFAULT_HISTORY_TABLE)
    p.add_argument("--log-level", default="WARN")
    args = p.parse_args(argv)
    if bool(args.entities) == bool(args.entities_table):
        p.error("pass one of --entities FILE or --entities-table db.table")
    if (args.features is None) == (args.entity is None):
        p.error("pass one of --features a,b or --entity NAME")
    for name in (args.table, args.history_table, args.entities_table):
        if name is not None and not is_table_name(name):
            p.error(f"{name!r} is not database.table")
    if not _NAME.fullmatch(args.out):
        p.error(f"--out {args.out!r}: a name of a-z 0-9 _ starting with a letter")
    if not _NAME.fullmatch(args.out_database):
        p.error(f"--out-database {args.out_database!r}: a name of a-z 0-9 _")
    if not _COLUMN.fullmatch(args.timestamp_column):
        p.error(f"--timestamp-column {args.timestamp_column!r}: not a column name")
    try:
        args.definitions = load_definitions(args.definitions)
        args.features = select_features(args.definitions, feature_names(args.features), args.entity)
    except (ValueError, TrainingSetError) as e:
        p.error(str(e))
    if args.table and len({f.source for f in args.features if f.engine == "stream"}) > 1:
        p.error("--table: the stream features read more than one source")
    return args


def main(argv: list[str]) -> None:
    job_cli.run_driver("training_set", parse_args(argv), run, TrainingSetError, log)


if __name__ == "__main__":
    main(sys.argv[1:])
