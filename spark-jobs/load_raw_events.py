"""Bulk-load one file of raw events into the Hive raw table (DESIGN.md §2, §5).

    spark-submit load_raw_events.py --input /data/ecommerce_transactions.csv \
        [--format csv|ndjson] [--table ecommerce.transactions] [--rejects-table DB.TABLE] \
        [--source-name NAME]

Input: CSV with the seed's header (optionally followed by an EventID column), or NDJSON in the
producer's message format (snake_case fields). A record never spans lines; blank lines are not
records.

Output: `ecommerce.transactions` (Parquet, partitioned by `event_date`, the UTC date of
transaction_date). A row that breaks a rule of DESIGN.md §2 goes to the rejects table
(default `<table>_rejects`) with the field, the rule, the reason and the original line: every
input line is accounted for (read = loaded + duplicates + rejected).

event_id: the input's, or, when absent, derived exactly as the producer derives it
(libs/events/src/event-id.ts): UUIDv5(EVENT_ID_NAMESPACE, "<file basename>:<line>"), line =
1-based physical line (the CSV header is line 1), so the lake and Kafka carry the same ids.

Idempotent: an event_id already in the table (in the partitions the file touches) is not loaded
again, nor is a rejected line already recorded for the same file; loading the same file twice
changes nothing. The job prints one JSON summary line prefixed with `LOAD_SUMMARY `.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

# --- the raw event contract (mirrors libs/events/src/fields.ts of the producer) -----------------

EVENT_ID_NAMESPACE = uuid.UUID("5b7d1c1e-3c59-4f0a-9f43-0b8f5a0e6d21")
INT_MAX = 2_147_483_647
PRICE_INTEGER_DIGITS = 8
PRICE_SCALE = 2


@dataclass(frozen=True)
class Field:
    name: str
    column: str
    kind: str  # id | string | decimal | int | timestamp
    required: bool
    max_length: int | None = None
    min: int | None = None
    max: int | None = None


FIELDS: tuple[Field, ...] = (
    Field("customer_id", "CustomerID", "id", True, max_length=64),
    Field("product_id", "ProductID", "id", True, max_length=64),
    Field("category", "Category", "id", True, max_length=64),
    Field("price", "Price", "decimal", True),
    Field("quantity", "Quantity", "int", True, min=1, max=INT_MAX),
    Field("transaction_date", "TransactionDate", "timestamp", True),
    Field("review_rating", "ReviewRating", "int", False, min=1, max=5),
    Field("review_text", "ReviewText", "string", False, max_length=2000),
    Field("customer_age", "CustomerAge", "int", False, min=0, max=INT_MAX),
    Field("customer_gender", "CustomerGender", "string", False, max_length=64),
    Field("country", "Country", "string", False, max_length=64),
    Field("device_type", "DeviceType", "string", False, max_length=64),
    Field("browsing_duration", "BrowsingDuration", "int", False, min=0, max=INT_MAX),
    Field("previous_purchases", "PreviousPurchases", "int", False, min=0, max=INT_MAX),
)
EVENT_ID = Field("event_id", "EventID", "id", False, max_length=128)
SEED_COLUMNS = [f.column for f in FIELDS]
ROW = "row"

_INT_RE = re.compile(r"^-?\d+$")
_DECIMAL_RE = re.compile(r"^-?(\d+)(?:\.(\d+))?$")
_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$"
)


class Rejected(Exception):
    """A broken rule: `field` (or "row"), `rule`, human `reason`."""

    def __init__(self, field: str, rule: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.rule = rule
        self.reason = reason


def derive_event_id(source_name: str, line: int) -> str:
    """The producer's rule: UUIDv5(EVENT_ID_NAMESPACE, "<file basename>:<line>")."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{source_name}:{line}"))


