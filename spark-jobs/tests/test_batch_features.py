"""Unit tests of batch_features: the pure parts (no Spark, no Redis), and the computation of the
features in a local Spark (pyspark and Java; skipped without them)."""

import copy
import json
import random
import shutil
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from batch_features import (
    SET_IF_NEWER_FILE,
    Plan,
    compute_features,
    default_nodes,
    epoch_ms,
    event_time_key,
    feature_key,
    format_double,
    is_stream_window,
    iso_ms,
    kept_feature_names,
    key_columns,
    online_changes,
    online_feature_names,
    parse_args,
    parse_as_of,
    parse_definitions,
    parse_nodes,
    parse_snapshot,
    plan_online,
    read_password,
    read_window_ms,
    select_features,
    stream_feature_names,
    tables_of,
    value_slots,
    window_of,
    write_rows,
)

ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400_000


SET_IF_NEWER = SET_IF_NEWER_FILE.read_text()


def test_write_script_is_the_online_stores():
    # One file: the TypeScript store loads the same one (no copy to drift).
    assert SET_IF_NEWER_FILE == ROOT / "libs" / "online-store" / "lua" / "set_if_newer.lua"
    text = (ROOT / "libs" / "online-store" / "src" / "online-store.ts").read_text()
    assert "'libs', 'online-store', 'lua', 'set_if_newer.lua'" in text
    assert "redis.call('SET', KEYS[2], ARGV[2])" in SET_IF_NEWER


