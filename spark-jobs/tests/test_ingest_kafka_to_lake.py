"""Unit tests of the Kafka ingestion's pure parts: offset planning, message parsing, arguments."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fstore_lake.kafka_offsets import OffsetError, Range, plan_ranges, read_options, source_name
from fstore_lake.raw_event import EVENT_COLUMNS, parse_message
from ingest_kafka_to_lake import login_options, parse_args, parse_record

MESSAGE = {
    "event_id": "e-1",
    "customer_id": "c1",
    "product_id": "p1",
    "category": "Books",
    "price": 12.5,
    "quantity": 3,
    "transaction_date": "2024-05-06 23:59:59.250",
    "review_rating": 4,
    "review_text": None,
    "customer_age": 30,
    "customer_gender": "Female",
    "country": "Chile",
    "device_type": "Mobile",
    "browsing_duration": 12,
    "previous_purchases": 0,
}


def message(**changes) -> bytes:
    return json.dumps({**MESSAGE, **changes}).encode()


# --- offsets ---------------------------------------------------------------------------------


def test_first_run_reads_every_partition_from_its_earliest_offset_to_its_end():
    ranges = plan_ranges({}, {0: (0, 10), 1: (5, 5), 2: (3, 7)})
    assert ranges == [Range(0, 0, 10), Range(1, 5, 5), Range(2, 3, 7)]
    assert [r.size for r in ranges] == [10, 0, 4]


def test_a_run_starts_where_the_recorded_ranges_end():
    ranges = plan_ranges({0: 10, 1: 5}, {0: (0, 12), 1: (0, 5), 2: (0, 1)})
    assert ranges == [Range(0, 10, 12), Range(1, 5, 5), Range(2, 0, 1)]


def test_nothing_new_reads_nothing():
    assert all(r.size == 0 for r in plan_ranges({0: 4, 1: 9}, {0: (0, 4), 1: (2, 9)}))


def test_max_per_partition_bounds_a_run():
    assert plan_ranges({0: 10}, {0: (0, 100), 1: (0, 3)}, max_per_partition=5) == [
        Range(0, 10, 15),
        Range(1, 0, 3),
    ]


def test_offsets_deleted_before_they_were_read_stop_the_run():
    with pytest.raises(OffsetError, match=r"partition 0: offsets 4\.\.9 were deleted"):
        plan_ranges({0: 4}, {0: (10, 20)})


def test_allow_data_loss_skips_them_and_counts_them():
    assert plan_ranges({0: 4}, {0: (10, 20)}, allow_data_loss=True) == [Range(0, 10, 20, lost=6)]


@pytest.mark.parametrize(
    ("committed", "bounds"),
    [({0: 30}, {0: (0, 20)}), ({0: 1, 7: 3}, {0: (0, 2)})],
)
def test_a_recreated_topic_is_refused(committed, bounds):
    with pytest.raises(OffsetError, match="recreated"):
        plan_ranges(committed, bounds)


def test_read_options_name_exact_ranges():
    opts = read_options("t.x", [Range(0, 3, 9), Range(4, 0, 2)])
    assert json.loads(opts["assign"]) == {"t.x": [0, 4]}
    assert json.loads(opts["startingOffsets"]) == {"t.x": {"0": 3, "4": 0}}
    assert json.loads(opts["endingOffsets"]) == {"t.x": {"0": 9, "4": 2}}


def test_source_name():
    assert source_name("ecommerce.transactions", 3) == "kafka:ecommerce.transactions/3"


# --- messages --------------------------------------------------------------------------------


def test_a_message_parses_like_an_ndjson_line():
    event, rejected = parse_message(message())
    assert rejected is None
    assert event["event_id"] == "e-1"
    assert event["price"] == Decimal("12.50")
    assert event["transaction_date"] == datetime(2024, 5, 6, 23, 59, 59, 250000, tzinfo=UTC)
    assert event["event_date"] == date(2024, 5, 6)
    assert event["review_text"] is None


def test_iso_times_with_an_offset_are_normalised_to_utc():
    event, _ = parse_message(message(transaction_date="2024-05-07T01:30:00+02:00"))
    assert event["transaction_date"] == datetime(2024, 5, 6, 23, 30, tzinfo=UTC)
    assert event["event_date"] == date(2024, 5, 6)


@pytest.mark.parametrize(
    ("value", "field", "rule"),
    [
        (None, "row", "json"),
        (b"\xff\xfe{}", "row", "utf8"),
        (b"{not json", "row", "json"),
        (b"[1]", "row", "json"),
        (message(event_id=None), "event_id", "required"),
        (message(event_id=""), "event_id", "required"),
        (message(event_id="x" * 129), "event_id", "max_length"),
        (message(price=-1), "price", "min"),
        (message(quantity=0), "quantity", "min"),
        (message(customer_id=7), "customer_id", "type"),
        (message(transaction_date="2024-02-30 00:00:00"), "transaction_date", "date"),
    ],
)
def test_broken_messages_are_rejected_with_the_reason(value, field, rule):
    event, rejected = parse_message(value)
    assert event is None
    assert rejected[:2] == (field, rule)
    assert rejected[2]


def test_parse_record_carries_the_source_and_offset():
    ok = parse_record("t", 2, 41, bytearray(message()))
    assert ok[:3] == (True, "kafka:t/2", 41)
    assert len(ok[3]) == len(EVENT_COLUMNS) and ok[3][0] == "e-1"
    bad = parse_record("t", 5, 7, bytearray(b"\xffoops"))
    assert bad[:3] == (False, "kafka:t/5", 7)
    assert bad[4][:2] == ("row", "utf8")
    assert bad[5] == "\ufffdoops"


# --- arguments -------------------------------------------------------------------------------


def test_arguments():
    args = parse_args([])
    assert (args.topic, args.table) == ("ecommerce.transactions", "ecommerce.transactions")
    assert args.rejects_table is None and args.offsets_table is None and args.every is None
    args = parse_args(
        ["--topic", "t", "--table", "d.t", "--kafka-option", "kafka.security.protocol=SSL"]
    )
    assert args.kafka_options == {"security.protocol": "SSL"}
    assert parse_args(["--every", "60", "--max-runs", "3"]).max_runs == 3
    for bad in (
        ["--table", "x; drop"],
        ["--offsets-table", "nodot"],
        ["--max-per-partition", "0"],
        ["--every", "0"],
        ["--max-runs", "2"],
        ["--every", "5", "--max-runs", "0"],
        ["--kafka-option", "novalue"],
    ):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_the_kafka_login_comes_from_the_environment_only():
    options = login_options({"FSTORE_KAFKA_INGEST_PASSWORD": 'p"w\\x'})
    assert options["security.protocol"] == "SASL_PLAINTEXT"
    assert options["sasl.mechanism"] == "SCRAM-SHA-512"
    assert options["sasl.jaas.config"] == (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="spark-ingest" password="p\\"w\\\\x";'
    )
    assert login_options({}) == {}
