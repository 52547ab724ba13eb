"""Unit tests of training_set: the pure parts, and in a local Spark (skipped without pyspark and
Java) the training set of a small lake. Each stream feature's value at a row's t is compared with
batch_features' computation as of t (a different construction: one aggregation per as-of, where
training_set sorts events and rows together); the batch features with a history table written
here."""

import copy
import json
import time
from datetime import UTC, datetime

import pytest
from batch_features import compute_features, parse_as_of, parse_definitions
from batch_features import select_features as batch_select
from fstore_lake.job_cli import ERROR_PREFIX
from test_batch_features import EVENTS, SMALL_FEATURES, lake, small_export
from training_set import (
    TrainingSetError,
    check_columns,
    parse_args,
    run,
    select_features,
    snapshot_for,
)


def stream_export() -> dict:
    """The batch unit tests' features as stream features, plus one batch feature."""
    data = small_export()
    features = []
    for f in copy.deepcopy(SMALL_FEATURES):
        f["engine"] = "stream"
        features.append(f)
    units = copy.deepcopy(next(f for f in SMALL_FEATURES if f["aggregation"] == "sum"))
    units.update(name="units_batch", engine="batch")
    features.append(units)
    data["features"] = features
    return data


def test_select_features_by_name_or_entity():
    defs = parse_definitions(stream_export())
    names = [f.name for f in select_features(defs, None, "customer")]
    assert names == [f["name"] for f in SMALL_FEATURES if f["entity"] == "customer"]
    assert [f.name for f in select_features(defs, ["last_amount", "last_amount"], None)] == [
        "last_amount"
    ]
    with pytest.raises(TrainingSetError, match="unknown feature nope"):
        select_features(defs, ["last_amount", "nope"], None)
    with pytest.raises(TrainingSetError, match="--entity shop: no feature"):
        select_features(defs, None, "shop")


def test_check_columns_names_what_is_missing():
    defs = parse_definitions(stream_export())
    pair = select_features(defs, ["last_rating"], None)
    check_columns(["customer_id", "product_id", "ts", "label"], pair, "ts")
    with pytest.raises(TrainingSetError, match="lack the key column product_id"):
        check_columns(["customer_id", "ts"], pair, "ts")
    with pytest.raises(TrainingSetError, match="--timestamp-column when: the entity rows have no"):
        check_columns(["customer_id", "product_id", "ts"], pair, "when")
    with pytest.raises(TrainingSetError, match="already have a column last_rating"):
        check_columns(["customer_id", "product_id", "ts", "last_rating"], pair, "ts")


def test_snapshot_for_takes_the_greatest_as_of_not_after_t():
    assert snapshot_for([10, 20, 30], 5) is None
    assert snapshot_for([10, 20, 30], 20) == 20
    assert snapshot_for([10, 20, 30], 29) == 20
    assert snapshot_for([10, 20, 30], 99) == 30


def test_bad_arguments_print_one_error_line(tmp_path, capsys):
    defs = tmp_path / "defs.json"
    defs.write_text(json.dumps(stream_export()))
    base = ["--definitions", str(defs), "--entities", "x.csv", "--out", "ts1"]
    with pytest.raises(SystemExit):
        parse_args([*base, "--features", "last_amount,nope"])
    out = capsys.readouterr().out
    assert out.startswith(ERROR_PREFIX + "training_set: --features: unknown feature nope")
    with pytest.raises(SystemExit):
        parse_args([*base, "--features", "last_amount", "--entity", "customer"])
    assert "one of --features" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        parse_args([*base[:-1], "Bad-Name", "--features", "last_amount"])
    assert "--out 'Bad-Name'" in capsys.readouterr().out
    args = parse_args([*base, "--entity", "customer"])
    assert (args.timestamp_column, args.out_database) == ("event_timestamp", "training_sets")


# Row times: before the events, exactly at events (e2/e8 tie at 18:00), between, at T, after.
ROW_TIMES = [
    "2024-02-01 00:00:00",
    "2024-03-03T00:00:00Z",
    "2024-03-03T00:00:00.001Z",
    "2024-03-09T17:59:59.999Z",
    "2024-03-09 18:00:00",
    "2024-03-10T01:00:00+01:00",
    "2024-03-10T00:00:00.001Z",
    "2024-06-01T00:00:00Z",
]
CUSTOMERS = ["c1", "c2", "c3", "nobody"]
PRODUCTS = ["p1", "p2", "p9"]
CATEGORIES = ["A", "B", "Z"]
# Two batch snapshots (ms): 2024-03-05 and 2024-03-10.
SNAPSHOTS = [1709596800000, 1710028800000]


def history(spark, name):
    rows = [
        ("product", "p1", "units_batch", "units_batch:{p1}", "7", SNAPSHOTS[0]),
        ("product", "p2", "units_batch", "units_batch:{p2}", "1", SNAPSHOTS[0]),
        ("product", "p1", "units_batch", "units_batch:{p1}", "12", SNAPSHOTS[1]),
    ]
    df = spark.createDataFrame(
        [
            (
                *r[:5],
                datetime.fromtimestamp(r[5] / 1000, UTC),
                datetime.fromtimestamp(r[5] / 1000, UTC).date(),
                r[5],
            )
            for r in rows
        ],
        "entity string, entity_id string, feature string, key string, value string,"
        " as_of timestamp, as_of_date date, as_of_ms bigint",
    )
    df.write.partitionBy("as_of_date", "as_of_ms").format("parquet").saveAsTable(name)