def test_keys_follow_the_format():
    assert feature_key("units_sold", "p1") == "units_sold:{p1}"
    assert feature_key("last_review", "c1", "p1") == "last_review:{c1}_{p1}"
    assert event_time_key("units_sold:{p1}") == "units_sold:{p1}:ts"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-15", datetime(2024, 3, 15, tzinfo=UTC)),
        ("2024-03-15T00:00:00Z", datetime(2024, 3, 15, tzinfo=UTC)),
        ("2024-03-15 12:30:00", datetime(2024, 3, 15, 12, 30, tzinfo=UTC)),
        ("2024-03-15T02:00:00+02:00", datetime(2024, 3, 15, tzinfo=UTC)),
        ("2024-03-15T00:00:00.250Z", datetime(2024, 3, 15, 0, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_as_of_is_utc_to_the_millisecond(text, expected):
    assert parse_as_of(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "2024-03-15T00:00:00.000001Z"])
def test_bad_as_of_is_refused(text):
    with pytest.raises(ValueError):
        parse_as_of(text)


def test_epoch_ms_round_trip():
    t = parse_as_of("2024-03-15T10:11:12.345Z")
    assert epoch_ms(t) == 1710497472345
    assert iso_ms(epoch_ms(t)) == "2024-03-15T10:11:12.345Z"


def test_window_of_30_days_names_the_partitions_that_can_hold_it():
    w = window_of(parse_as_of("2024-03-31T00:00:00Z"), 30 * DAY)
    assert w.start == datetime(2024, 3, 1, tzinfo=UTC)
    # (03-01 00:00, 03-31 00:00]: an event at 03-31 00:00:00 is in, on the date 03-31.
    assert (w.first_date, w.last_date) == (date(2024, 3, 1), date(2024, 3, 31))
    w = window_of(parse_as_of("2024-03-31T13:00:00Z"), 30 * DAY)
    assert (w.first_date, w.last_date) == (date(2024, 3, 1), date(2024, 3, 31))
    assert epoch_ms(w.end) - epoch_ms(w.start) == 30 * DAY
    # No window (a last/last_k without one): every event up to T, every date up to T's.
    w = window_of(parse_as_of("2024-03-31T13:00:00Z"), None)
    assert (w.start, w.first_date, w.last_date) == (None, None, date(2024, 3, 31))


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (3.4, "3.4"),
        (4.0, "4"),
        (10 / 3, "3.3333333333333335"),
        (4.5, "4.5"),
        (-2.5, "-2.5"),
        (0.0, "0"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (2.0**53, "9007199254740992"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (5e-324, "5e-324"),
    ],
)
def test_doubles_are_written_as_javascript_writes_them(x, text):
    assert format_double(x) == text


def test_doubles_agree_with_node_on_random_values():
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed")
    rng = random.Random(42)
    xs = [rng.uniform(1, 5) for _ in range(300)]
    xs += [rng.random() * 10 ** rng.randint(-12, 25) for _ in range(700)]
    xs += [s / n for n in range(1, 40) for s in range(n, 5 * n + 1)]
    script = "const xs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
    script += "process.stdout.write(JSON.stringify(xs.map((x) => String(x))));"
    out = subprocess.run(
        [node, "-e", script], input=json.dumps(xs), capture_output=True, text=True, check=True
    )
    assert [format_double(x) for x in xs] == json.loads(out.stdout)


def test_not_finite_doubles_are_refused():
    with pytest.raises(ValueError):
        format_double(float("nan"))


def test_password_from_env_then_file(tmp_path):
    env_file = tmp_path / "secrets.env"
    env_file.write_text("FSTORE_PG_PASSWORD=pg\nFSTORE_REDIS_BATCH_PASSWORD=from-env-file\n")
    plain = tmp_path / "redis-password"
    plain.write_text("plain-secret\n")
    assert read_password({"FSTORE_REDIS_BATCH_PASSWORD": "from-env"}, str(env_file)) == "from-env"
    assert read_password({}, str(env_file)) == "from-env-file"
    assert read_password({}, str(plain)) == "plain-secret"
    assert read_password({}, None) is None
    other = tmp_path / "other.env"
    other.write_text("A=1\nB=2\n")
    with pytest.raises(ValueError, match="FSTORE_REDIS_BATCH_PASSWORD"):
        read_password({}, str(other))
    with pytest.raises(ValueError, match="missing"):
        read_password({}, str(tmp_path / "missing"))


def test_redis_nodes_default_from_the_settings():
    assert default_nodes({}) == ",".join(f"127.0.0.1:{p}" for p in range(7001, 7007))
    env = {"FSTORE_HOST": "10.0.0.5", "FSTORE_REDIS_CLUSTER_PORTS": "7101, 7102"}
    assert parse_nodes(default_nodes(env)) == [("10.0.0.5", 7101), ("10.0.0.5", 7102)]
    env["FSTORE_REDIS_HOST"] = "redis-cluster"
    assert default_nodes(env) == "redis-cluster:7101,redis-cluster:7102"
    with pytest.raises(ValueError):
        parse_nodes("localhost")


def test_snapshot_partitions():
    assert parse_snapshot("as_of_date=2024-03-15/as_of_ms=1710460800000") == 1710460800000
    with pytest.raises(ValueError):
        parse_snapshot("event_date=2024-03-15")


def test_online_plan_deletes_what_redis_holds():
    # First run: nothing published, nothing to delete.
    assert plan_online("auto", 3 * DAY, None, []) == Plan(True, "written", None)
    # Next day: the keys of the snapshot Redis holds.
    plan = plan_online("auto", 3 * DAY, 2 * DAY, [1 * DAY, 2 * DAY, 5 * DAY])
    assert plan == Plan(True, "written", 2 * DAY)
    # The same as-of again: its own snapshot (late data may have removed keys).
    assert plan_online("auto", 2 * DAY, 2 * DAY, [1 * DAY, 2 * DAY]).deletions_from == 2 * DAY
    # A published snapshot that is no longer in the history: nothing known to delete.
    assert plan_online("auto", 3 * DAY, 2 * DAY, [1 * DAY]).deletions_from is None


def test_online_plan_backfill_writes_history_only():
    plan = plan_online("auto", 1 * DAY, 2 * DAY, [2 * DAY])
    assert not plan.online and "backfill" in plan.reason and "1970-01-03" in plan.reason
    assert plan_online("always", 1 * DAY, 2 * DAY, [2 * DAY]) == Plan(True, "written", 2 * DAY)
    assert not plan_online("never", 5 * DAY, None, []).online


class FakePipeline:
    def __init__(self, client):
        self.client = client
        self.commands = []

    def execute_command(self, *args):
        self.commands.append(args)

    def execute(self, raise_on_error=True):
        assert raise_on_error is False
        self.client.round_trips += 1
        return [self.client.apply(*c[3:]) for c in self.commands]


class FakeRedis:
    """The set-if-not-older rule over a dict; `noscript` keys answer NOSCRIPT to EVALSHA."""

    def __init__(self, noscript=(), failing=()):
        self.data = {}
        self.noscript = set(noscript)
        self.failing = set(failing)
        self.round_trips = 0
        self.evals = 0

    def script_load(self, script):
        assert script == SET_IF_NEWER
        return "sha"

    def pipeline(self):
        return FakePipeline(self)

    def eval(self, script, numkeys, *args):
        assert script == SET_IF_NEWER and numkeys == 2
        self.evals += 1
        self.noscript.discard(args[0])
        return self.apply(*args)

    def apply(self, key, ts_key, value, ts):
        if key in self.noscript:
            return Exception("NOSCRIPT No matching script")
        if key in self.failing:
            return Exception("OOM command not allowed")
        stored = self.data.get(ts_key)
        if stored is not None and int(stored) > int(ts):
            return 0
        self.data[ts_key] = ts
        if value == "":
            self.data.pop(key, None)
        else:
            self.data[key] = value
        return 1


def test_write_rows_sets_values_and_times_deletes_and_skips_newer():
    redis = FakeRedis()
    redis.data.update({"units_sold:{old}": "3", "units_sold:{old}:ts": "100"})
    redis.data.update({"units_sold:{newer}": "9", "units_sold:{newer}:ts": "900"})
    counts = write_rows(
        redis,
        [
            ("units_sold", "units_sold:{p1}", "5"),
            ("revenue_by_product", "revenue_by_product:{p1}", "12.50"),
            ("units_sold", "units_sold:{old}", None),
            ("units_sold", "units_sold:{newer}", "4"),
        ],
        500,
    )
    assert counts == {
        "units_sold.written": 1,
        "revenue_by_product.written": 1,
        "units_sold.deleted": 1,
        "units_sold.skipped_newer": 1,
    }
    assert redis.data == {
        "units_sold:{p1}": "5",
        "units_sold:{p1}:ts": "500",
        "revenue_by_product:{p1}": "12.50",
        "revenue_by_product:{p1}:ts": "500",
        "units_sold:{old}:ts": "500",  # the tombstone keeps older values out
        "units_sold:{newer}": "9",
        "units_sold:{newer}:ts": "900",
    }


def test_write_rows_pipelines_in_chunks_and_resends_the_script_on_noscript():
    redis = FakeRedis(noscript={"units_sold:{p3}"})
    rows = [("units_sold", f"units_sold:{{p{i}}}", str(i)) for i in range(10)]
    counts = write_rows(redis, rows, 1, chunk=4)
    assert counts == {"units_sold.written": 10}
    assert redis.round_trips == 3 and redis.evals == 1
    assert redis.data["units_sold:{p3}"] == "3"


def test_write_rows_fails_on_a_redis_error():
    redis = FakeRedis(failing={"units_sold:{p1}"})
    with pytest.raises(RuntimeError, match=r"units_sold:\{p1\}.*OOM"):
        write_rows(redis, [("units_sold", "units_sold:{p1}", "1")], 1)


def test_args(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    defs = write_export(tmp_path, small_export())
    args = parse_args(
        ["--definitions", defs, "--as-of", "2024-03-02", "--as-of", "2024-03-01"]
        + ["--redis-password-file", str(secret)],
        env={},
    )
    assert args.table is None and tables_of(args) == {"tx": "lake.tx"}
    assert args.history_table == "features.batch_feature_history"
    assert args.as_of == [datetime(2024, 3, 2, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)]
    assert args.password == "s3cret" and args.online == "auto" and not args.dedupe
    assert [f.name for f in args.features] == SELECTED_NAMES
    args = parse_args(
        ["--definitions", defs, "--as-of", "2024-03-01", "--features", "units_7d, events_7d"]
        + ["--table", "test_1.events"],
        env={"FSTORE_REDIS_BATCH_PASSWORD": "e"},
    )
    assert args.password == "e" and [f.name for f in args.features] == ["units_7d", "events_7d"]
    assert tables_of(args) == {"tx": "test_1.events"}
    # A stream window by name: computed (for the history).
    args = parse_args(
        ["--definitions", defs, "--as-of", "2024-03-01", "--features", "rated_1d_stream"], env={}
    )
    assert [f.name for f in args.features] == ["rated_1d_stream"]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--as-of", "2024-03-01"],
        ["--definitions", "{defs}"],
        ["--definitions", "{defs}", "--as-of", "soon"],
        ["--definitions", "{defs}", "--as-of", "2024-03-01", "--table", "no_database"],
        ["--definitions", "{defs}", "--as-of", "2024-03-01", "--redis-nodes", "host-without-port"],
        ["--definitions", "{defs}", "--as-of", "2024-03-01", "--write-partitions", "0"],
        ["--definitions", "{defs}", "--as-of", "2024-03-01", "--features", "last_rating_stream"],
        ["--definitions", "{defs}", "--as-of", "2024-03-01", "--features", "nope"],
        ["--definitions", "/nonexistent/defs.json", "--as-of", "2024-03-01"],
    ],
)
def test_bad_args_exit(argv, capsys, tmp_path):
    defs = write_export(tmp_path, small_export())
    with pytest.raises(SystemExit):
        parse_args([a.replace("{defs}", defs) for a in argv], env={})
    assert "error" in capsys.readouterr().err