def parse_timestamp(text: str) -> datetime:
    """ISO-8601 or `YYYY-MM-DD HH:MM:SS` (UTC when no zone) → an aware UTC datetime (ms)."""
    m = _TS_RE.match(text)
    if not m:
        raise Rejected(
            "transaction_date",
            "format",
            f'"{text[:40]}" is neither ISO-8601 nor YYYY-MM-DD HH:MM:SS',
        )
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac, zone = m.group(7), m.group(8)
    if not (1 <= month <= 12) or not (1 <= day <= calendar.monthrange(year, month)[1]):
        raise Rejected("transaction_date", "date", f'"{text}" is not a real date and time')
    if hour > 23 or minute > 59 or second > 59:
        raise Rejected("transaction_date", "date", f'"{text}" is not a real date and time')
    ms = int(frac.ljust(3, "0")[:3]) if frac else 0
    offset = timedelta(0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))
    local = datetime(year, month, day, hour, minute, second, ms * 1000, tzinfo=timezone(offset))
    return local.astimezone(UTC)


def _parse_int(f: Field, v: str) -> int:
    if not _INT_RE.match(v):
        raise Rejected(f.name, "integer", f'"{v[:40]}" is not an integer')
    n = int(v)
    if f.min is not None and f.max is not None and f.max < INT_MAX and not f.min <= n <= f.max:
        raise Rejected(f.name, "range", f"{v} is outside {f.min}..{f.max}")
    if f.min is not None and n < f.min:
        raise Rejected(f.name, "min", f"{v} is below {f.min}")
    if f.max is not None and n > f.max:
        raise Rejected(f.name, "max", f"{v} is above {f.max}")
    return n


def _parse_price(f: Field, v: str) -> Decimal:
    m = _DECIMAL_RE.match(v)
    if not m:
        raise Rejected(f.name, "number", f'"{v[:40]}" is not a number')
    try:
        d = Decimal(v)
    except InvalidOperation as e:  # pragma: no cover - the regex already excludes this
        raise Rejected(f.name, "number", f'"{v[:40]}" is not a number') from e
    if d < 0:
        raise Rejected(f.name, "min", f"{v} is below 0")
    int_digits = len(m.group(1).lstrip("0") or "0")
    if int_digits > PRICE_INTEGER_DIGITS or (m.group(2) and len(m.group(2)) > PRICE_SCALE):
        raise Rejected(f.name, "decimal", f"{v} does not fit decimal(10,2)")
    return abs(d).quantize(Decimal("0.01"))


def validate(cells: dict[str, str | None], source_name: str, line: int) -> dict:
    """One record's text cells (field name → text, None/"" = empty) → the typed event.

    The first broken rule, in field order, raises Rejected (the producer's order: event_id, then
    the payload fields).
    """
    event_id = cells.get("event_id")
    if event_id in (None, ""):
        event_id = derive_event_id(source_name, line)
    elif len(event_id) > EVENT_ID.max_length:
        raise Rejected("event_id", "max_length", f"{len(event_id)} characters, at most 128")
    event: dict = {"event_id": event_id}
    for f in FIELDS:
        v = cells.get(f.name)
        if v is None or v == "":
            if f.required:
                raise Rejected(f.name, "required", "empty")
            event[f.name] = None
            continue
        if f.kind in ("id", "string"):
            if f.max_length is not None and len(v) > f.max_length:
                raise Rejected(f.name, "max_length", f"{len(v)} characters, at most {f.max_length}")
            event[f.name] = v
        elif f.kind == "int":
            event[f.name] = _parse_int(f, v)
        elif f.kind == "decimal":
            event[f.name] = _parse_price(f, v)
        else:
            event[f.name] = parse_timestamp(v)
    event["event_date"] = event["transaction_date"].date()
    return event


def parse_csv_header(line: str) -> list[str]:
    """The header: exactly the seed's 14 columns, optionally followed by EventID → field names."""
    cells = next(csv.reader([line.lstrip("\ufeff").rstrip("\r")]))
    if cells == SEED_COLUMNS:
        return [f.name for f in FIELDS]
    if cells == [*SEED_COLUMNS, EVENT_ID.column]:
        return [f.name for f in FIELDS] + [EVENT_ID.name]
    raise ValueError(f"not the seed's CSV header ({', '.join(SEED_COLUMNS)}[, EventID]): {line!r}")


def csv_cells(layout: list[str], line: str) -> dict[str, str | None]:
    """One CSV data line (RFC 4180 quoting, never spanning lines) → field name → text."""
    try:
        cells = next(csv.reader([line], strict=True))
    except csv.Error as e:
        raise Rejected(ROW, "csv", str(e)) from e
    if len(cells) != len(layout):
        raise Rejected(ROW, "columns", f"{len(cells)} columns, expected {len(layout)}")
    return dict(zip(layout, cells, strict=True))


