"""Ingests the raw events published to Kafka into the Hive raw table, every 15 minutes.

Asks the control plane (connection `fstore_control`; the local stack sets
AIRFLOW_CONN_FSTORE_CONTROL) to run spark-jobs/ingest_kafka_to_lake.py (job `ingest-kafka-to-lake`,
registered if the control plane does not know it yet; the control plane adds the Kafka brokers from
its configuration) and waits for the run (fstore_control.ControlPlaneRunSensor, in `reschedule` mode
or deferred to the triggerer: no worker slot is held while Spark runs). A failed run fails the task
at once with the control plane's error, the run's state and the end of its log. The task's return
value is the run record with the job's summary (offsets read per partition, read, loaded,
duplicates, rejected) taken from the run's log tail. The Idempotency-Key is the DAG run and the
task: a retried task waits for the run it started instead of starting a second one.

Each run reads the topic from where the last recorded run stopped up to its end at the start of
the run, into the table the bulk loader fills, each event_id once. A failed run records no offsets:
the next one reads its range again and skips what it had written. Runs never overlap
(max_active_runs=1): two writers of one table at once could both add the same event.

Parameters: `topic`, `table` (database.table), `max_per_partition` (messages a run reads at most
per partition, to work off a backlog in several runs; default: all), `rejects_table`,
`offsets_table` (defaults: the job's), `allow_data_loss` (go on when Kafka no longer holds the
recorded offsets).
"""

from datetime import datetime, timedelta

from airflow.sdk import Param, dag
from fstore_control import ControlPlaneRunSensor

TABLE = r"^\w+\.\w+$"
SUMMARY = "INGEST_SUMMARY "


def run_args(context, jinja_env=None) -> list[str]:
    """The job's arguments from the DAG run's params (only those the control plane declares)."""
    params = context["params"]
    args = ["--topic", params["topic"], "--table", params["table"]]
    if params.get("max_per_partition"):
        args += ["--max-per-partition", str(params["max_per_partition"])]
    if params.get("rejects_table"):
        args += ["--rejects-table", params["rejects_table"]]
    if params.get("offsets_table"):
        args += ["--offsets-table", params["offsets_table"]]
    if params.get("allow_data_loss"):
        args.append("--allow-data-loss")
    return args


@dag(
    schedule=timedelta(minutes=15),
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    tags=["fstore", "batch", "control-plane", "kafka"],
    default_args={"retries": 3, "retry_delay": timedelta(minutes=1)},
    params={
        "topic": Param("ecommerce.transactions", type="string"),
        "table": Param("ecommerce.transactions", type="string", pattern=TABLE),
        "max_per_partition": Param(None, type=["null", "integer"], minimum=1),
        "rejects_table": Param(None, type=["null", "string"], pattern=TABLE),
        "offsets_table": Param(None, type=["null", "string"], pattern=TABLE),
        "allow_data_loss": Param(False, type="boolean"),
    },
    doc_md=__doc__,
)
def raw_events_kafka_ingest():
    ControlPlaneRunSensor(
        task_id="ingest",
        job="ingest-kafka-to-lake",
        source="spark-jobs/ingest_kafka_to_lake.py",
        args=run_args,
        summary_prefix=SUMMARY,
        poke_interval=5,
        timeout=timedelta(hours=2),
    )


raw_events_kafka_ingest()
