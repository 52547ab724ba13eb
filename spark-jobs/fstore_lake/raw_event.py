"""The raw event of docs/design.md §2 in plain Python: fields, rules, parsing and validation.

Mirrors libs/events (the producer's TypeScript contract): the same fields, limits, rule names and
first-broken-rule order, the same UTC normalisation of transaction_date and the same derived
event_id, so a file bulk-loaded into the lake and the same file published to Kafka give the same
rows. No Spark here: the jobs call these functions inside their RDD maps.
"""

from __future__ import annotations

import calendar
import csv
import json
import re
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
# The typed event as the jobs carry it: event_id, the payload fields, the partition column.
EVENT_COLUMNS = ["event_id", *[f.name for f in FIELDS], "event_date"]
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


def parse_message(value: bytes | None) -> tuple[dict | None, tuple[str, str, str] | None]:
    """(event, None) or (None, (field, rule, reason)) for one Kafka message value of the main
    topic: UTF-8 JSON in the producer's message format. Unlike a file line, a message must carry
    its event_id: an id derived from where it sits (offset) would differ between redeliveries."""
    try:
        if value is None:
            raise Rejected(ROW, "json", "empty message (no value)")
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError as e:
            raise Rejected(ROW, "utf8", f"not UTF-8: {e.reason} at byte {e.start}") from e
        cells = ndjson_cells(text)
        if cells.get(EVENT_ID.name) in (None, ""):
            raise Rejected(EVENT_ID.name, "required", "a message must carry its event_id")
        return validate(cells, "", 0), None
    except Rejected as r:
        return None, (r.field, r.rule, r.reason)


def event_values(event: dict) -> tuple:
    """The event's values in EVENT_COLUMNS order."""
    return tuple(event[c] for c in EVENT_COLUMNS)