# --- the definitions: the export of features/ and hand-written ones -------------------------------


def feat(name, entity, keys, aggregation, type_, of=None, of_type=None, **more):
    """One feature as `fstore features export` writes it."""
    window_days = more.pop("window_days", None)
    return {
        "name": name,
        "entity": entity,
        "keys": keys,
        "source": "tx",
        "engine": more.pop("engine", "batch"),
        "aggregation": aggregation,
        "k": more.pop("k", None),
        "reduce": more.pop("reduce", None),
        "of": of,
        "of_type": of_type,
        "filter": more.pop("filter", None),
        "window_ms": None if window_days is None else window_days * DAY,
        "granularity_ms": None,
        "type": type_,
        "description": name,
        "owner": "test",
        "tags": [],
        "file": f"features/{name}.ts",
        "compute_hash": "0" * 16,
        **more,
    }


CUSTOMER, PRODUCT, CATEGORY = ["customer_id"], ["product_id"], ["category"]
PAIR = ["customer_id", "product_id"]
RATED = "`review_rating` IS NOT NULL"

# Every aggregation of the vocabulary, filters, expressions over a derived column, four entities.
SMALL_FEATURES = [
    feat("last_amount", "customer", CUSTOMER, "last", "decimal", "`amount`", "decimal(21,2)"),
    feat(
        "last_price_7d",
        "customer",
        CUSTOMER,
        "last",
        "decimal",
        "`price`",
        "decimal(10,2)",
        window_days=7,
    ),
    feat(
        "last_rating",
        "customer_product",
        PAIR,
        "last",
        "int",
        "`review_rating`",
        "int",
        filter=RATED,
    ),
    feat(
        "last3_rating_avg",
        "product",
        PRODUCT,
        "last_k",
        "double",
        "`review_rating`",
        "int",
        k=3,
        reduce="avg",
        filter=RATED,
    ),
    feat(
        "last2_quantity_sum",
        "product",
        PRODUCT,
        "last_k",
        "int",
        "`quantity`",
        "int",
        k=2,
        reduce="sum",
    ),
    feat(
        "last3_price_min",
        "category",
        CATEGORY,
        "last_k",
        "decimal",
        "`price`",
        "decimal(10,2)",
        k=3,
        reduce="min",
    ),
    feat(
        "last3_price_max_7d",
        "category",
        CATEGORY,
        "last_k",
        "decimal",
        "`price`",
        "decimal(10,2)",
        k=3,
        reduce="max",
        window_days=7,
    ),
    feat(
        "last2_rated_count",
        "customer",
        CUSTOMER,
        "last_k",
        "int",
        "`review_rating`",
        "int",
        k=2,
        reduce="count",
    ),
    feat("units_7d", "product", PRODUCT, "sum", "int", "`quantity`", "int", window_days=7),
    feat(
        "revenue_30d",
        "category",
        CATEGORY,
        "sum",
        "decimal",
        "`amount`",
        "decimal(21,2)",
        window_days=30,
    ),
    feat("events_7d", "customer_product", PAIR, "count", "int", window_days=7),
    feat(
        "good_reviews_30d",
        "product",
        PRODUCT,
        "count",
        "int",
        window_days=30,
        filter="`review_rating` >= 4",
    ),
    feat(
        "avg_rating_30d",
        "product",
        PRODUCT,
        "avg",
        "double",
        "`review_rating`",
        "int",
        window_days=30,
        filter=RATED,
    ),
    feat(
        "avg_amount_30d",
        "category",
        CATEGORY,
        "avg",
        "double",
        "`amount`",
        "decimal(21,2)",
        window_days=30,
    ),
    feat(
        "min_price_7d",
        "customer",
        CUSTOMER,
        "min",
        "decimal",
        "`price`",
        "decimal(10,2)",
        window_days=7,
    ),
    feat(
        "max_amount_7d",
        "customer_product",
        PAIR,
        "max",
        "decimal",
        "`amount`",
        "decimal(21,2)",
        window_days=7,
    ),
    feat(
        "margin_30d",
        "category",
        CATEGORY,
        "sum",
        "decimal",
        "`amount` - `price`",
        "decimal(22,2)",
        window_days=30,
    ),
    feat(
        "half_units_7d",
        "product",
        PRODUCT,
        "sum",
        "double",
        "CAST(`quantity` AS DOUBLE) / CAST(2 AS DOUBLE)",
        "double",
        window_days=7,
    ),
    feat(
        "last_rating_stream",
        "customer",
        CUSTOMER,
        "last",
        "int",
        "`review_rating`",
        "int",
        engine="stream",
    ),
    # Stream time windows: computed as of T for the history, never written to Redis.
    feat(
        "units_2d_stream",
        "product",
        PRODUCT,
        "sum",
        "int",
        "`quantity`",
        "int",
        window_days=2,
        engine="stream",
        granularity_ms=2 * DAY // 60,
    ),
    feat(
        "rated_1d_stream",
        "customer",
        CUSTOMER,
        "count",
        "int",
        window_days=1,
        filter=RATED,
        engine="stream",
        granularity_ms=DAY // 60,
    ),
    feat(
        "avg_price_7d_stream",
        "category",
        CATEGORY,
        "avg",
        "double",
        "`price`",
        "decimal(10,2)",
        window_days=7,
        engine="stream",
        granularity_ms=7 * DAY // 60,
    ),
]
BATCH_NAMES = [f["name"] for f in SMALL_FEATURES if f["engine"] == "batch"]
STREAM_WINDOWS = ["units_2d_stream", "rated_1d_stream", "avg_price_7d_stream"]
# What the job computes by default: the batch features and the stream windows, in their order.
SELECTED_NAMES = [f["name"] for f in SMALL_FEATURES if f["name"] != "last_rating_stream"]


