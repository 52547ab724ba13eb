"""Bulk-loads one file of raw events into the Hive raw table `ecommerce.transactions`.

Runs spark-jobs/load_raw_events.py as a Livy batch (connection `livy_default`; the local stack
sets AIRFLOW_CONN_LIVY_DEFAULT) with the run's parameters, waits for it and fails when the batch
ends `dead` or `killed`, with the batch's log in the task log. Triggered by hand or by an upstream
DAG; loading the same file twice changes nothing (the job dedupes on event_id).

Parameters: `input` (a path Spark can read), `table` (database.table), `job` (the job file, which
must be inside Livy's whitelisted job folder).
"""

from datetime import datetime
from pathlib import Path

from airflow.sdk import Param, dag, task

JOB = str(Path(__file__).resolve().parent.parent / "spark-jobs" / "load_raw_events.py")


@dag(
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["fstore", "batch", "livy"],
    params={
        "input": Param("/data/ecommerce_transactions.csv", type="string"),
        "table": Param("ecommerce.transactions", type="string", pattern=r"^\w+\.\w+$"),
        "job": Param(JOB, type="string"),
    },
    doc_md=__doc__,
)
def raw_events_bulk_load():
    @task
    def load(params: dict | None = None) -> int:
        import time

        from airflow.providers.apache.livy.hooks.livy import BatchState, LivyHook

        hook = LivyHook(livy_conn_id="livy_default")
        batch_id = hook.post_batch(
            file=params["job"],
            args=["--input", params["input"], "--table", params["table"]],
            name=f"raw_events_bulk_load {params['input']}",
        )
        while (state := hook.get_batch_state(batch_id)) not in hook.TERMINAL_STATES:
            time.sleep(10)
        hook.dump_batch_logs(batch_id)  # into the task log
        if state != BatchState.SUCCESS:
            raise RuntimeError(f"Livy batch {batch_id} ended {state.value}")
        return batch_id

    load()


raw_events_bulk_load()
