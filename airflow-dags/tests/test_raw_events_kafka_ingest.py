"""Runs raw_events_kafka_ingest with `airflow dags test` against a stand-in control plane.

The stand-in (dag_harness.ControlPlane, started here) answers the control plane's jobs, runs and
operations API; the DAG finds it through the same AIRFLOW_CONN_FSTORE_CONTROL variable the local
stack sets. Checked: the job's registration, the run's arguments and Idempotency-Key, the wait
(reschedule mode, and deferred to a trigger run in line), the summary from the run's log tail,
a failed run failing the task with the control plane's error, and no call to Livy. The real job
through the real Livy is test/batch/ingest-kafka-to-lake.medium-spec.ts.
"""

import json
import re

import pytest
from dag_harness import ControlPlane, dags_test, http_server

pytest.importorskip(
    "airflow", reason="runs in Airflow's own venv (see apps/cli/src/test-command.ts)"
)

DAG = "raw_events_kafka_ingest"
SUMMARY = {"run_id": "r1", "read": 7, "loaded": 5, "duplicates_in_batch": 1, "rejected": 1}
LOG = "stdout: \nINGEST_SUMMARY " + json.dumps(SUMMARY) + "\n\nstderr: "
KEY = re.compile(rf"^airflow/{DAG}/manual__[^/]+/ingest/0$")


@pytest.fixture
def control():
    ControlPlane.reset(log_tail=LOG)
    with http_server(ControlPlane) as address:
        yield address


def run(control, **kwargs):
    res = dags_test(DAG, "fstore_control", control, password="test-key", **kwargs)
    return res, res.stdout + res.stderr


def assert_no_livy_call():
    paths = [path for _, path, _, _ in ControlPlane.requests]
    assert all(p.startswith("/v1/") for p in paths), paths


def test_runs_the_ingestion_through_the_control_plane_and_returns_its_summary(control):
    res, output = run(control)
    assert res.returncode == 0, output[-4000:]
    assert ControlPlane.jobs == {
        "ingest-kafka-to-lake": {
            "name": "ingest-kafka-to-lake",
            "kind": "pyspark",
            "source": "spark-jobs/ingest_kafka_to_lake.py",
        }
    }
    runs = ControlPlane.runs_requested()
    # The first request finds no job (404), registers it and asks again; the poke after the
    # reschedule asks once more with the same key and gets the same run back.
    assert len(runs) == 3, runs
    assert {path for path, _, _ in runs} == {"/v1/jobs/ingest-kafka-to-lake/runs"}
    assert len({key for _, key, _ in runs}) == 1 and KEY.match(runs[0][1]), runs
    default = "ecommerce.transactions"
    assert {json.dumps(body) for _, _, body in runs} == {
        json.dumps({"args": ["--topic", default, "--table", default]})
    }
    assert len(ControlPlane.operations) == 1  # one Spark run
    assert "INGEST_SUMMARY" in output  # the run's log tail is in the task log
    assert json.dumps(SUMMARY) in output  # the summary, returned
    assert_no_livy_call()


def test_deferred_to_the_trigger(control):
    ControlPlane.polls_running = 2
    res, output = run(control, env={"AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True"})
    assert res.returncode == 0, output[-4000:]
    assert "running trigger in line" in output
    assert len(ControlPlane.operations) == 1
    [op] = ControlPlane.operations.values()
    assert op["reads"] >= 3  # read by the task, then polled by the trigger until it ended
    assert json.dumps(SUMMARY) in output
    assert_no_livy_call()


def test_a_failed_run_fails_the_task_with_the_control_plane_error(control):
    ControlPlane.final = "failed"
    ControlPlane.log_tail = "stdout: \nTraceback: no such table lake.raw\n\nstderr: "
    res, output = run(control, conf={"table": "lake.raw", "max_per_partition": 1000})
    assert res.returncode != 0, output[-4000:]
    [body] = {json.dumps(body) for _, _, body in ControlPlane.runs_requested()}
    assert json.loads(body)["args"] == [
        "--topic",
        "ecommerce.transactions",
        "--table",
        "lake.raw",
        "--max-per-partition",
        "1000",
    ]
    assert re.search(r"batch run run:[0-9a-f-]+ failed: batch 7 ended dead", output), output[-4000:]
    assert "run failed, Livy batch 7 dead" in output
    assert "no such table lake.raw" in output  # the end of the log, in the error
    assert len(ControlPlane.operations) == 1  # no retry, no second run
    assert_no_livy_call()