def small_export() -> dict:
    columns = {
        "event_id": "string",
        "customer_id": "string",
        "product_id": "string",
        "category": "string",
        "price": "decimal(10,2)",
        "quantity": "int",
        "transaction_date": "timestamp",
        "review_rating": "int",
    }
    return {
        "format": 1,
        "entities": [],
        "sources": [
            {
                "name": "tx",
                "description": "test events",
                "topic": "tx",
                "table": "lake.tx",
                "event_id": "event_id",
                "event_time": "transaction_date",
                "columns": [{"name": n, "type": t} for n, t in columns.items()],
                "derived": [
                    {"name": "amount", "sql": "`price` * `quantity`", "type": "decimal(21,2)"}
                ],
            }
        ],
        "features": copy.deepcopy(SMALL_FEATURES),
    }


def write_export(tmp_path, data) -> str:
    path = tmp_path / "definitions.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_the_export_of_features_is_what_the_job_reads():
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed")
    out = subprocess.run(
        [node, "bin/fstore.js", "features", "export"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    data = json.loads(out.stdout)
    defs = parse_definitions(data)
    selected = select_features(defs, None)
    batch = tuple(f for f in selected if f.engine == "batch")
    assert [f.name for f in batch] == [
        f["name"] for f in data["features"] if f["engine"] == "batch"
    ]
    # Every stream time window as well (for the history), never a stream last / last_k.
    windows = [f.name for f in selected if f.engine == "stream"]
    assert windows == [
        f["name"]
        for f in data["features"]
        if f["engine"] == "stream" and f["aggregation"] not in ("last", "last_k")
    ]
    assert set(windows) >= STREAM_EXAMPLES
    assert all(is_stream_window(f) for f in selected if f.engine == "stream")
    assert online_feature_names(defs) == {f.name for f in batch}
    spend = next(f for f in selected if f.name == "spend_24h")
    assert (spend.keys, spend.reducer, spend.of, spend.window_ms) == (
        ("customer_id",),
        "sum",
        "`amount`",
        DAY,
    )
    # The seed's four (DESIGN §3), as the job computes them.
    seed = {f.name: f for f in batch}
    assert (seed["units_sold"].keys, seed["units_sold"].reducer) == (("product_id",), "sum")
    assert (seed["units_sold"].of, seed["units_sold"].type) == ("`quantity`", "int")
    assert seed["revenue_by_category"].keys == ("category",)
    assert seed["revenue_by_product"].of == "`amount`"
    assert seed["avg_review_rating"].reducer == "avg"
    assert seed["avg_review_rating"].filter == "`review_rating` IS NOT NULL"
    assert {f.window_ms for f in seed.values() if f.name in SEED} == {30 * DAY}
    assert SEED <= set(seed)
    src = defs.sources[batch[0].source]
    assert src.table == "ecommerce.transactions"
    assert ("amount", "`price` * `quantity`", "decimal(21,2)") in src.derived
    windows = [f.window_ms for f in batch]
    assert read_window_ms(batch) == (None if None in windows else max(windows))


SEED = {"units_sold", "revenue_by_product", "revenue_by_category", "avg_review_rating"}
STREAM_EXAMPLES = {"purchases_1h", "spend_24h", "units_sold_7d", "avg_rating_7d", "revenue_1h"}


def test_small_export_is_read():
    defs = parse_definitions(small_export())
    assert [f.name for f in select_features(defs, None)] == SELECTED_NAMES
    assert [f.name for f in select_features(defs, ["units_7d", "units_7d", "last_amount"])] == [
        "units_7d",
        "last_amount",
    ]
    features = select_features(defs, None)
    # last_amount has no window: the read is unbounded.
    assert read_window_ms(features) is None
    assert read_window_ms(select_features(defs, ["units_7d", "revenue_30d"])) == 30 * DAY
    assert key_columns(features) == ("customer_id", "product_id", "category")
    f = {x.name: x for x in features}
    assert f["last2_quantity_sum"].reducer == "sum" and f["last_amount"].reducer == "last"
    assert f["events_7d"].of is None and f["events_7d"].reducer == "count"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format=2), "format"),
        (lambda d: d["features"][0].update(aggregation="median"), "aggregation"),
        (lambda d: d["features"][0].update(type="text"), "type"),
        (lambda d: d["features"][0].update(keys=[]), "key columns"),
        (lambda d: d["features"][0].update(keys=["x; DROP"]), "not a column name"),
        (lambda d: d["features"][0].update(source="other"), "unknown source"),
        (lambda d: d["features"][3].update(reduce="median"), "reduce"),
        (lambda d: d["features"][3].update(k=0), "k"),
        (lambda d: d["features"][8].update(window_ms=None), "needs window_ms"),
        (lambda d: d["features"][0].update(of=None), "of is needed"),
        (lambda d: d["features"][0].pop("name"), "missing field"),
        (lambda d: d["sources"][0].update(table="no-table"), "table"),
    ],
)
def test_bad_definitions_are_refused(change, message):
    data = small_export()
    change(data)
    with pytest.raises(ValueError, match=message):
        parse_definitions(data)


