"""Unit tests of the raw event contract the lake jobs share (fstore_lake.raw_event; no Spark)."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fstore_lake.raw_event import (
    SEED_COLUMNS,
    derive_event_id,
    parse_csv_header,
    parse_line,
    parse_timestamp,
)

HEADER = ",".join(SEED_COLUMNS)
SEED_ROW = (
    "2e1533d2,fa954a98,Sports,6,2,2024-06-01 14:13:22,1,Grow buy east task hot only however.,"
    "55,Male,Netherlands Antilles,Tablet,295,1"
)
LAYOUT = parse_csv_header(HEADER)


def csv_line(text, line=2, source="ecommerce_transactions.csv"):
    return parse_line("csv", LAYOUT, source, line, text)


def reason_of(result):
    event, rejected = result
    assert event is None, event
    return rejected


def test_derived_event_id_is_the_producers_uuid_v5():
    # The producer's rule (libs/events/src/event-id.ts): UUIDv5(namespace, "<basename>:<line>").
    ns = uuid.UUID("5b7d1c1e-3c59-4f0a-9f43-0b8f5a0e6d21")
    expected = str(uuid.uuid5(ns, "ecommerce_transactions.csv:2"))
    assert derive_event_id("ecommerce_transactions.csv", 2) == expected
    assert uuid.UUID(expected).version == 5
    event, _ = csv_line(SEED_ROW, line=2)
    assert event["event_id"] == expected
    assert csv_line(SEED_ROW, line=3)[0]["event_id"] != expected


def test_seed_row_is_typed():
    event, rejected = csv_line(SEED_ROW)
    assert rejected is None
    assert event["customer_id"] == "2e1533d2"
    assert event["price"] == Decimal("6.00")
    assert event["quantity"] == 2
    assert event["transaction_date"] == datetime(2024, 6, 1, 14, 13, 22, tzinfo=UTC)
    assert event["event_date"] == date(2024, 6, 1)
    assert event["review_rating"] == 1
    assert event["browsing_duration"] == 295


def test_header_with_event_id_column_uses_the_given_id():
    layout = parse_csv_header(HEADER + ",EventID")
    event, _ = parse_line("csv", layout, "x.csv", 2, SEED_ROW + ",evt-1")
    assert event["event_id"] == "evt-1"


def test_wrong_header_fails_the_job():
    with pytest.raises(ValueError, match="header"):
        parse_csv_header("a,b,c")


def test_empty_optional_fields_are_null():
    row = "c1,p1,Books,10.5,1,2024-01-02 03:04:05,,,,,,,,"
    event, rejected = csv_line(row)
    assert rejected is None
    assert event["review_rating"] is None and event["review_text"] is None
    assert event["price"] == Decimal("10.50")


@pytest.mark.parametrize(
    ("row", "field", "rule"),
    [
        (",p1,Books,1,1,2024-01-02 03:04:05,,,,,,,,", "customer_id", "required"),
        ("c1,p1,Books,-1,1,2024-01-02 03:04:05,,,,,,,,", "price", "min"),
        ("c1,p1,Books,abc,1,2024-01-02 03:04:05,,,,,,,,", "price", "number"),
        ("c1,p1,Books,123456789,1,2024-01-02 03:04:05,,,,,,,,", "price", "decimal"),
        ("c1,p1,Books,1.234,1,2024-01-02 03:04:05,,,,,,,,", "price", "decimal"),
        ("c1,p1,Books,1,0,2024-01-02 03:04:05,,,,,,,,", "quantity", "min"),
        ("c1,p1,Books,1,x,2024-01-02 03:04:05,,,,,,,,", "quantity", "integer"),
        ("c1,p1,Books,1,1,yesterday,,,,,,,,", "transaction_date", "format"),
        ("c1,p1,Books,1,1,2024-02-30 00:00:00,,,,,,,,", "transaction_date", "date"),
        ("c1,p1,Books,1,1,2024-01-02 03:04:05,6,,,,,,,", "review_rating", "range"),
        ("c1,p1,Books,1,1,2024-01-02 03:04:05,,,-3,,,,,", "customer_age", "min"),
        ("c1,p1,Books,1,1,2024-01-02 03:04:05,,,,,,,", "row", "columns"),
        ("c1," + "p" * 65 + ",Books,1,1,2024-01-02 03:04:05,,,,,,,,", "product_id", "max_length"),
    ],
)
def test_broken_rules_are_rejected_with_the_reason(row, field, rule):
    got_field, got_rule, reason = reason_of(csv_line(row))
    assert (got_field, got_rule) == (field, rule)
    assert reason


def test_the_first_broken_rule_in_field_order_is_the_reason():
    field, _, _ = reason_of(csv_line(",p1,Books,-1,0,bad,,,,,,,,"))
    assert field == "customer_id"


def test_quoted_csv_cells():
    row = 'c1,p1,Books,1,1,2024-01-02 03:04:05,5,"Good, really ""good""",,,,,,'
    event, _ = csv_line(row)
    assert event["review_text"] == 'Good, really "good"'


def test_timestamps_iso_and_zones_normalize_to_utc():
    assert parse_timestamp("2024-01-02T03:04:05Z") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_timestamp("2024-01-02T03:04:05.5+02:00") == datetime(
        2024, 1, 2, 1, 4, 5, 500000, tzinfo=UTC
    )
    # The event date is the UTC date.
    assert parse_timestamp("2024-01-02T00:30:00+01:00").date() == date(2024, 1, 1)


def test_ndjson_in_the_producers_message_format():
    line = (
        '{"event_id":"e-1","customer_id":"c1","product_id":"p1","category":"Books",'
        '"price":12.5,"quantity":3,"transaction_date":"2024-05-06 07:08:09","review_rating":null,'
        '"review_text":null,"customer_age":30,"customer_gender":"Female","country":"Chile",'
        '"device_type":"Mobile","browsing_duration":12,"previous_purchases":0}'
    )
    event, rejected = parse_line("ndjson", None, "events.ndjson", 1, line)
    assert rejected is None
    assert event["event_id"] == "e-1"
    assert event["price"] == Decimal("12.50")
    assert event["review_rating"] is None
    assert event["event_date"] == date(2024, 5, 6)


def test_ndjson_without_event_id_derives_it_from_file_and_line():
    line = '{"customer_id":"c1","product_id":"p1","category":"B","price":"1","quantity":1,"transaction_date":"2024-05-06 07:08:09"}'  # noqa: E501
    event, _ = parse_line("ndjson", None, "events.ndjson", 7, line)
    assert event["event_id"] == derive_event_id("events.ndjson", 7)


@pytest.mark.parametrize(
    ("line", "field", "rule"),
    [
        ("{not json", "row", "json"),
        ("[1,2]", "row", "json"),
        ('{"customer_id":5}', "customer_id", "type"),
        ('{"customer_id":"c","product_id":"p","category":"x","price":true}', "price", "type"),
    ],
)
def test_malformed_ndjson_is_rejected(line, field, rule):
    got_field, got_rule, _ = reason_of(parse_line("ndjson", None, "e.ndjson", 1, line))
    assert (got_field, got_rule) == (field, rule)
