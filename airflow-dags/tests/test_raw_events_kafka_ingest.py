"""Runs raw_events_kafka_ingest once with `airflow dags test` against a stand-in Livy server.

The stand-in (started here) answers Livy's batch API like Livy does: it records the submitted
batch, reports the state the test chose and serves a log with the job's summary line; the DAG
finds it through the same AIRFLOW_CONN_LIVY_DEFAULT variable the local stack sets. The real job
through the real Livy is test/batch/ingest-kafka-to-lake.medium-spec.ts.
"""

import json

import pytest
from conftest import JsonHandler, dags_test, http_server

pytest.importorskip(
    "airflow", reason="runs in Airflow's own venv (see apps/cli/src/test-command.ts)"
)

DAG = "raw_events_kafka_ingest"
SUMMARY = {"run_id": "r1", "read": 7, "loaded": 5, "duplicates_in_batch": 1, "rejected": 1}


class _Livy(JsonHandler):
    final_state = "success"
    submitted: list[dict] = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        type(self).submitted.append(json.loads(self.rfile.read(length)))
        self.send_json(201, {"id": 7, "state": "starting", "appInfo": {}, "log": []})

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/batches/7/state"):
            self.send_json(200, {"id": 7, "state": type(self).final_state})
        elif self.path.startswith("/batches/7/log"):
            log = ["stdout: ", "INGEST_SUMMARY " + json.dumps(SUMMARY), "\nstderr: "]
            self.send_json(200, {"id": 7, "from": 0, "total": len(log), "log": log})
        elif self.path.startswith("/batches/7"):
            self.send_json(200, {"id": 7, "state": type(self).final_state})
        else:
            self.send_json(404, {"msg": "not found"})


@pytest.fixture
def livy():
    _Livy.submitted = []
    with http_server(_Livy) as address:
        yield address


def test_submits_the_ingestion_job_and_returns_its_summary(livy):
    _Livy.final_state = "success"
    res = dags_test(DAG, "livy_default", livy)
    output = res.stdout + res.stderr
    assert res.returncode == 0, output[-4000:]
    [batch] = _Livy.submitted
    assert batch["file"].endswith("/spark-jobs/ingest_kafka_to_lake.py")
    default = "ecommerce.transactions"
    assert batch["args"] == ["--topic", default, "--table", default]
    assert batch["name"].startswith("raw_events_kafka_ingest ecommerce.transactions ")
    assert "INGEST_SUMMARY" in output  # the batch's log is in the task log
    assert "success" in output.lower()


def test_a_dead_batch_fails_the_run(livy):
    _Livy.final_state = "dead"
    res = dags_test(
        DAG, "livy_default", livy, conf={"table": "lake.raw", "max_per_partition": 1000}
    )
    output = res.stdout + res.stderr
    assert res.returncode != 0, output[-4000:]
    [batch] = _Livy.submitted
    assert batch["args"][2:] == ["--table", "lake.raw", "--max-per-partition", "1000"]
    assert "Livy batch 7 ended dead" in output