def ndjson_cells(line: str) -> dict[str, str | None]:
    """One NDJSON line (the producer's message format) → field name → text (numbers as text)."""
    try:
        obj = json.loads(line)
    except ValueError as e:
        raise Rejected(ROW, "json", str(e)) from e
    if not isinstance(obj, dict):
        raise Rejected(ROW, "json", "not a JSON object")
    out: dict[str, str | None] = {}
    for f in (EVENT_ID, *FIELDS):
        v = obj.get(f.name)
        textual = f.kind in ("id", "string")
        if v is None or isinstance(v, str):
            out[f.name] = v
        elif isinstance(v, int | float) and not isinstance(v, bool) and not textual:
            out[f.name] = _number_text(v)
        else:
            want = "a string" if textual else "a number or string"
            raise Rejected(f.name, "type", f"JSON {type(v).__name__} where {want} is expected")
    return out


def _number_text(v: int | float) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def parse_line(
    fmt: str, layout: list[str] | None, source_name: str, line_no: int, text: str
) -> tuple[dict | None, tuple[str, str, str] | None]:
    """(event, None) or (None, (field, rule, reason)) for one physical input line."""
    try:
        cells = csv_cells(layout or [], text) if fmt == "csv" else ndjson_cells(text)
        return validate(cells, source_name, line_no), None
    except Rejected as r:
        return None, (r.field, r.rule, r.reason)


