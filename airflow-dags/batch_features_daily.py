"""Computes every batch feature of the definitions (features/) once a day, through the control
plane.

For each data interval the DAG asks the control plane (HTTP connection `fstore_control`; the
local stack sets AIRFLOW_CONN_FSTORE_CONTROL with its operator API key as the password) to run
the PySpark job `spark-jobs/batch_features.py` as of the interval's end (the control plane adds
`--definitions`, the export of its definitions) — T = data_interval_end, windows ending at T (the
seed's: (T − 30 days, T]); with Airflow 3's cron trigger timetable that is the run's logical date:
the run of 2024-02-05 computes as of 2024-02-05T00:00, the end of 02-04 — and waits for the
run's outcome. The control plane submits the run to Livy, retries Livy's transient failures and
keeps the run's record (state, timings, log tail).

One task, `run` (fstore_control.ControlPlaneRunSensor): asks for the run POST
/v1/jobs/batch-features/runs {as_of, args} (registering the job `batch-features` first if the
control plane does not know it) with an Idempotency-Key made of the DAG run and the task (a
retried task waits for the run it started rather than starting a second one; clearing the task
starts a new run), then waits for the run's operation in `reschedule` mode (or deferred to the
triggerer): no worker slot is held while Spark runs. The task logs the run's log tail and returns
the run record (state, Livy batch id, timings); a run that fails in Spark fails the task at once
with the control plane's error (no retry); HTTP failures are retried 3 times.

Scheduling: `@daily` (a cron trigger timetable), switched on by the local stack
(FSTORE_AIRFLOW_UNPAUSED_DAGS). Catch-up is off: when the scheduler starts (or the DAG is switched
on) it creates one run, for the last complete day (logical date = today 00:00 UTC, as of that
time), not one per day since `start_date`; then one run each midnight. Missed or older days are
run with a backfill — `airflow backfill create --dag-id batch_features_daily --from-date
2024-02-03 --to-date 2024-02-05` (both ends inclusive: three runs), or the UI's "Backfill" — which
the scheduler runs one day at a time (max_active_runs=1), oldest first; re-running a day gives the
same features (the job overwrites that as-of snapshot). A run fails, with the control plane's
error, while the raw table does not exist yet (load raw events first). Params: `args`, more
arguments for the job (e.g. `["--table", "db.table"]`; only those the control plane declares for
the job).
"""

from datetime import datetime, timedelta

from airflow.sdk import Param, dag
from fstore_control import ControlPlaneRunSensor


def run_args(context, jinja_env=None) -> list[str]:
    """The job's arguments: the run's `args` param (the control plane adds --as-of)."""
    params = context["params"]
    return list(params["args"])


@dag(
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["fstore", "batch", "control-plane"],
    default_args={"retries": 3, "retry_delay": timedelta(minutes=1)},
    params={"args": Param([], type="array", items={"type": "string"})},
    doc_md=__doc__,
)
def batch_features_daily():
    ControlPlaneRunSensor(
        task_id="run",
        job="batch-features",
        source="spark-jobs/batch_features.py",
        as_of="{{ data_interval_end.isoformat() }}",
        args=run_args,
        timeout=timedelta(hours=3),
    )


batch_features_daily()