def entity_rows(tmp_path) -> tuple[str, list[dict]]:
    rows = []
    n = 0
    for t in ROW_TIMES:
        for c in CUSTOMERS:
            for p in PRODUCTS:
                cat = CATEGORIES[n % len(CATEGORIES)]
                rows.append(
                    {"customer_id": c, "product_id": p, "category": cat, "ts": t, "label": str(n)}
                )
                n += 1
    rows.reverse()  # not in time order: the output keeps this order
    path = tmp_path / "rows.csv"
    lines = ["customer_id,product_id,category,ts,label"]
    lines += [
        f"{r['customer_id']},{r['product_id']},{r['category']},{r['ts']},{r['label']}" for r in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path), rows


def expected_stream(spark, raw, t: str) -> dict[str, str]:
    """batch_features' values of every stream feature as of t: Redis key → value text."""
    data = stream_export()
    data["features"] = [
        {**f, "engine": "batch"} for f in data["features"] if f["engine"] == "stream"
    ]
    defs = parse_definitions(data)
    as_of = parse_as_of(t.replace(" ", "T"))
    c = compute_features(raw, defs.sources["tx"], batch_select(defs, None), as_of)
    out = {r.key: r.value for r in c.features.collect()}
    c.unpersist()
    return out


def as_text(value, ftype: str) -> str | None:
    if value is None:
        return None
    if ftype == "double":
        from batch_features import format_double

        return format_double(value)
    return str(value)


def test_a_training_set_over_a_small_lake(spark, tmp_path):
    lake(spark, "ts_lake", EVENTS + [EVENTS[0]])  # e1 redelivered: counts once
    raw = lake(spark, "ts_lake_once", EVENTS)  # what batch_features is given
    history(spark, "ts_history")
    defs_file = tmp_path / "defs.json"
    defs_file.write_text(json.dumps(stream_export()))
    entities, rows = entity_rows(tmp_path)
    names = [f["name"] for f in stream_export()["features"]]
    args = parse_args(
        [
            "--definitions", str(defs_file),
            "--entities", entities,
            "--features", ",".join(names),
            "--timestamp-column", "ts",
            "--out", "small",
            "--out-database", "ts_out",
            "--table", "default.ts_lake",
            "--history-table", "default.ts_history",
        ]
    )  # fmt: skip
    started = time.monotonic()
    summary = run(spark, args)
    print(f"training set: {time.monotonic() - started:.1f}s")
    out = spark.table("ts_out.small").collect()
    assert summary["rows"] == len(rows) == len(out)
    # Same rows, same order, columns passed through untouched, then one column per feature.
    assert [r.label for r in out] == [r["label"] for r in rows]
    assert [r.ts for r in out] == [r["ts"] for r in rows]
    assert list(out[0].asDict()) == ["customer_id", "product_id", "category", "ts", "label", *names]

    defs = args.definitions
    differences = []
    nulls = dict.fromkeys(names, 0)
    cache: dict[str, dict[str, str]] = {}
    for r in out:
        for f in defs.features:
            got = as_text(r[f.name], f.type)
            nulls[f.name] += got is None
            if f.engine == "batch":
                snap = snapshot_for(
                    SNAPSHOTS, int(parse_as_of(r.ts.replace(" ", "T")).timestamp() * 1000)
                )
                want = {
                    None: None,
                    SNAPSHOTS[0]: {"p1": "7", "p2": "1"},
                    SNAPSHOTS[1]: {"p1": "12"},
                }[snap]
                want = None if want is None else want.get(r.product_id)
            else:
                if r.ts not in cache:
                    cache[r.ts] = expected_stream(spark, raw, r.ts)
                parts = [r[k] for k in f.keys]
                key = f"{f.name}:" + "_".join("{" + p + "}" for p in parts)
                want = cache[r.ts].get(key)
            if got != want:
                differences.append((r.label, r.ts, f.name, got, want))
    assert differences == []
    assert summary["nulls"] == nulls
    assert summary["snapshots_used"] == ["2024-03-05T00:00:00.000Z", "2024-03-10T00:00:00.000Z"]
    # Sanity: the values are not all null (the comparison above would pass on an empty lake).
    assert all(nulls[n] < len(rows) for n in names)


def test_bad_timestamps_and_missing_key_columns(spark, tmp_path):
    defs_file = tmp_path / "defs.json"
    defs_file.write_text(json.dumps(stream_export()))
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,ts\nc1,2024-03-01T00:00:00Z\nc2,yesterday\nc3,\n")
    base = ["--definitions", str(defs_file), "--out", "bad", "--timestamp-column", "ts"]
    args = parse_args([*base, "--entities", str(bad), "--features", "last_amount"])
    with pytest.raises(
        TrainingSetError, match=r'2 value\(s\) are not a timestamp, e.g. "yesterday"'
    ):
        run(spark, args)
    args = parse_args([*base, "--entities", str(bad), "--features", "last_rating"])
    with pytest.raises(TrainingSetError, match="lack the key column product_id"):
        run(spark, args)
    args = parse_args([*base, "--entities", str(tmp_path / "none.parquet"), "--entity", "customer"])
    with pytest.raises(TrainingSetError, match="none.parquet: cannot read it as parquet"):
        run(spark, args)