def detect_format(path: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    lower = path.lower()
    if lower.endswith((".ndjson", ".jsonl", ".json")):
        return "ndjson"
    if lower.endswith(".csv"):
        return "csv"
    raise SystemExit(f"cannot tell the format of {path}: pass --format csv|ndjson")


# --- Spark ---------------------------------------------------------------------------------------

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


def _create(spark, ddl: str, exists) -> None:
    """Runs a CREATE … IF NOT EXISTS. Two loads creating the same object at once: the metastore's
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


def ensure_tables(spark, table: str, rejects: str) -> None:
    for db in sorted({table.split(".")[0], rejects.split(".")[0]}):
        _create(
            spark,
            f"CREATE DATABASE IF NOT EXISTS {db}",
            lambda db=db: spark.catalog.databaseExists(db),
        )
    _create(
        spark,
        f"CREATE TABLE IF NOT EXISTS {table} ({EVENT_COLUMNS_DDL}\n)"
        " COMMENT 'Raw e-commerce transactions (DESIGN.md section 2), one row per event_id'"
        " PARTITIONED BY (event_date DATE) STORED AS PARQUET",
        lambda: spark.catalog.tableExists(table),
    )
    _create(
        spark,
        f"CREATE TABLE IF NOT EXISTS {rejects} ({REJECT_COLUMNS_DDL}\n)"
        " COMMENT 'Input lines that broke a rule of the raw event, with the reason'"
        " STORED AS PARQUET",
        lambda: spark.catalog.tableExists(rejects),
    )


def run(spark, args: argparse.Namespace) -> dict:
    from pyspark.sql import Window
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql import types as T  # noqa: N812

    fmt = detect_format(args.input, args.format)
    source_name = args.source_name or os.path.basename(args.input)
    table, rejects = args.table, args.rejects_table or f"{args.table}_rejects"
    ensure_tables(spark, table, rejects)

    # (physical line number, text); zipWithIndex follows the file's order.
    lines = (
        spark.sparkContext.textFile(args.input)
        .zipWithIndex()
        .map(lambda t: (t[1] + 1, t[0].rstrip("\r")))
    )
    layout = None
    if fmt == "csv":
        first = lines.filter(lambda t: t[0] == 1).collect()
        if not first:
            raise SystemExit(f"{args.input} is empty: a CSV needs the seed's header")
        layout = parse_csv_header(first[0][1])
    data = lines.filter(lambda t: t[1].strip() != "" and not (fmt == "csv" and t[0] == 1))

    def parse(t):
        line_no, text = t
        event, rejected = parse_line(fmt, layout, source_name, line_no, text)
        if event is None:
            return (False, line_no, text, None, *rejected)
        values = tuple(event[c] for c in ["event_id", *[f.name for f in FIELDS], "event_date"])
        return (True, line_no, text, values, None, None, None)

    parsed = data.map(parse).cache()
    event_schema = T.StructType(
        [T.StructField("event_id", T.StringType())]
        + [T.StructField(f.name, _spark_type(T, f)) for f in FIELDS]
        + [T.StructField("event_date", T.DateType())]
    )
    good = spark.createDataFrame(
        parsed.filter(lambda r: r[0]).map(lambda r: (*r[3], r[1])),
        T.StructType([*event_schema.fields, T.StructField("source_line", T.LongType())]),
    )
    bad = spark.createDataFrame(
        parsed.filter(lambda r: not r[0]).map(lambda r: (r[1], r[4], r[5], r[6], r[2])),
        "source_line BIGINT, field STRING, rule STRING, reason STRING, raw STRING",
    )
    now = F.current_timestamp()

    # An event_id twice in the file: the first line wins (a redelivery carries the same payload).
    first_seen = Window.partitionBy("event_id").orderBy("source_line")
    good = good.withColumn("_n", F.row_number().over(first_seen))
    in_file_duplicates = good.filter("_n > 1").count()
    good = good.filter("_n = 1").drop("_n").cache()
    dates = [r.event_date for r in good.select("event_date").distinct().collect()]

    existing = spark.table(table).select("event_id", "event_date")
    if dates:
        existing = existing.where(F.col("event_date").isin(dates))
    new_events = good.join(existing, ["event_id", "event_date"], "left_anti")
    columns = [f.name for f in spark.table(table).schema.fields]
    to_load = new_events.withColumn("source_file", F.lit(source_name)).withColumn("loaded_at", now)
    to_load = to_load.select(*columns).cache()
    loaded = to_load.count()
    if loaded:
        to_load.repartition("event_date").write.insertInto(table)

    seen_rejects = spark.table(rejects).where(F.col("source_file") == source_name)
    new_rejects = (
        bad.join(seen_rejects.select("source_line"), ["source_line"], "left_anti")
        .withColumn("source_file", F.lit(source_name))
        .withColumn("rejected_at", now)
        .select(*[f.name for f in spark.table(rejects).schema.fields])
        .cache()
    )
    rejected_new = new_rejects.count()
    if rejected_new:
        new_rejects.coalesce(1).write.insertInto(rejects)

    summary = {
        "input": args.input,
        "format": fmt,
        "source_name": source_name,
        "table": table,
        "rejects_table": rejects,
        "lines": data.count(),
        "valid": good.count() + in_file_duplicates,
        "rejected": bad.count(),
        "duplicates_in_file": in_file_duplicates,
        "already_loaded": good.count() - loaded,
        "loaded": loaded,
        "rejects_recorded": rejected_new,
        "partitions": len(dates),
        "first_date": str(min(dates)) if dates else None,
        "last_date": str(max(dates)) if dates else None,
    }
    print("LOAD_SUMMARY " + json.dumps(summary), flush=True)
    return summary


def _spark_type(T, f: Field):  # noqa: N803
    if f.kind == "decimal":
        return T.DecimalType(10, 2)
    if f.kind == "int":
        return T.IntegerType()
    if f.kind == "timestamp":
        return T.TimestampType()
    return T.StringType()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="a local or file:// path of one file")
    p.add_argument("--format", choices=["csv", "ndjson"], help="default: from the extension")
    p.add_argument("--table", default="ecommerce.transactions", help="database.table")
    p.add_argument("--rejects-table", help="database.table (default: <table>_rejects)")
    p.add_argument("--source-name", help="name in derived event_ids (default: file basename)")
    args = p.parse_args(argv)
    for name in (args.table, args.rejects_table):
        if name is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_]\w*", name):
            p.error(f"{name!r} is not database.table")
    return args


def main(argv: list[str]) -> None:
    from pyspark.sql import SparkSession

    args = parse_args(argv)
    spark = SparkSession.builder.appName("load_raw_events").enableHiveSupport().getOrCreate()
    try:
        run(spark, args)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
