"""Unit tests of the pure parts of batch_features (no Spark, no Redis)."""

import json
import random
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from batch_features import (
    BATCH_FEATURES,
    SET_IF_NEWER,
    Plan,
    default_nodes,
    epoch_ms,
    event_time_key,
    feature_key,
    format_double,
    iso_ms,
    parse_args,
    parse_as_of,
    parse_nodes,
    parse_snapshot,
    plan_online,
    read_password,
    window_of,
    write_rows,
)

ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400_000


def test_batch_features_mirror_the_contracts():
    text = (ROOT / "libs" / "contracts" / "src" / "features.ts").read_text()
    pattern = (
        r"name: '(\w+)',\s*entity: '(\w+)',\s*engine: 'batch',\s*type: '(\w+)',"
        r"[^}]*?producedBy: 'spark-jobs/batch_features.py'"
    )
    declared = sorted(re.findall(pattern, text, re.S))
    assert declared == sorted((f.name, f.entity, f.type) for f in BATCH_FEATURES)
    assert len(declared) == 4


def test_write_script_is_the_online_stores():
    text = (ROOT / "libs" / "online-store" / "src" / "online-store.ts").read_text()
    m = re.search(r"const SET_IF_NEWER = `(.*?)`;", text, re.S)
    assert m, "SET_IF_NEWER not found in libs/online-store/src/online-store.ts"
    assert SET_IF_NEWER == m.group(1)


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


def test_window_is_30_days_and_names_the_partitions_that_can_hold_it():
    w = window_of(parse_as_of("2024-03-31T00:00:00Z"))
    assert w.start == datetime(2024, 3, 1, tzinfo=UTC)
    # (03-01 00:00, 03-31 00:00]: an event at 03-31 00:00:00 is in, on the date 03-31.
    assert (w.first_date, w.last_date) == (date(2024, 3, 1), date(2024, 3, 31))
    w = window_of(parse_as_of("2024-03-31T13:00:00Z"))
    assert (w.first_date, w.last_date) == (date(2024, 3, 1), date(2024, 3, 31))
    assert epoch_ms(w.end) - epoch_ms(w.start) == 30 * DAY


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
    env_file.write_text("FSTORE_PG_PASSWORD=pg\nFSTORE_REDIS_PASSWORD=from-env-file\n")
    plain = tmp_path / "redis-password"
    plain.write_text("plain-secret\n")
    assert read_password({"FSTORE_REDIS_PASSWORD": "from-env"}, str(env_file)) == "from-env"
    assert read_password({}, str(env_file)) == "from-env-file"
    assert read_password({}, str(plain)) == "plain-secret"
    assert read_password({}, None) is None
    other = tmp_path / "other.env"
    other.write_text("A=1\nB=2\n")
    with pytest.raises(ValueError, match="FSTORE_REDIS_PASSWORD"):
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
    args = parse_args(
        ["--as-of", "2024-03-02", "--as-of", "2024-03-01", "--redis-password-file", str(secret)],
        env={},
    )
    assert args.table == "ecommerce.transactions"
    assert args.history_table == "features.batch_feature_history"
    assert args.as_of == [datetime(2024, 3, 2, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)]
    assert args.password == "s3cret" and args.online == "auto" and not args.dedupe
    assert parse_args(["--as-of", "2024-03-01"], env={"FSTORE_REDIS_PASSWORD": "e"}).password == "e"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--as-of", "soon"],
        ["--as-of", "2024-03-01", "--table", "no_database"],
        ["--as-of", "2024-03-01", "--redis-nodes", "host-without-port"],
        ["--as-of", "2024-03-01", "--write-partitions", "0"],
    ],
)
def test_bad_args_exit(argv, capsys):
    with pytest.raises(SystemExit):
        parse_args(argv, env={})
    assert "error" in capsys.readouterr().err
