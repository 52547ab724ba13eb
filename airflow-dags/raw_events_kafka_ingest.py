"""Ingests the raw events published to Kafka into the Hive raw table, every 15 minutes.

Runs spark-jobs/ingest_kafka_to_lake.py as a Livy batch (connection `livy_default`; the local
stack sets AIRFLOW_CONN_LIVY_DEFAULT), waits for it and fails when the batch ends `dead` or
`killed`, with the batch's log in the task log; the run's summary (offsets read per partition,
read, loaded, duplicates, rejected) is the task's return value.

Each run reads the topic from where the last recorded run stopped up to its end at the start of
the run, into the table the bulk loader fills, each event_id once. A failed run records no offsets:
the next one reads its range again and skips what it had written. Runs never overlap
(max_active_runs=1): two writers of one table at once could both add the same event.

Parameters: `topic`, `table` (database.table), `max_per_partition` (messages a run reads at most
per partition, to work off a backlog in several runs; default: all), `job` (the job file, inside
Livy's whitelisted job folder).
"""

from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import Param, dag, task

JOB = str(Path(__file__).resolve().parent.parent / "spark-jobs" / "ingest_kafka_to_lake.py")
SUMMARY = "INGEST_SUMMARY "


@dag(
    schedule=timedelta(minutes=15),
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    tags=["fstore", "batch", "livy", "kafka"],
    params={
        "topic": Param("ecommerce.transactions", type="string"),
        "table": Param("ecommerce.transactions", type="string", pattern=r"^\w+\.\w+$"),
        "max_per_partition": Param(None, type=["null", "integer"], minimum=1),
        "job": Param(JOB, type="string"),
    },
    doc_md=__doc__,
)
def raw_events_kafka_ingest():
    @task
    def ingest(params: dict | None = None, run_id: str | None = None) -> dict:
        """Submits the batch and waits for it (the one place that speaks to Livy)."""
        import json
        import logging
        import time

        from airflow.providers.apache.livy.hooks.livy import BatchState, LivyHook

        args = ["--topic", params["topic"], "--table", params["table"]]
        if params.get("max_per_partition"):
            args += ["--max-per-partition", str(params["max_per_partition"])]
        hook = LivyHook(livy_conn_id="livy_default")
        batch_id = hook.post_batch(
            file=params["job"],
            args=args,
            name=f"raw_events_kafka_ingest {params['table']} {run_id}",
        )
        while (state := hook.get_batch_state(batch_id)) not in hook.TERMINAL_STATES:
            time.sleep(5)
        lines: list[str] = []
        while True:  # the batch's log, page by page, into the task log
            page = hook.get_batch_logs(batch_id, len(lines), 500)
            lines += page.get("log") or []
            if not page.get("log") or len(lines) >= page.get("total", 0):
                break
        log = logging.getLogger(__name__)
        for line in lines:
            log.info("%s", line)
        if state != BatchState.SUCCESS:
            raise RuntimeError(f"Livy batch {batch_id} ended {state.value}")
        summary = next((s for s in lines if s.startswith(SUMMARY)), None)
        if summary is None:
            raise RuntimeError(f"Livy batch {batch_id} succeeded without an {SUMMARY.strip()}")
        return json.loads(summary[len(SUMMARY) :])

    ingest()


raw_events_kafka_ingest()