def test_selecting_features():
    defs = parse_definitions(small_export())
    # A stream last / last_k has no batch form: online only.
    with pytest.raises(ValueError, match="a stream feature without a time window"):
        select_features(defs, ["last_rating_stream"])
    with pytest.raises(ValueError, match="not a feature"):
        select_features(defs, ["nope"])
    # Stream windows by name, alone or with batch features.
    assert [f.name for f in select_features(defs, ["avg_price_7d_stream", "units_7d"])] == [
        "avg_price_7d_stream",
        "units_7d",
    ]
    assert [is_stream_window(f) for f in select_features(defs, STREAM_WINDOWS)] == [True] * 3
    # Definitions with stream windows only: those (a run for the history).
    only_stream = small_export()
    only_stream["features"] = [f for f in only_stream["features"] if f["engine"] == "stream"]
    assert [f.name for f in select_features(parse_definitions(only_stream), None)] == (
        STREAM_WINDOWS
    )
    only_last = small_export()
    only_last["features"] = [f for f in only_last["features"] if f["name"] == "last_rating_stream"]
    with pytest.raises(ValueError, match="no batch feature and no stream time window"):
        select_features(parse_definitions(only_last), None)


def test_only_batch_features_are_online():
    defs = parse_definitions(small_export())
    assert online_feature_names(defs) == set(BATCH_NAMES)
    # The stream features' keys (tiles, latest values) are the stream writer's: never touched.
    assert stream_feature_names(defs) == {"last_rating_stream", *STREAM_WINDOWS}
    assert not online_feature_names(defs) & stream_feature_names(defs)


