"""Measures online/offline consistency once a day, through the control plane (docs/consistency.md).

For each day the DAG asks the control plane (HTTP connection `fstore_control`, as the other
DAGs) to run the PySpark job `spark-jobs/consistency.py` (job `consistency`, registered on first
use) over the reads the feature server logged that day (FSTORE_SERVING_LOG_SAMPLE_RATE > 0; the
topic fstore.serving-log): `--since` the start of the day, `--until` its end. With Airflow 3's
cron trigger timetable the run's logical date is the end of the day it measures: the run of
2024-06-02 (logical date 2024-06-02T00:00Z) reports on the reads of 2024-06-01. The job recomputes
each read point in time from the lake (training_set.py's functions) and prints per feature reads,
consistent, inconsistent, not yet processed and the share inconsistent; the control plane keeps
that summary with the run (GET /v1/runs/{id}.summary) and exports the last successful run's as
`fstore_consistency_inconsistent_ratio{feature}`.

One task, `report` (fstore_control.ControlPlaneRunSensor: an Idempotency-Key per DAG run and
task, the wait deferred to the triggerer or rescheduled: no worker slot held while Spark runs;
the run's failure fails the task at once with the control plane's error). Scheduling: `@daily`,
catch-up off (one run for the last complete day when switched on, then one each midnight; older
days with `airflow backfill create`), one run at a time. Params: `args`, more arguments for the
job (e.g. `["--features", "last_purchase_amount"]`; only those the control plane declares).
"""

from datetime import datetime, timedelta

from airflow.sdk import Param, dag
from fstore_control import ControlPlaneRunSensor

SUMMARY = "CONSISTENCY_SUMMARY "


def _iso(t) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def window_args(end: datetime) -> list[str]:
    """The day that ends at `end` (a UTC time): --since end − 1 day, --until end."""
    return ["--since", _iso(end - timedelta(days=1)), "--until", _iso(end)]


def run_args(context, jinja_env=None) -> list[str]:
    """The day before the run's logical date, then the `args` param."""
    return window_args(context["logical_date"]) + list(context["params"]["args"])


@dag(
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["fstore", "batch", "control-plane", "consistency"],
    default_args={"retries": 3, "retry_delay": timedelta(minutes=1)},
    params={"args": Param([], type="array", items={"type": "string"})},
    doc_md=__doc__,
)
def consistency_daily():
    ControlPlaneRunSensor(
        task_id="report",
        job="consistency",
        source="spark-jobs/consistency.py",
        args=run_args,
        summary_prefix=SUMMARY,
        timeout=timedelta(hours=3),
    )


consistency_daily()
