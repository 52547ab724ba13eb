"""Unit tests of consistency: the pure parts, and in a local Spark (skipped without pyspark and
Java) the classification of logged reads against a small lake, whose values are worked out by
hand from test_batch_features.EVENTS."""

import json

import pytest
from batch_features import parse_definitions
from consistency import (
    RECORD_SCHEMA,
    ConsistencyError,
    parse_args,
    run,
    same_value,
    select_features,
    status_of,
    summarize,
)
from fstore_lake.job_cli import ERROR_PREFIX
from test_batch_features import EVENTS, lake
from test_training_set import stream_export

MS = {
    "03-01": 1709251200000,
    "03-09 18:00": 1710007200000,
    "03-10 00:00:00.001": 1710028800001,
    "03-10 12:00": 1710072000000,
}


def test_values_compare_by_type():
    assert same_value(None, None, "int")
    assert not same_value(None, 1.0, "int")
    assert not same_value(1.0, None, "double")
    assert same_value(3.4, 3.4 * (1 + 1e-12), "double")
    assert not same_value(3.4, 3.41, "double")
    assert same_value(1234.5, 1234.50, "decimal")
    assert not same_value(1234.5, 1234.51, "decimal")


def test_status_tells_freshness_from_inconsistency():
    assert status_of(7.0, 1, 7.0, 1.0, "decimal") == "consistent"
    # An older value the stream had not replaced yet: equal to the offline value at its own time.
    assert status_of(1.0, 1, 7.0, 1.0, "decimal") == "not_yet_processed"
    assert status_of(5.5, 1, 7.0, 1.0, "decimal") == "inconsistent"
    assert status_of(None, None, 7.0, None, "decimal") == "inconsistent"


def test_summary_has_every_feature_and_the_share_inconsistent():
    defs = parse_definitions(stream_export())
    chosen = select_features(defs, ["last_amount", "units_2d_stream"])
    out = summarize({"last_amount": {"consistent": 3, "inconsistent": 1}}, chosen)
    assert out == {
        "last_amount": {
            "reads": 4,
            "consistent": 3,
            "inconsistent": 1,
            "not_yet_processed": 0,
            "inconsistent_ratio": 0.25,
        },
        "units_2d_stream": {
            "reads": 0,
            "consistent": 0,
            "inconsistent": 0,
            "not_yet_processed": 0,
            "inconsistent_ratio": None,
        },
    }
    with pytest.raises(ConsistencyError, match="unknown feature nope"):
        select_features(defs, ["nope"])


def defs_file(tmp_path) -> str:
    path = tmp_path / "defs.json"
    path.write_text(json.dumps(stream_export()))
    return str(path)


def test_bad_arguments_print_one_error_line(tmp_path, capsys):
    base = ["--definitions", defs_file(tmp_path), "--topic", "fstore.serving-log"]
    for extra, message in [
        (["--since", "yesterday"], "--since/--until"),
        (["--since", "2024-03-02", "--until", "2024-03-01"], "--until must be after --since"),
        (["--features", "nope"], "unknown feature nope"),
        (["--table", "no-dots"], "is not database.table"),
    ]:
        with pytest.raises(SystemExit) as e:
            parse_args(base + extra)
        assert e.value.code == 2
        lines = [line for line in capsys.readouterr().out.splitlines() if line]
        assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX) and message in lines[0]
    args = parse_args(base)
    assert args.until_ms is None and args.history_table == "features.batch_feature_history"


def reads_frame(spark, records):
    rows = [
        (
            r.get("feature"),
            "customer",
            r.get("keys"),
            r.get("value"),
            r.get("event_time_ms"),
            r.get("read_time_ms"),
            r.get("as_of_ms", r.get("read_time_ms")),
            r.get("bad", False),
        )
        for r in records
    ]
    return spark.createDataFrame(rows, RECORD_SCHEMA + ", __cs_bad boolean")


def test_reads_against_a_small_lake(spark, tmp_path):
    lake(spark, "cs_lake", EVENTS + [EVENTS[0]])  # e1 redelivered: counts once
    args = parse_args(
        [
            "--definitions",
            defs_file(tmp_path),
            "--topic",
            "t",
            "--since",
            "2024-03-01",
            "--table",
            "default.cs_lake",
            "--history-table",
            "default.cs_no_history",
            "--features",
            "last_amount,units_2d_stream,units_batch",
        ]
    )
    read = MS["03-10 12:00"]
    c1 = {"customer_id": "c1"}
    records = [
        # c1's latest amount is e6's 7.00 (2024-03-10T00:00:00.001).
        {
            "feature": "last_amount",
            "keys": c1,
            "value": 7.0,
            "event_time_ms": MS["03-10 00:00:00.001"],
            "read_time_ms": read,
        },
        # The value as of 18:00 the day before (e8 wins the tie with e2): not yet replaced.
        {
            "feature": "last_amount",
            "keys": c1,
            "value": 1.0,
            "event_time_ms": MS["03-09 18:00"],
            "read_time_ms": read,
        },
        # e2's amount at that time: never the value (e8 is later at the same time).
        {
            "feature": "last_amount",
            "keys": c1,
            "value": 5.5,
            "event_time_ms": MS["03-09 18:00"],
            "read_time_ms": read,
        },
        {
            "feature": "last_amount",
            "keys": {"customer_id": "nobody"},
            "value": None,
            "event_time_ms": None,
            "read_time_ms": read,
        },
        # c3 bought for 8.00 (e9): served as missing.
        {
            "feature": "last_amount",
            "keys": {"customer_id": "c3"},
            "value": None,
            "event_time_ms": None,
            "read_time_ms": read,
        },
        # p1's units over (t − 2d, t] at t = e6's time: e1 2 + e2 1 + e8 1 + e6 1 (e3 is on the
        # excluded edge).
        {
            "feature": "units_2d_stream",
            "keys": {"product_id": "p1"},
            "value": 5.0,
            "event_time_ms": MS["03-10 00:00:00.001"],
            "read_time_ms": read,
            "as_of_ms": MS["03-10 00:00:00.001"],
        },
        # No batch snapshot: nothing to serve.
        {
            "feature": "units_batch",
            "keys": {"product_id": "p1"},
            "value": None,
            "event_time_ms": None,
            "read_time_ms": read,
        },
        # Before --since: not counted; a record that is not one: counted as unreadable.
        {
            "feature": "last_amount",
            "keys": c1,
            "value": 3.0,
            "event_time_ms": 1,
            "read_time_ms": MS["03-01"] - 1,
        },
        {"bad": True, "read_time_ms": read},
    ]
    summary = run(spark, args, reads=reads_frame(spark, records))
    features = summary["features"]
    assert (summary["reads"], summary["unreadable"]) == (7, 1)
    la = features["last_amount"]
    assert {k: la[k] for k in ("reads", "consistent", "not_yet_processed", "inconsistent")} == {
        "reads": 5,
        "consistent": 2,
        "not_yet_processed": 1,
        "inconsistent": 2,
    }
    assert la["inconsistent_ratio"] == 0.4
    assert sorted(
        (e["keys"]["customer_id"], e["served"], e["offline"]) for e in la["examples"]
    ) == [
        ("c1", 5.5, 7.0),
        ("c3", None, 8.0),
    ]
    assert features["units_2d_stream"]["consistent"] == 1
    assert features["units_batch"]["consistent"] == 1