def test_a_snapshot_written_again_keeps_the_features_not_computed():
    defs = parse_definitions(small_export())
    assert kept_feature_names(defs, select_features(defs, None)) == set()
    kept = kept_feature_names(defs, select_features(defs, ["units_2d_stream", "units_7d"]))
    # Every other computable feature; a stream last never has a row to keep.
    assert kept == set(SELECTED_NAMES) - {"units_2d_stream", "units_7d"}


def test_online_plan_without_a_batch_feature_leaves_redis_alone():
    for mode in ("auto", "always"):
        plan = plan_online(mode, 3 * DAY, 2 * DAY, [2 * DAY], batch_selected=False)
        assert plan == Plan(
            False, "not written: no batch feature selected (stream windows: history)", None
        )
    assert plan_online("never", 3 * DAY, None, [], batch_selected=False).reason == (
        "not written (--online never)"
    )


def test_write_rows_refuses_a_feature_that_is_not_online():
    redis = FakeRedis()
    online = frozenset({"units_sold"})
    rows = [("units_sold", "units_sold:{p1}", "5")]
    assert write_rows(redis, rows, 1, online=online) == {"units_sold.written": 1}
    # A stream window's key is the stream writer's hash of tiles: neither set nor deleted.
    for value in ("3", None):
        with pytest.raises(ValueError, match=r"purchases_1h:\{c1\}: purchases_1h is not written"):
            write_rows(redis, [("purchases_1h", "purchases_1h:{c1}", value)], 2, online=online)
    assert redis.data == {"units_sold:{p1}": "5", "units_sold:{p1}:ts": "1"}


# --- the computation, in a local Spark ------------------------------------------------------------

T = "2024-03-10T00:00:00Z"
EVENT_COLUMNS = (
    "event_id string, customer_id string, product_id string, category string,"
    " price decimal(10,2), quantity int, transaction_date timestamp, review_rating int,"
    " event_date date"
)
# (event_id, customer, product, category, price, quantity, event time, rating)
EVENTS = [
    ("e1", "c1", "p1", "A", "10.00", 2, "2024-03-09 12:00:00", 4),
    ("e2", "c1", "p1", "A", "5.50", 1, "2024-03-09 18:00:00", None),
    ("e3", "c2", "p1", "A", "3.25", 4, "2024-03-08 00:00:00", 2),
    ("e4", "c1", "p2", "B", "100.00", 1, "2024-03-01 00:00:00", 5),  # outside 7 days
    ("e5", "c2", "p2", "B", "1.10", 3, "2024-03-10 00:00:00", 3),  # T itself: in
    ("e6", "c1", "p1", "A", "7.00", 1, "2024-03-10 00:00:00.001", 1),  # after T: out
    ("e7", "c2", "p1", "A", "2.00", 1, "2024-03-03 00:00:00", 5),  # T − 7 days: out of 7 days
    ("e8", "c1", "p1", "A", "1.00", 1, "2024-03-09 18:00:00", None),  # e2's time, later id
    ("e9", "c3", "p1", "A", "4.00", 2, "2024-02-01 00:00:00", 1),  # outside 30 days
]

