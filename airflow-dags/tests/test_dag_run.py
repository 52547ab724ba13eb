"""Runs DAGs once with `airflow dags test` against real HTTP endpoints this test starts.

feature_server_health calls a small stand-in feature server (so the run does not depend on the
feature server being up; AIRFLOW_CONN_FSTORE_SERVING, as the local stack sets it);
raw_events_bulk_load calls a stand-in control plane (dag_harness.ControlPlane, through
AIRFLOW_CONN_FSTORE_CONTROL): the run's arguments and Idempotency-Key, success with the job's
summary, a failed run failing the task with the control plane's error, no call to Livy.
"""

import json
import re

import pytest
from dag_harness import ControlPlane, JsonHandler, dags_test, http_server

pytest.importorskip(
    "airflow", reason="runs in Airflow's own venv (see apps/cli/src/test-command.ts)"
)


class _Health(JsonHandler):
    status = "healthy"
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).requests.append(self.path)
        code, body = (
            (200, {"status": type(self).status}) if self.path == "/api/health-check" else (404, {})
        )
        self.send_json(code, body)


@pytest.fixture
def endpoint():
    _Health.requests = []
    with http_server(_Health) as address:
        yield address


def test_health_dag_calls_the_endpoint_and_succeeds(endpoint):
    _Health.status = "healthy"
    res = dags_test("feature_server_health", "fstore_serving", endpoint)
    output = res.stdout + res.stderr
    assert res.returncode == 0, output[-4000:]
    assert _Health.requests == ["/api/health-check"]
    assert "success" in output.lower()


LOAD = {"read": 3, "loaded": 2, "duplicates": 0, "rejected": 1}


@pytest.fixture
def control():
    ControlPlane.reset(polls_running=0, log_tail="stdout: \nLOAD_SUMMARY " + json.dumps(LOAD))
    with http_server(ControlPlane) as address:
        yield address


def test_bulk_load_runs_through_the_control_plane_with_a_landing_file(control):
    conf = {"input": "2024/events.ndjson", "format": "ndjson", "table": "lake.raw"}
    res = dags_test("raw_events_bulk_load", "fstore_control", control, conf, password="test-key")
    output = res.stdout + res.stderr
    assert res.returncode == 0, output[-4000:]
    assert ControlPlane.jobs["load-raw-events"]["source"] == "spark-jobs/load_raw_events.py"
    runs = ControlPlane.runs_requested()
    assert {path for path, _, _ in runs} == {"/v1/jobs/load-raw-events/runs"}
    assert {key for _, key, _ in runs} == {runs[0][1]}
    assert runs[0][1].startswith("airflow/raw_events_bulk_load/manual__")
    assert runs[0][1].endswith("/load/0")
    args = ["--input", "2024/events.ndjson", "--table", "lake.raw", "--format", "ndjson"]
    assert [body for _, _, body in runs][-1] == {"args": args}
    assert json.dumps(LOAD) in output
    assert all(path.startswith("/v1/") for _, path, _, _ in ControlPlane.requests)


def test_bulk_load_fails_with_the_control_plane_error(control):
    ControlPlane.final = "failed"
    res = dags_test("raw_events_bulk_load", "fstore_control", control, password="test-key")
    output = res.stdout + res.stderr
    assert res.returncode != 0, output[-4000:]
    assert re.search(r"batch run run:[0-9a-f-]+ failed: batch 7 ended dead", output)
    assert len(ControlPlane.operations) == 1


CONSISTENCY = {"reads": 4, "features": {"last_purchase_amount": {"reads": 4, "inconsistent": 0}}}


def test_consistency_daily_runs_the_day_before_through_the_control_plane():
    ControlPlane.reset(
        polls_running=0, log_tail="stdout: \nCONSISTENCY_SUMMARY " + json.dumps(CONSISTENCY)
    )
    with http_server(ControlPlane) as address:
        res = dags_test("consistency_daily", "fstore_control", address, password="test-key")
    output = res.stdout + res.stderr
    assert res.returncode == 0, output[-4000:]
    assert ControlPlane.jobs["consistency"]["source"] == "spark-jobs/consistency.py"
    runs = ControlPlane.runs_requested()
    assert {path for path, _, _ in runs} == {"/v1/jobs/consistency/runs"}
    # `airflow dags test … 2024-06-01`: the day that ends at the logical date.
    args = ["--since", "2024-05-31T00:00:00Z", "--until", "2024-06-01T00:00:00Z"]
    assert [body for _, _, body in runs][-1] == {"args": args}
    assert json.dumps(CONSISTENCY) in output
