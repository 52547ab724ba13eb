"""Computes every batch feature of the definitions (features/) once a day, through the control
plane.

For each data interval the DAG asks the control plane (HTTP connection `fstore_control`; the
local stack sets AIRFLOW_CONN_FSTORE_CONTROL with its operator API key as the password) to run
the PySpark job `spark-jobs/batch_features.py` as of the interval's end (the control plane adds
`--definitions`, the export of its definitions) — T = data_interval_end, windows ending at T (the
seed's: (T − 30 days, T]); with Airflow 3's cron trigger timetable that is the run's logical date:
the run of 2024-02-05 computes as of 2024-02-05T00:00, the end of 02-04 — and waits for the
run's outcome. The control plane submits the run to
Livy, retries Livy's transient failures and keeps the run's record (state, timings, log tail).

- `register_job`: registers the job `batch-features` with the control plane if it does not know
  it yet (a second registration of the same name is a 409 and counts as done).
- `trigger_run`: POST /v1/jobs/batch-features/runs {as_of, args}; the Idempotency-Key is the DAG
  run and try, so a request repeated by the HTTP layer starts one run, a task retry a new one.
- `wait_for_run`: polls the operation until it ends; a failed run fails the task at once, without
  retries, with the control plane's error (the Spark log is in the run record).
- `report`: prints the run record (state, Livy batch id, timings) and its log tail.

Catch-up is on: a DAG switched on late (or `airflow backfill create --dag-id batch_features_daily
--from-date … --to-date …`) runs every missed day, one at a time, oldest first; re-running a day
gives the same features (the job overwrites that as-of snapshot). Params: `args`, more arguments
for the job (e.g. `["--table", "db.table"]`).
"""

import json
from datetime import datetime, timedelta

from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.http.sensors.http import HttpSensor
from airflow.sdk import Param, dag, task
from airflow.sdk.exceptions import AirflowFailException

CONNECTION = "fstore_control"
JOB = "batch-features"
SOURCE = "spark-jobs/batch_features.py"
AUTH = {"Authorization": "Bearer {{ conn.fstore_control.password }}"}


def _operation_done(response) -> bool:
    """True when the run's operation succeeded; a failed one ends the task without a retry."""
    operation = response.json()
    if operation["status"] == "failed":
        raise AirflowFailException(
            f"batch run {operation['target']} failed: {operation['error']} "
            f"(GET /v1/{operation['target'].replace(':', 's/', 1)} has its log)"
        )
    return operation["status"] == "succeeded"


@dag(
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=True,
    max_active_runs=1,
    tags=["fstore", "batch", "control-plane"],
    default_args={"retries": 3, "retry_delay": timedelta(minutes=1)},
    params={"args": Param([], type="array", items={"type": "string"})},
    doc_md=__doc__,
)
def batch_features_daily():
    @task(execution_timeout=timedelta(minutes=2))
    def register_job() -> str:
        from airflow.providers.http.hooks.http import HttpHook

        hook = HttpHook(method="POST", http_conn_id=CONNECTION)
        key = hook.get_connection(CONNECTION).password
        response = hook.run(
            "/v1/jobs",
            data=json.dumps({"name": JOB, "kind": "pyspark", "source": SOURCE}),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            extra_options={"timeout": 30, "check_response": False},
        )
        if response.status_code == 409:
            print(f"job {JOB} is registered already")
        elif response.status_code == 201:
            print(f"job {JOB} registered: {response.json()}")
        else:
            raise RuntimeError(f"registering {JOB}: {response.status_code} {response.text}")
        return JOB

    trigger_run = HttpOperator(
        task_id="trigger_run",
        http_conn_id=CONNECTION,
        method="POST",
        endpoint=f"/v1/jobs/{JOB}/runs",
        data=(
            '{"as_of": "{{ data_interval_end.isoformat() }}", "args": {{ params.args | tojson }}}'
        ),
        headers={
            **AUTH,
            "Content-Type": "application/json",
            "Idempotency-Key": "{{ dag.dag_id }}/{{ run_id }}/{{ ti.try_number }}",
        },
        response_check=lambda response: response.status_code == 202,
        response_filter=lambda response: response.json()["operation_id"],
        log_response=True,
        execution_timeout=timedelta(minutes=2),
    )

    wait_for_run = HttpSensor(
        task_id="wait_for_run",
        http_conn_id=CONNECTION,
        method="GET",
        endpoint="/v1/operations/{{ ti.xcom_pull(task_ids='trigger_run') }}",
        headers=AUTH,
        response_check=_operation_done,
        poke_interval=10,
        timeout=3 * 3600,
        mode="reschedule",
    )

    @task(execution_timeout=timedelta(minutes=2))
    def report(operation_id: str) -> dict:
        from airflow.providers.http.hooks.http import HttpHook

        hook = HttpHook(method="GET", http_conn_id=CONNECTION)
        auth = {"Authorization": f"Bearer {hook.get_connection(CONNECTION).password}"}
        operation = hook.run(f"/v1/operations/{operation_id}", headers=auth).json()
        run_id = operation["target"].removeprefix("run:")
        run = hook.run(f"/v1/runs/{run_id}", headers=auth).json()
        print(f"--- log tail of Livy batch {run['livy_batch_id']} ---\n{run.get('log_tail', '')}")
        if run["state"] != "success":
            raise AirflowFailException(f"batch run {run_id} ended {run['state']}")
        summary = {k: run[k] for k in ("id", "state", "as_of", "livy_batch_id", "started_at")}
        summary["finished_at"] = run["finished_at"]
        print(f"batch run {run_id}: {json.dumps(summary)}")
        return summary

    register_job() >> trigger_run >> wait_for_run >> report(trigger_run.output)


batch_features_daily()