# Computed by hand from EVENTS and SMALL_FEATURES, as of T.
EXPECTED = {
    # latest ≤ T: c1 e8 (e2's time, greater id), c2 e5 (at T); c3 e9 (no window)
    "last_amount:{c1}": "1.00",
    "last_amount:{c2}": "3.30",
    "last_amount:{c3}": "8.00",
    # within 7 days: c3 has none
    "last_price_7d:{c1}": "1.00",
    "last_price_7d:{c2}": "1.10",
    # latest rated event of the pair
    "last_rating:{c1}_{p1}": "4",
    "last_rating:{c2}_{p1}": "2",
    "last_rating:{c1}_{p2}": "5",
    "last_rating:{c2}_{p2}": "3",
    "last_rating:{c3}_{p1}": "1",
    # 3 latest rated: p1 e1 4, e3 2, e7 5 (e9 older); p2 e5 3, e4 5
    "last3_rating_avg:{p1}": "3.6666666666666665",
    "last3_rating_avg:{p2}": "4",
    # 2 latest: p1 e8 1, e2 1; p2 e5 3, e4 1
    "last2_quantity_sum:{p1}": "2",
    "last2_quantity_sum:{p2}": "4",
    # 3 latest: A e8 1.00, e2 5.50, e1 10.00; B e5 1.10, e4 100.00
    "last3_price_min:{A}": "1.00",
    "last3_price_min:{B}": "1.10",
    # within 7 days, 3 latest: A e8, e2, e1; B e5 only
    "last3_price_max_7d:{A}": "10.00",
    "last3_price_max_7d:{B}": "1.10",
    # rated events among the 2 latest rated: c1 e1, e4; c2 e5, e3; c3 e9
    "last2_rated_count:{c1}": "2",
    "last2_rated_count:{c2}": "2",
    "last2_rated_count:{c3}": "1",
    # (03-03, 03-10]: p1 e1 2 + e2 1 + e3 4 + e8 1; p2 e5 3
    "units_7d:{p1}": "8",
    "units_7d:{p2}": "3",
    # (02-09, 03-10]: A 20.00 + 5.50 + 13.00 + 2.00 + 1.00; B 100.00 + 3.30
    "revenue_30d:{A}": "41.50",
    "revenue_30d:{B}": "103.30",
    "events_7d:{c1}_{p1}": "3",
    "events_7d:{c2}_{p1}": "1",
    "events_7d:{c2}_{p2}": "1",
    # rating >= 4 (NULL is not true): p1 e1, e7; p2 e4
    "good_reviews_30d:{p1}": "2",
    "good_reviews_30d:{p2}": "1",
    "avg_rating_30d:{p1}": "3.6666666666666665",
    "avg_rating_30d:{p2}": "4",
    "avg_amount_30d:{A}": "8.3",
    "avg_amount_30d:{B}": "51.65",
    "min_price_7d:{c1}": "1.00",
    "min_price_7d:{c2}": "1.10",
    "max_amount_7d:{c1}_{p1}": "20.00",
    "max_amount_7d:{c2}_{p1}": "13.00",
    "max_amount_7d:{c2}_{p2}": "3.30",
    # amount − price: A 41.50 − 21.75; B 103.30 − 101.10
    "margin_30d:{A}": "19.75",
    "margin_30d:{B}": "2.20",
    "half_units_7d:{p1}": "4",
    "half_units_7d:{p2}": "1.5",
    # Stream windows as of T, (T − W, T] exactly as the batch ones (e3 at T − 2 days: out).
    "units_2d_stream:{p1}": "4",
    "units_2d_stream:{p2}": "3",
    # rated in (03-09, 03-10]: c1 e1, c2 e5 (e2, e8 unrated)
    "rated_1d_stream:{c1}": "1",
    "rated_1d_stream:{c2}": "1",
    # (03-03, 03-10]: A 10.00, 5.50, 3.25, 1.00 (e7 at T − 7 days: out); B 1.10
    "avg_price_7d_stream:{A}": "4.9375",
    "avg_price_7d_stream:{B}": "1.1",
}


def lake(spark, name, events):
    """The events as the lake holds them: a table of Parquet files partitioned by event_date (a
    catalog table, as in production: the partitions a query reads are then its input files)."""
    rows = []
    for e in events:
        t = datetime.fromisoformat(e[6]).replace(tzinfo=UTC)
        rows.append((*e[:4], Decimal(e[4]), e[5], t, e[7], t.date()))
    df = spark.createDataFrame(rows, EVENT_COLUMNS)
    df.write.partitionBy("event_date").format("parquet").saveAsTable(name)
    return spark.table(name)


def computed(spark, raw, names=None, as_of=T, dedupe=False):
    defs = parse_definitions(small_export())
    features = select_features(defs, names)
    c = compute_features(raw, defs.sources["tx"], features, parse_as_of(as_of), dedupe)
    rows = c.features.collect()
    c.unpersist()
    assert len({r.key for r in rows}) == len(rows)
    return c, {r.key: r.value for r in rows}, rows


@pytest.fixture(scope="module")
def small_lake(spark):
    return lake(spark, "small_lake", EVENTS)


def test_every_aggregation_over_a_small_lake(spark, small_lake):
    raw = small_lake
    c, values, rows = computed(spark, raw)
    assert values == EXPECTED
    # Unbounded read (last_amount has no window): every partition up to T's date, events ≤ T.
    assert (c.rows_read, c.partitions_read) == (8, 6)
    by_key = {r.key: r for r in rows}
    assert by_key["events_7d:{c2}_{p1}"].asDict() == {
        "entity": "customer_product",
        "entity_id": "c2:p1",
        "feature": "events_7d",
        "key": "events_7d:{c2}_{p1}",
        "value": "1",
    }
    assert (by_key["revenue_30d:{A}"].entity, by_key["revenue_30d:{A}"].entity_id) == (
        "category",
        "A",
    )


