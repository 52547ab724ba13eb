"""Bulk-loads one file of raw events into the Hive raw table `ecommerce.transactions`.

Asks the control plane (connection `fstore_control`; the local stack sets
AIRFLOW_CONN_FSTORE_CONTROL) to run spark-jobs/load_raw_events.py (job `load-raw-events`, registered
if the control plane does not know it yet) with the run's parameters, and waits for the run
(fstore_control.ControlPlaneRunSensor, in `reschedule` mode or deferred to the triggerer: no worker
slot is held while Spark runs). A failed run fails the task at once with the control plane's error,
the run's state and the end of its log; the task's return value is the run record with the job's
`LOAD_SUMMARY` (read, loaded, duplicates, rejected) when it is in the run's log tail. The
Idempotency-Key is the DAG run and the task: a retried task waits for the run it started. Triggered
by hand or by an upstream DAG; loading the same file twice changes nothing (the job dedupes on
event_id).

Parameters:
- `input`: the file to load, inside the control plane's landing folder
  (FSTORE_CONTROL_LANDING_DIR, default `<stack>/data/landing`): a path relative to it (e.g.
  `ecommerce_transactions.csv`) or an absolute path inside it; the control plane refuses any
  other path (`..`, URLs, symbolic links out of it) with a 400, which fails the task.
- `format`: `csv` or `ndjson` (default: from the file's name).
- `table` (database.table), `rejects_table` (default `<table>_rejects`), `source_name` (the name
  event ids are derived from when the file has none; default the file's base name).
"""

from datetime import datetime, timedelta

from airflow.sdk import Param, dag
from fstore_control import ControlPlaneRunSensor

TABLE = r"^\w+\.\w+$"


def run_args(context, jinja_env=None) -> list[str]:
    """The job's arguments from the DAG run's params (only those the control plane declares)."""
    params = context["params"]
    args = ["--input", params["input"], "--table", params["table"]]
    for option, name in (
        ("--format", "format"),
        ("--rejects-table", "rejects_table"),
        ("--source-name", "source_name"),
    ):
        if params.get(name):
            args += [option, params[name]]
    return args


@dag(
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["fstore", "batch", "control-plane"],
    default_args={"retries": 3, "retry_delay": timedelta(minutes=1)},
    params={
        "input": Param("ecommerce_transactions.csv", type="string", minLength=1),
        "format": Param(None, type=["null", "string"], enum=[None, "csv", "ndjson"]),
        "table": Param("ecommerce.transactions", type="string", pattern=TABLE),
        "rejects_table": Param(None, type=["null", "string"], pattern=TABLE),
        "source_name": Param(None, type=["null", "string"]),
    },
    doc_md=__doc__,
)
def raw_events_bulk_load():
    ControlPlaneRunSensor(
        task_id="load",
        job="load-raw-events",
        source="spark-jobs/load_raw_events.py",
        args=run_args,
        summary_prefix="LOAD_SUMMARY ",
        timeout=timedelta(hours=3),
    )


raw_events_bulk_load()
