"""Every batch feature of the definitions (features/, docs/design.md §7) as of a time T: the
lake's raw table → Redis + history; and every stream time window as of T → history only.

    spark-submit batch_features.py --definitions defs.json --as-of 2024-03-15T00:00:00Z \
        [--as-of T2 …] [--features a,b] [--table ecommerce.transactions] \
        [--history-table features.batch_feature_history] [--redis-nodes 127.0.0.1:7001,…] \
        [--redis-user batch-features] [--redis-password-file FILE] [--online auto|always|never]

The definitions come from `fstore features export` (libs/definitions/src/export.ts), a JSON file;
nothing about a feature is restated here. Every feature with engine `batch` and every stream time
window (sum|count|avg|min|max over W, engine `stream`) is computed (or those named by
`--features`; a stream last / last_k has no batch form), for any entity (its key columns), any
aggregation of the vocabulary, with the source's derived columns and the feature's filter and `of`
as Spark SQL (`F.expr`), exactly as test/support/interpreter.ts defines them:

- an event qualifies when its filter is TRUE and its `of` value is not NULL (any event for a count
  without `of`); an event_id counts once;
- sum | count | avg | min | max over a window W cover the events in (T − W, T]; last / last_k the
  events ≤ T (and > T − W when the feature has a window); "latest" is the greatest
  (event time, event_id in byte order);
- no qualifying event → no key; values as the online-store format writes them: ints, decimals
  with exactly two places (exact: Spark decimals), doubles (avg is always one) as JavaScript's
  String(x).

One read of the source per as-of: only the event_date partitions the largest window can hold
(all up to T's date when a last/last_k has no window). The time-window and `last` features of all
entities come out of one aggregation by the union of their key columns (their partial sums,
counts, minima, maxima, latest values), rolled up per entity; each last_k is a window function
over the events (then cached). Keys `<feature>:{k1}[_{k2}]` (docs/online-store-format.md).

Stream time windows go to the history only, never to Redis: online they are tiles the stream
writer keeps under the same key (docs/online-store-format.md, "Time windows"), and the value read
at t with ⌈t/g⌉·g = T equals the history's as of T. A run that selects no batch feature leaves
Redis and the published mark alone.

Online store (docs/online-store-format.md): each batch value of the snapshot with its `<key>:ts` =
T (epoch ms), set by the writer's set-if-not-older script, so a value never replaces one of a newer
as-of. Redis holds the batch part of the snapshot of the latest as-of published (the history
table's property `fstore.online_as_of_ms`); each of its keys that has no value as of T is deleted by
the same rule (the `:ts` key stays as the tombstone, at T), so an entity without qualifying events
has no key.

History: one snapshot per as-of in `--history-table` (Parquet, partitioned by as_of_date and
as_of_ms), batch features and stream windows; written again, a snapshot has this run's features
replaced and keeps the rows of the defined features it did not compute (`--features`), so the same
T twice gives the same table; `entity` is the entity's name, `entity_id` its key parts joined by
`:` (`c1:p1`, as the control plane's API names a composite entity). Order of a run: Redis, then
the snapshot, then the published mark; a run that fails on the way is simply redone.

`--online auto` (default) writes Redis unless it holds a newer as-of (then this is a backfill:
history only); `always` writes anyway (the set-if-not-older rule still protects newer values);
`never` writes history only. One run at a time per history table.

Redis: nodes from `--redis-nodes` (default: $FSTORE_REDIS_HOST and $FSTORE_REDIS_CLUSTER_PORTS, as
the settings name them), logged in as the ACL user `--redis-user` (default `batch-features`: it may
write the batch features' keys only, libs/config/src/redis-acl.ts); its password from
$FSTORE_REDIS_BATCH_PASSWORD, else from `--redis-password-file` (a file holding the password, or
`FSTORE_REDIS_BATCH_PASSWORD=…` lines like the stack's secrets.env). The password is never an
argument. Several `--as-of` run one after the other, in the order given (a
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
from pathlib import Path

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SUMMARY_PREFIX = "BATCH_FEATURES_SUMMARY "

# The lake's raw tables are partitioned by the UTC date of the event time (fstore_lake.tables).
PARTITION_COLUMN = "event_date"

# The online store's write rule, the one file the TypeScript store loads too (KEYS = value key,
# `:ts` key; ARGV = value ('' deletes), event time in epoch ms). Beside spark-jobs/ in the
# repository and in the Livy image.
SET_IF_NEWER_FILE = (
    Path(__file__).resolve().parent.parent / "libs" / "online-store" / "lua" / "set_if_newer.lua"
)


def set_if_newer_script() -> str:
    """Read on the driver; the Spark partitions that write get the text with their closure."""
    return SET_IF_NEWER_FILE.read_text()


# Table property of the history table: the latest as-of (epoch ms) published to Redis.
PUBLISHED_PROPERTY = "fstore.online_as_of_ms"

# Keys sent to Redis per pipeline round trip (the cluster pipeline splits them per node).
REDIS_CHUNK = 2000

# How a composite entity's key parts are joined in the history table's entity_id.
ENTITY_ID_SEPARATOR = ":"


# --- pure parts (unit-tested without Spark or Redis) ---------------------------------------------


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
    """(start, end] by event time (start None: every event up to end), and the event_date
    partitions that can hold it (first_date None: every date up to last_date)."""

    start: datetime | None  # exclusive
    end: datetime  # inclusive
    first_date: date | None
    last_date: date


def window_of(as_of: datetime, window_ms: int | None) -> Window:
    if window_ms is None:
        return Window(None, as_of, None, as_of.date())
    start = as_of - timedelta(milliseconds=window_ms)
    # An event at start + 1 µs is on start's date; the window's last event is on T's date.
    return Window(start, as_of, start.date(), as_of.date())


# --- the definitions (the JSON of `fstore features export`) --------------------------------------

EXPORT_FORMAT = 1
AGGREGATIONS = ("last", "last_k", "sum", "count", "avg", "min", "max")
REDUCERS = ("avg", "sum", "min", "max", "count")
VALUE_TYPES = ("int", "decimal", "double")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_COLUMN = re.compile(r"[a-z_][a-z0-9_]{0,63}")
# The column types the export writes (libs/definitions typeName), all valid Spark SQL types.
_COLUMN_TYPE = re.compile(r"string|int|bigint|double|boolean|timestamp|decimal\(\d{1,2},\d{1,2}\)")


@dataclass(frozen=True)
class SourceDef:
    name: str
    table: str
    event_id: str
    event_time: str
    # (name, Spark SQL over the raw columns, type)
    derived: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class FeatureDef:
    name: str
    entity: str
    keys: tuple[str, ...]
    source: str
    engine: str
    aggregation: str  # last | last_k | sum | count | avg | min | max
    k: int | None
    reduce: str | None
    of: str | None  # Spark SQL; None: a count of events
    of_type: str | None
    filter: str | None  # Spark SQL, boolean
    window_ms: int | None
    type: str  # int | decimal | double

    @property
    def reducer(self) -> str:
        """What the qualifying values are reduced with (`last` for the latest value)."""
        return self.reduce if self.aggregation == "last_k" else self.aggregation


@dataclass(frozen=True)
class Definitions:
    sources: dict[str, SourceDef]
    features: tuple[FeatureDef, ...]


def parse_definitions(data: dict) -> Definitions:
    """The export's JSON → Definitions; ValueError naming the field when it is not an export
    this job understands (the names it splices into SQL are checked here)."""

    def need(cond: bool, where: str, message: str) -> None:
        if not cond:
            raise ValueError(f"definitions: {where}: {message}")

    need(isinstance(data, dict), "(top)", "not a JSON object")
    need(
        data.get("format") == EXPORT_FORMAT,
        "format",
        f"{data.get('format')!r}, this job reads format {EXPORT_FORMAT} (`fstore features export`)",
    )
    sources: dict[str, SourceDef] = {}
    for i, s in enumerate(data.get("sources") or []):
        where = f"sources[{i}]"
        try:
            name, table = s["name"], s["table"]
            event_id, event_time = s["event_id"], s["event_time"]
            derived = tuple((d["name"], d["sql"], d["type"]) for d in s.get("derived") or [])
        except (KeyError, TypeError) as e:
            raise ValueError(f"definitions: {where}: missing field {e}") from e
        need(bool(re.fullmatch(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*", str(table))), where, "table")
        for column in (event_id, event_time, *(d[0] for d in derived)):
            need(bool(_COLUMN.fullmatch(str(column))), where, f"{column!r} is not a column name")
        for d in derived:
            need(bool(_COLUMN_TYPE.fullmatch(str(d[2]))), where, f"derived type {d[2]!r}")
        sources[name] = SourceDef(name, table, event_id, event_time, derived)
    features = []
    for i, f in enumerate(data.get("features") or []):
        where = f"features[{i}] ({f.get('name') if isinstance(f, dict) else f!r})"
        try:
            fd = FeatureDef(
                name=f["name"],
                entity=f["entity"],
                keys=tuple(f["keys"]),
                source=f["source"],
                engine=f["engine"],
                aggregation=f["aggregation"],
                k=f.get("k"),
                reduce=f.get("reduce"),
                of=f.get("of"),
                of_type=f.get("of_type"),
                filter=f.get("filter"),
                window_ms=f.get("window_ms"),
                type=f["type"],
            )
        except (KeyError, TypeError) as e:
            raise ValueError(f"definitions: {where}: missing field {e}") from e
        need(bool(_NAME.fullmatch(str(fd.name))), where, "name")
        need(bool(_NAME.fullmatch(str(fd.entity))), where, "entity")
        need(len(fd.keys) > 0, where, "an entity needs key columns")
        for k in fd.keys:
            need(bool(_COLUMN.fullmatch(str(k))), where, f"key {k!r} is not a column name")
        need(fd.source in sources, where, f"unknown source {fd.source!r}")
        need(fd.engine in ("stream", "batch"), where, f"engine {fd.engine!r}")
        need(fd.aggregation in AGGREGATIONS, where, f"aggregation {fd.aggregation!r}")
        need(fd.type in VALUE_TYPES, where, f"type {fd.type!r}")
        if fd.aggregation == "last_k":
            need(isinstance(fd.k, int) and fd.k >= 1, where, f"k {fd.k!r}")
            need(fd.reduce in REDUCERS, where, f"reduce {fd.reduce!r}")
        need(fd.of is not None or fd.reducer == "count", where, "of is needed")
        need(
            fd.of is None or bool(_COLUMN_TYPE.fullmatch(str(fd.of_type))),
            where,
            f"of_type {fd.of_type!r}",
        )
        need(
            fd.window_ms is None or (isinstance(fd.window_ms, int) and fd.window_ms > 0),
            where,
            f"window_ms {fd.window_ms!r}",
        )
        need(
            fd.window_ms is not None or fd.aggregation in ("last", "last_k"),
            where,
            f"a {fd.aggregation} needs window_ms",
        )
        features.append(fd)
    return Definitions(sources, tuple(features))


def feature_names(arg: str | None) -> list[str] | None:
    """`--features a,b`: the names given (blanks dropped), None when the option is absent."""
    return None if arg is None else [n.strip() for n in arg.split(",") if n.strip()]


def load_definitions(path: str) -> Definitions:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise ValueError(f"--definitions {path}: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise ValueError(f"--definitions {path}: not JSON ({e})") from e
    return parse_definitions(data)


WINDOW_AGGREGATIONS = ("sum", "count", "avg", "min", "max")


def is_stream_window(f: FeatureDef) -> bool:
    """A stream time window (sum|count|avg|min|max over W, engine stream): online it is tiles the
    stream writer keeps (docs/online-store-format.md, "Time windows"); here it is computed as of T
    for the history only, never written to Redis (its key is the tiles' hash)."""
    return f.engine == "stream" and f.aggregation in WINDOW_AGGREGATIONS


def is_online(f: FeatureDef) -> bool:
    """Whether this job writes the feature's values to Redis: batch features only."""
    return f.engine == "batch"


def select_features(defs: Definitions, names: list[str] | None) -> tuple[FeatureDef, ...]:
    """The features to compute: every batch feature and every stream time window (in the order of
    the definitions), or those named (each must be one of them). A stream last / last_k has no
    batch form: its value is the stream's latest, online only."""
    computable = {f.name: f for f in defs.features if is_online(f) or is_stream_window(f)}
    if names is None:
        if not computable:
            raise ValueError("the definitions have no batch feature and no stream time window")
        return tuple(computable.values())
    unknown = [n for n in names if n not in computable]
    if unknown:
        stream = {f.name for f in defs.features} & set(unknown)
        raise ValueError(
            f"--features: {', '.join(unknown)}: "
            + (
                "a stream feature without a time window (online only)"
                if stream
                else "not a feature"
            )
            + f" (batch features and stream windows: {', '.join(sorted(computable)) or 'none'})"
        )
    return tuple(computable[n] for n in dict.fromkeys(names))


def online_feature_names(defs: Definitions) -> frozenset[str]:
    """The features whose values this job writes to Redis: the batch ones."""
    return frozenset(f.name for f in defs.features if is_online(f))


def stream_feature_names(defs: Definitions) -> frozenset[str]:
    """The stream features' names: their keys in Redis belong to the stream writer, and this job
    never writes or deletes them (not even a key of a previous snapshot's)."""
    return frozenset(f.name for f in defs.features if f.engine == "stream")


def kept_feature_names(defs: Definitions, selected) -> frozenset[str]:
    """The features whose rows a snapshot keeps when it is written again: those of the definitions
    this run does not compute, which it could (a run with `--features` replaces only those features'
    rows; rows of a feature no longer defined are dropped)."""
    chosen = {f.name for f in selected}
    computable = (f for f in defs.features if is_online(f) or is_stream_window(f))
    return frozenset(f.name for f in computable if f.name not in chosen)


def read_window_ms(features) -> int | None:
    """The window the read must cover: the largest, None (unbounded) if a last/last_k has none."""
    windows = [f.window_ms for f in features]
    return None if any(w is None for w in windows) else max(windows)


def key_columns(features) -> tuple[str, ...]:
    """The union of the features' key columns, in order of first appearance."""
    return tuple(dict.fromkeys(k for f in features for k in f.keys))


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


# The setting holding the batch job's Redis password (libs/config/src/settings.ts).
PASSWORD_SETTING = "FSTORE_REDIS_BATCH_PASSWORD"
DEFAULT_REDIS_USER = "batch-features"


def read_password(env: dict[str, str], password_file: str | None) -> str | None:
    """$FSTORE_REDIS_BATCH_PASSWORD, else the file: its FSTORE_REDIS_BATCH_PASSWORD= line, else
    its only line. None when neither is given (a Redis without AUTH)."""
    if env.get(PASSWORD_SETTING):
        return env[PASSWORD_SETTING]
    if not password_file:
        return None
    try:
        with open(password_file, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ValueError(f"--redis-password-file {password_file}: {e.strerror}") from e
    for line in text.splitlines():
        m = re.match(rf"^\s*{PASSWORD_SETTING}\s*=\s*(.*?)\s*$", line)
        if m:
            return m.group(1)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and "=" not in lines[0]:
        return lines[0]
    raise ValueError(
        f"--redis-password-file {password_file}: neither a {PASSWORD_SETTING}= line "
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


def plan_online(
    mode: str,
    as_of_ms: int,
    published: int | None,
    snapshots: list[int],
    batch_selected: bool = True,
) -> Plan:
    """`published`: the latest as-of whose snapshot went to Redis (the history table's
    PUBLISHED_PROPERTY), `snapshots`: the as-ofs the history holds, `batch_selected`: whether the
    run computes a batch feature (stream time windows alone are history only: the run leaves Redis
    and the published mark as they are)."""
    if mode == "never":
        return Plan(False, "not written (--online never)", None)
    if not batch_selected:
        return Plan(False, "not written: no batch feature selected (stream windows: history)", None)
    if mode == "auto" and published is not None and as_of_ms < published:
        return Plan(False, f"not written: backfill, Redis holds as-of {iso_ms(published)}", None)
    return Plan(True, "written", published if published in snapshots else None)


def write_rows(
    client,
    rows,
    as_of_ms: int,
    chunk: int = REDIS_CHUNK,
    online: frozenset[str] | None = None,
    script: str | None = None,
) -> Counter:
    """Applies (feature, key, value | None) rows through the set-if-not-older script, pipelined
    (redis-py's cluster pipeline: one batch of commands per node and round trip). Counts per
    `<feature>.written|deleted|skipped_newer`. Any Redis error fails the call; so does a row of a
    feature not in `online` (when given), before it is sent: a stream feature's key belongs to
    the stream writer. `script`: the write script's text (read from its file when not given)."""
    script = script if script is not None else set_if_newer_script()
    counts: Counter = Counter()
    sha = client.script_load(script)
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
                reply = client.eval(script, 2, key, event_time_key(key), value or "", ts)
            if isinstance(reply, Exception):
                raise RuntimeError(f"Redis refused a write of {batch[i][1]}: {reply}") from reply
            feature, _, value = batch[i]
            outcome = "skipped_newer" if reply == 0 else "written" if value else "deleted"
            counts[f"{feature}.{outcome}"] += 1
        batch.clear()

    for row in rows:
        if online is not None and row[0] not in online:
            raise ValueError(f"{row[1]}: {row[0]} is not written to Redis by this job")
        batch.append(row)
        if len(batch) >= chunk:
            flush()
    flush()
    return counts


def redis_client(nodes: list[tuple[str, int]], login: tuple[str, str | None]):
    """`login`: the ACL user and its password."""
    from redis.cluster import ClusterNode, RedisCluster

    user, password = login
    return RedisCluster(
        startup_nodes=[ClusterNode(h, p) for h, p in nodes],
        username=user if password else None,
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
    entity STRING COMMENT 'the entity (features/): product, category, customer_product',
    entity_id STRING COMMENT 'its key parts joined by a colon: p1, or c1:p1 for two keys',
    feature STRING,
    key STRING COMMENT 'the Redis key',
    value STRING COMMENT 'the value exactly as written to Redis (GET)',
    as_of TIMESTAMP"""

# Columns of the prepared events beside the key columns and one value per feature (`__v<i>`).
TIME = "__t"
EVENT_ID = "__id"


def _micros(t: datetime):
    from pyspark.sql import functions as F  # noqa: N812

    return F.expr(f"timestamp_micros({epoch_ms(t) * 1000})")


def source_events(raw, src: SourceDef, w: Window):
    """The raw events (the lake table, or its Parquet files) in the read window, with the source's
    derived columns. The event_date condition lets Spark read only the partitions that can hold
    the window."""
    from pyspark.sql import functions as F  # noqa: N812

    df = raw.where(F.col(PARTITION_COLUMN) <= F.lit(w.last_date))
    t = F.col(src.event_time)
    df = df.where(t <= _micros(w.end))
    if w.start is not None:
        df = df.where(F.col(PARTITION_COLUMN) >= F.lit(w.first_date)).where(t > _micros(w.start))
    if src.derived:
        df = df.select(
            "*", *(F.expr(f"CAST(({sql}) AS {typ})").alias(name) for name, sql, typ in src.derived)
        )
    return df


def value_column(f: FeatureDef, src: SourceDef, as_of: datetime):
    """The event's value for one feature: NULL unless the event qualifies (in the feature's window,
    filter TRUE, `of` not NULL), then `of` with the type the definitions give it (1 for a count of
    events)."""
    from pyspark.sql import functions as F  # noqa: N812

    cond = F.lit(True)
    if f.window_ms is not None:
        cond = F.col(src.event_time) > _micros(as_of - timedelta(milliseconds=f.window_ms))
    if f.filter is not None:
        cond = cond & F.coalesce(F.expr(f"({f.filter})"), F.lit(False))
    value = F.lit(1) if f.of is None else F.expr(f"CAST(({f.of}) AS {f.of_type})")
    return F.when(cond, value)


def value_signature(f: FeatureDef) -> tuple:
    """What an event's value for `f` depends on (value_column's inputs): features with the same
    signature share one value column and its partial results."""
    return (f.of, f.of_type, f.filter, f.window_ms)


def value_slots(features) -> list[int]:
    """Per feature, the index of its value column `__v<slot>`: the first feature's position with
    the same value_signature. Why: revenue_by_product and revenue_by_category both sum the same
    amounts, and Spark does not merge two sums of differently named columns; a decimal(21,2) sum
    costs about 1 s per 10 M events here (bench:batch), so each one summed twice costs that."""
    first: dict[tuple, int] = {}
    return [first.setdefault(value_signature(f), i) for i, f in enumerate(features)]


def prepared_events(events, src: SourceDef, features, as_of: datetime, dedupe: bool = False):
    """One narrow row per event: the key columns of every feature (as text; NULL as `null`, the
    way the interpreter names it), event time, event_id, and `__v<slot>` per distinct value
    (value_slots; one select: every expression reads the source's own columns)."""
    from pyspark.sql import functions as F  # noqa: N812

    slots = value_slots(features)
    df = events.select(
        *(
            F.coalesce(F.col(k).cast("string"), F.lit("null")).alias(k)
            for k in key_columns(features)
        ),
        F.col(src.event_time).alias(TIME),
        F.col(src.event_id).alias(EVENT_ID),
        *(
            value_column(f, src, as_of).alias(f"__v{i}")
            for i, f in enumerate(features)
            if slots[i] == i
        ),
    )
    return df.dropDuplicates([EVENT_ID]) if dedupe else df


# Per value slot i (value_slots), reduced with r, the partial results `__p<i><part>` of a group of
# events: they roll up (a coarser group's are the sums, minima, maxima or latest of its finer
# groups') and give the value at the end. sum: s; count: n; avg: s, n (exact sum, cast to double
# at the end only); min: mn; max: mx; last: v (value of the latest qualifying event) and o (its
# (time, event_id)). Each is a {name: column} map, so the features of one slot share the parts
# they have in common (a sum and an avg of the same values: one s) by merging the maps.

_MIN_MAX_PART = {"min": "mn", "max": "mx"}


def _partials(reducer: str, i: int) -> dict:
    """Over prepared events."""
    from pyspark.sql import functions as F  # noqa: N812

    v, p = F.col(f"__v{i}"), f"__p{i}"
    if reducer == "sum":
        return {p + "s": F.sum(v)}
    if reducer == "count":
        return {p + "n": F.count(v)}
    if reducer == "avg":
        return {p + "s": F.sum(v), p + "n": F.count(v)}
    if reducer in _MIN_MAX_PART:
        return {p + _MIN_MAX_PART[reducer]: getattr(F, reducer)(v)}
    if reducer == "last":
        order = F.when(v.isNotNull(), F.struct(F.col(TIME), F.col(EVENT_ID)))
        return {p + "v": F.max_by(v, order), p + "o": F.max(order)}
    raise ValueError(f"unknown reducer {reducer}")


def _rollups(reducer: str, i: int) -> dict:
    """Over partials: the partials of the union of the groups."""
    from pyspark.sql import functions as F  # noqa: N812

    p = f"__p{i}"
    if reducer == "sum":
        return {p + "s": F.sum(p + "s")}
    if reducer == "count":
        return {p + "n": F.sum(p + "n")}
    if reducer == "avg":
        return {p + "s": F.sum(p + "s"), p + "n": F.sum(p + "n")}
    if reducer in _MIN_MAX_PART:
        part = p + _MIN_MAX_PART[reducer]
        return {part: getattr(F, reducer)(part)}
    if reducer == "last":
        return {p + "v": F.max_by(p + "v", p + "o"), p + "o": F.max(p + "o")}
    raise ValueError(f"unknown reducer {reducer}")


def _aggregates(parts: list[dict]) -> list:
    """The aggregate columns of several features' parts, each name once."""
    merged: dict = {}
    for part in parts:
        merged.update(part)
    return [column.alias(name) for name, column in merged.items()]


def _final(reducer: str, i: int):
    """The value from the partials; NULL when no event qualified."""
    from pyspark.sql import functions as F  # noqa: N812

    p = f"__p{i}"
    if reducer == "sum":
        return F.col(p + "s")
    if reducer == "count":
        return F.when(F.col(p + "n") > 0, F.col(p + "n"))
    if reducer == "avg":
        n = F.col(p + "n")
        return F.when(n > 0, F.col(p + "s").cast("double") / n.cast("double"))
    if reducer in _MIN_MAX_PART:
        return F.col(p + _MIN_MAX_PART[reducer])
    return F.col(p + "v")


def _format_double_or_none(x: float | None) -> str | None:
    return None if x is None else format_double(x)


def value_text(value_type: str, value):
    """A value column as the online-store format writes it: int, decimal with exactly two places
    (exact), double as JavaScript's String(x); NULL stays NULL."""
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql import types as T  # noqa: N812

    if value_type == "int":
        return value.cast("bigint").cast("string")
    if value_type == "decimal":
        return value.cast("decimal(38,2)").cast("string")
    return F.udf(_format_double_or_none, T.StringType())(value.cast("double"))


def key_text(name: str, keys):
    """`<feature>:{k1}[_{k2}]` from the key columns."""
    from pyspark.sql import functions as F  # noqa: N812

    parts = [F.concat(F.lit("{"), F.col(k), F.lit("}")) for k in keys]
    return F.concat(F.lit(f"{name}:"), F.concat_ws("_", *parts))


def feature_rows(per_entity, keys, features):
    """One row per (entity, feature) with a value: entity, entity_id, feature, key, value.
    `features`: (feature, its value column over `per_entity`)."""
    from pyspark.sql import functions as F  # noqa: N812

    structs = [
        F.struct(
            F.lit(f.entity).alias("entity"),
            F.lit(f.name).alias("feature"),
            key_text(f.name, keys).alias("key"),
            value_text(f.type, value).alias("value"),
        )
        for f, value in features
    ]
    return (
        per_entity.select(
            F.concat_ws(ENTITY_ID_SEPARATOR, *(F.col(k) for k in keys)).alias("entity_id"),
            F.explode(F.array(*structs)).alias("f"),
        )
        .where(F.col("f.value").isNotNull())
        .select("f.entity", "entity_id", "f.feature", "f.key", "f.value")
    )


@dataclass
class Computation:
    features: object  # DataFrame: entity, entity_id, feature, key, value
    rows_read: int  # events in the read window
    partitions_read: int
    cached: list

    def unpersist(self) -> None:
        for df in self.cached:
            df.unpersist()


def compute_features(
    raw, src: SourceDef, features, as_of: datetime, dedupe: bool = False
) -> Computation:
    """The features (of one source) as of T from its raw events. One read of the window's
    partitions; the time-window and `last` features of every entity from one aggregation by the
    union of their key columns, rolled up per entity; each last_k by a window function over the
    (then cached) prepared events."""
    from pyspark import StorageLevel
    from pyspark.sql import Window as W  # noqa: N814
    from pyspark.sql import functions as F  # noqa: N812

    features = tuple(features)
    events = source_events(raw, src, window_of(as_of, read_window_ms(features)))
    partitions_read = len({f.rsplit("/", 1)[0] for f in events.inputFiles()})
    prepared = prepared_events(events, src, features, as_of, dedupe)
    cached = []
    # i: the feature's value slot (its value column and partials, shared by equal values).
    indexed = list(zip(value_slots(features), features, strict=True))
    last_k = [(i, f) for i, f in indexed if f.aggregation == "last_k"]
    rolled = [(i, f) for i, f in indexed if f.aggregation != "last_k"]
    if last_k:
        prepared = prepared.persist(StorageLevel.MEMORY_AND_DISK)
        cached.append(prepared)

    union = key_columns(features)
    partials = _aggregates([_partials(f.reducer, i) for i, f in rolled])
    finest = prepared.groupBy(*union).agg(F.count(F.lit(1)).alias("__events"), *partials).cache()
    cached.append(finest)
    rows_read = finest.agg(F.sum("__events")).first()[0] or 0

    frames = []
    by_keys: dict[tuple[str, ...], list] = {}
    for i, f in rolled:
        by_keys.setdefault(f.keys, []).append((i, f))
    for keys, group in by_keys.items():
        per_entity = finest
        if set(keys) != set(union):
            per_entity = finest.groupBy(*keys).agg(
                *_aggregates([_rollups(f.reducer, i) for i, f in group])
            )
        frames.append(feature_rows(per_entity, keys, [(f, _final(f.reducer, i)) for i, f in group]))
    for i, f in last_k:
        latest = W.partitionBy(*f.keys).orderBy(F.col(TIME).desc(), F.col(EVENT_ID).desc())
        top = (
            prepared.where(F.col(f"__v{i}").isNotNull())
            .withColumn("__rank", F.row_number().over(latest))
            .where(F.col("__rank") <= f.k)
        )
        per_entity = top.groupBy(*f.keys).agg(*_aggregates([_partials(f.reducer, i)]))
        frames.append(feature_rows(per_entity, f.keys, [(f, _final(f.reducer, i))]))
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return Computation(result, rows_read, partitions_read, cached)


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


def snapshot_rows(spark, history: str, as_of_ms: int):
    from pyspark.sql import functions as F  # noqa: N812

    day = (EPOCH + timedelta(milliseconds=as_of_ms)).date()
    return (
        spark.table(history)
        .where((F.col("as_of_date") == F.lit(day)) & (F.col("as_of_ms") == F.lit(as_of_ms)))
        .select("entity", "entity_id", "feature", "key", "value")
    )


def online_changes(snapshot, previous, defs: Definitions):
    """What Redis gets from a snapshot: (values, deletions) as (feature, key, value) rows. Values:
    the snapshot's batch features only — a stream time window's key is the stream writer's hash
    of tiles, which a plain value would replace. Deletions: the keys of `previous` (the snapshot
    Redis holds) that have no value now, but never a stream feature's (a stream window's row of a
    snapshot is history only)."""
    from pyspark.sql import functions as F  # noqa: N812

    online = snapshot.where(F.col("feature").isin(sorted(online_feature_names(defs))))
    online = online.select("feature", "key", "value")
    stream = sorted(stream_feature_names(defs))
    previous = previous.select("feature", "key")
    if stream:
        previous = previous.where(~F.col("feature").isin(stream))
    deletions = previous.join(online.select("key"), "key", "left_anti").select(
        "feature", "key", F.lit(None).cast("string").alias("value")
    )
    return online, deletions


def merged_snapshot(spark, history: str, as_of_ms: int, computed, kept: frozenset[str]):
    """The snapshot of T to write: this run's rows, and the rows of the `kept` features the
    snapshot of T already holds (a run with `--features` replaces only its features' rows).
    Those are materialized first (a local checkpoint): the partition they come from is then
    overwritten. Returns (snapshot, number of rows kept)."""
    from pyspark.sql import functions as F  # noqa: N812

    if not kept:
        return computed, 0
    old = snapshot_rows(spark, history, as_of_ms).where(F.col("feature").isin(sorted(kept)))
    old = old.localCheckpoint(eager=True)
    return computed.unionByName(old), old.count()


def write_online(
    features, deletions, nodes, login, as_of_ms: int, online: frozenset[str]
) -> Counter:
    """Every value and every deletion through the set-if-not-older script, one Redis Cluster
    connection and pipelined batches per Spark partition; the counts come back to the driver.
    `online`: the only features whose keys may be written (write_rows refuses any other)."""
    rows = features.select("feature", "key", "value").unionByName(
        deletions.select("feature", "key", "value")
    )

    script = set_if_newer_script()

    def write_partition(it):
        client = redis_client(nodes, login)
        try:
            rows = ((r.feature, r.key, r.value) for r in it)
            yield write_rows(client, rows, as_of_ms, online=online, script=script)
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


def tables_of(args: argparse.Namespace) -> dict[str, str]:
    """Source name → the table read: the source's `table`, or `--table` (one source only)."""
    sources = dict.fromkeys(f.source for f in args.features)
    return {s: args.table or args.definitions.sources[s].table for s in sources}


def run_one(spark, args: argparse.Namespace, as_of: datetime, login) -> dict:

    started = time.monotonic()
    as_of_ms = epoch_ms(as_of)
    w = window_of(as_of, read_window_ms(args.features))
    published = published_as_of(spark, args.history_table)
    plan = plan_online(
        args.online,
        as_of_ms,
        published,
        snapshots(spark, args.history_table),
        batch_selected=any(is_online(f) for f in args.features),
    )
    start = "-∞" if w.start is None else w.start.isoformat()
    log(
        f"as of {iso_ms(as_of_ms)}: {len(args.features)} features, read window ({start},"
        f" {w.end.isoformat()}], partitions {w.first_date or '…'}..{w.last_date};"
        f" online store: {plan.reason}"
    )
    computations = []
    for source, table in tables_of(args).items():
        features = [f for f in args.features if f.source == source]
        src = args.definitions.sources[source]
        c = compute_features(spark.table(table), src, features, as_of, args.dedupe)
        log(f"{table}: {c.partitions_read} partitions read, {c.rows_read} events in the window")
        computations.append(c)
    features = computations[0].features
    for c in computations[1:]:
        features = features.unionByName(c.features)
    features = features.repartition(args.write_partitions).cache()
    per_feature = {r.feature: r["count"] for r in features.groupBy("feature").count().collect()}
    log(f"values: {per_feature}")

    defs = args.definitions
    kept = kept_feature_names(defs, args.features)
    snapshot, kept_rows = merged_snapshot(spark, args.history_table, as_of_ms, features, kept)
    if kept_rows:
        log(f"history: {kept_rows} rows of features not computed now kept in the snapshot")

    written: Counter = Counter()
    if plan.online:
        if plan.deletions_from is None:
            previous = spark.createDataFrame([], "feature string, key string")
        else:
            previous = snapshot_rows(spark, args.history_table, plan.deletions_from)
        online, deletions = online_changes(snapshot, previous, defs)
        nodes = parse_nodes(args.redis_nodes)
        written = write_online(
            online, deletions, nodes, login, as_of_ms, online_feature_names(defs)
        )
        log(f"online store: {dict(sorted(written.items()))}")
    # History after Redis, the published mark last: a run that fails on the way is simply redone.
    write_history(spark, args.history_table, snapshot, as_of_ms)
    if plan.online and (published is None or as_of_ms > published):
        set_published(spark, args.history_table, as_of_ms)
    log(f"history: snapshot {iso_ms(as_of_ms)} written to {args.history_table}")
    features.unpersist()
    for c in computations:
        c.unpersist()

    summary = {
        "as_of": iso_ms(as_of_ms),
        "as_of_ms": as_of_ms,
        "table": ",".join(tables_of(args).values()),
        "history_table": args.history_table,
        "window": {
            "from_exclusive": None if w.start is None else iso_ms(epoch_ms(w.start)),
            "to_inclusive": iso_ms(as_of_ms),
        },
        "partitions_read": sum(c.partitions_read for c in computations),
        "rows_read": sum(c.rows_read for c in computations),
        "online": plan.reason,
        "deletions_from": None if plan.deletions_from is None else iso_ms(plan.deletions_from),
        "features": {
            f.name: {
                "values": per_feature.get(f.name, 0),
                "written": written.get(f"{f.name}.written", 0),
                "deleted": written.get(f"{f.name}.deleted", 0),
                "skipped_newer": written.get(f"{f.name}.skipped_newer", 0),
            }
            for f in args.features
        },
        "history_only": [f.name for f in args.features if not is_online(f)],
        "history_rows": sum(per_feature.values()) + kept_rows,
        "duration_s": round(time.monotonic() - started, 3),
    }
    from fstore_lake import emit_line

    emit_line(SUMMARY_PREFIX + json.dumps(summary))
    return summary


def check_redis(args: argparse.Namespace, login: tuple[str, str | None]) -> None:
    """Fails fast, before any Spark work, when Redis cannot be written."""
    nodes = parse_nodes(args.redis_nodes)
    try:
        client = redis_client(nodes, login)
        try:
            client.script_load(set_if_newer_script())
        finally:
            client.close()
    except Exception as e:
        hint = (
            "" if login[1] else f" (no password: set {PASSWORD_SETTING} or --redis-password-file)"
        )
        raise SystemExit(
            f"batch_features: Redis Cluster at {args.redis_nodes} unusable: {e}{hint}"
        ) from e


def run(spark, args: argparse.Namespace) -> list[dict]:
    for table in tables_of(args).values():
        if not spark.catalog.tableExists(table):
            raise SystemExit(
                f"batch_features: table {table} does not exist (load raw events first:"
                " spark-jobs/load_raw_events.py)"
            )
    ensure_history_table(spark, args.history_table)
    login = (args.redis_user, args.password)
    return [run_one(spark, args, t, login) for t in args.as_of]


def parse_args(argv: list[str], env: dict[str, str] | None = None) -> argparse.Namespace:
    # Here, not at the top: the executors import this module (the bench's UDF) without the package.
    from fstore_lake.tables import is_table_name

    env = dict(os.environ) if env is None else env
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--definitions",
        required=True,
        help="the feature definitions: a JSON file written by `fstore features export`",
    )
    p.add_argument(
        "--features",
        help="comma-separated names of the batch features to compute (default: every one)",
    )
    p.add_argument(
        "--as-of",
        action="append",
        required=True,
        help="ISO-8601 time T (UTC unless an offset is given); repeat for several, e.g. a backfill",
    )
    p.add_argument(
        "--table",
        help="raw events, database.table (default: the source's table in the definitions)",
    )
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
        help="file with the Redis password (used when $FSTORE_REDIS_BATCH_PASSWORD is not set)",
    )
    p.add_argument(
        "--redis-user",
        default=DEFAULT_REDIS_USER,
        help="the Redis ACL user to log in as (default: %(default)s)",
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
        if name is not None and not is_table_name(name):
            p.error(f"{name!r} is not database.table")
    try:
        args.definitions = load_definitions(args.definitions)
        args.features = select_features(args.definitions, feature_names(args.features))
        if args.table and len({f.source for f in args.features}) > 1:
            raise ValueError(
                "--table: the features read more than one source; pick with --features"
            )
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
        check_redis(args, (args.redis_user, args.password))
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