def test_windowed_features_read_only_their_partitions(spark, small_lake):
    raw = small_lake
    c, values, _ = computed(spark, raw, ["units_7d", "revenue_30d", "avg_amount_30d"])
    assert values == {
        k: v
        for k, v in EXPECTED.items()
        if k.split(":")[0] in ("units_7d", "revenue_30d", "avg_amount_30d")
    }
    # (02-09, 03-10]: the dates 02-09 … 03-10 can hold it; the lake has 5 of them (not 02-01).
    assert (c.rows_read, c.partitions_read) == (7, 5)
    # A window without events: no key at all (a count neither).
    c, values, _ = computed(spark, raw, ["events_7d", "units_7d"], as_of="2024-05-01T00:00:00Z")
    assert (values, c.rows_read, c.partitions_read) == ({}, 0, 0)


def test_stream_windows_alone_read_only_their_partitions(spark, small_lake):
    c, values, rows = computed(spark, small_lake, STREAM_WINDOWS)
    assert values == {k: v for k, v in EXPECTED.items() if k.split(":")[0] in STREAM_WINDOWS}
    # (03-03, 03-10]: the dates 03-03 … 03-10, 4 of them in the lake; e1 e2 e3 e5 e8 in (e7 at
    # the open start, e6 after T).
    assert (c.rows_read, c.partitions_read) == (5, 4)
    by_key = {r.key: r for r in rows}
    assert (by_key["rated_1d_stream:{c2}"].entity, by_key["rated_1d_stream:{c2}"].entity_id) == (
        "customer",
        "c2",
    )


def test_redis_gets_the_batch_features_only(spark):
    defs = parse_definitions(small_export())
    columns = "entity string, entity_id string, feature string, key string, value string"
    snapshot = spark.createDataFrame(
        [
            ("product", "p1", "units_7d", "units_7d:{p1}", "8"),
            ("product", "p1", "units_2d_stream", "units_2d_stream:{p1}", "4"),
            ("customer", "c1", "rated_1d_stream", "rated_1d_stream:{c1}", "1"),
        ],
        columns,
    )
    # The snapshot Redis holds: a stream window's rows in it are history only.
    previous = spark.createDataFrame(
        [
            ("product", "p1", "units_7d", "units_7d:{p1}", "7"),
            ("product", "p9", "units_7d", "units_7d:{p9}", "1"),
            ("product", "p9", "units_2d_stream", "units_2d_stream:{p9}", "2"),
            ("customer", "c9", "last_rating_stream", "last_rating_stream:{c9}", "5"),
        ],
        columns,
    )
    online, deletions = online_changes(snapshot, previous, defs)
    assert sorted(tuple(r) for r in online.collect()) == [("units_7d", "units_7d:{p1}", "8")]
    assert sorted(tuple(r) for r in deletions.collect()) == [("units_7d", "units_7d:{p9}", None)]


def test_an_event_id_counts_once_with_dedupe(spark):
    raw = lake(spark, "redelivered", [*EVENTS, EVENTS[2], EVENTS[0]])
    _, values, _ = computed(spark, raw, ["units_7d", "events_7d"], dedupe=True)
    assert values == {
        k: v for k, v in EXPECTED.items() if k.split(":")[0] in ("units_7d", "events_7d")
    }


def test_features_of_the_same_values_share_a_value_column(spark, small_lake):
    """revenue_30d and avg_amount_30d sum the same amounts, min and max_amount_7d reduce the
    same values: one value column each, and a min and a max of one column do not collide."""
    data = small_export()
    data["features"].append(
        feat(
            "min_amount_7d",
            "customer_product",
            PAIR,
            "min",
            "decimal",
            "`amount`",
            "decimal(21,2)",
            window_days=7,
        )
    )
    defs = parse_definitions(data)
    names = ["revenue_30d", "avg_amount_30d", "max_amount_7d", "min_amount_7d", "units_7d"]
    features = select_features(defs, names)
    assert [f.name for f in features] == names
    assert value_slots(features) == [0, 0, 2, 2, 4]
    c = compute_features(small_lake, defs.sources["tx"], features, parse_as_of(T))
    values = {r.key: r.value for r in c.features.collect()}
    c.unpersist()
    expected = {k: v for k, v in EXPECTED.items() if k.split(":")[0] in names}
    # (03-03, 03-10]: c1 p1 e1 20.00, e2 5.50, e8 1.00; c2 p1 e3 13.00; c2 p2 e5 3.30
    expected |= {
        "min_amount_7d:{c1}_{p1}": "1.00",
        "min_amount_7d:{c2}_{p1}": "13.00",
        "min_amount_7d:{c2}_{p2}": "3.30",
    }
    assert values == expected
