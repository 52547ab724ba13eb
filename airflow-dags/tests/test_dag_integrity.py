"""The DAG folder imports cleanly in Airflow (run with Airflow's venv: `fstore test` does)."""

from pathlib import Path

import pytest

pytest.importorskip(
    "airflow", reason="runs in Airflow's own venv (see apps/cli/src/test-command.ts)"
)

DAG_FOLDER = Path(__file__).resolve().parent.parent
# Modules the DAGs share (e.g. fstore_control.py) are listed in .airflowignore: not DAG files.
SHARED = {
    line.strip()
    for line in (DAG_FOLDER / ".airflowignore").read_text().splitlines()
    if line.strip().endswith(".py")
}
DAG_FILES = sorted(p.stem for p in DAG_FOLDER.glob("*.py") if p.name not in SHARED)


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import BundleDagBag

    # As the DAG processor and `airflow dags test` parse the folder (a bundle: on sys.path, so the
    # DAGs import the modules they share); safe_mode=False: parse every file, not only those
    # mentioning "dag" and "airflow".
    return BundleDagBag(dag_folder=str(DAG_FOLDER), bundle_path=DAG_FOLDER, safe_mode=False)


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_shared_modules_import(dagbag):
    assert SHARED == {"fstore_control.py"}
    import fstore_control

    assert fstore_control.ControlPlaneRunTrigger.__module__ == "fstore_control"


def test_one_dag_per_file_named_after_it(dagbag):
    assert sorted(dagbag.dag_ids) == DAG_FILES
    for dag_id in DAG_FILES:
        dag = dagbag.get_dag(dag_id)
        assert Path(dag.fileloc).stem == dag_id
        assert dag.doc_md, f"{dag_id} has no documentation"
        assert "fstore" in dag.tags


@pytest.mark.parametrize("dag_file", DAG_FILES)
def test_each_file_imports_alone_with_its_one_dag(dag_file):
    from airflow.dag_processing.dagbag import BundleDagBag

    path = DAG_FOLDER / f"{dag_file}.py"
    bag = BundleDagBag(dag_folder=str(path), bundle_path=DAG_FOLDER, safe_mode=False)
    assert bag.import_errors == {}
    assert bag.dag_ids == [dag_file]


def test_spark_work_goes_through_the_control_plane_never_livy(dagbag):
    from fstore_control import ControlPlaneRunSensor

    spark_tasks = {}
    for dag_id in DAG_FILES:
        dag = dagbag.get_dag(dag_id)
        for task in dag.tasks:
            assert not type(task).__module__.startswith("airflow.providers.apache.livy"), task
            if isinstance(task, ControlPlaneRunSensor):
                spark_tasks[dag_id] = (task.job, task.source)
        source = (DAG_FOLDER / f"{dag_id}.py").read_text()
        assert "providers.apache.livy" not in source and "/batches" not in source, dag_id
    assert spark_tasks == {
        "batch_features_daily": ("batch-features", "spark-jobs/batch_features.py"),
        "consistency_daily": ("consistency", "spark-jobs/consistency.py"),
        "raw_events_bulk_load": ("load-raw-events", "spark-jobs/load_raw_events.py"),
        "raw_events_kafka_ingest": ("ingest-kafka-to-lake", "spark-jobs/ingest_kafka_to_lake.py"),
    }


def test_spark_waits_hold_no_worker_slot(dagbag):
    from fstore_control import ControlPlaneRunSensor

    for dag_id in DAG_FILES:
        for task in dagbag.get_dag(dag_id).tasks:
            if isinstance(task, ControlPlaneRunSensor):
                # Deferred to the triggerer (the stack sets [operators] default_deferrable) or,
                # without it, rescheduled between pokes: no worker slot held while Spark runs.
                assert task.mode == "reschedule", (dag_id, task.task_id)


def test_batch_features_daily_is_scheduled_daily_without_catch_up(dagbag):
    dag = dagbag.get_dag("batch_features_daily")
    # @daily is a cron trigger timetable in Airflow 3: a run's data interval ends at its logical
    # date, so the run of day D computes the features as of D 00:00 UTC.
    assert type(dag.timetable).__name__ == "CronTriggerTimetable"
    assert (dag.timetable.expression, str(dag.timetable.interval)) == ("0 0 * * *", "0:00:00")
    # One run for the last complete day when the scheduler starts, not one per day since 2024.
    assert dag.catchup is False
    assert dag.max_active_runs == 1


def test_consistency_daily_reports_on_the_day_before_without_catch_up(dagbag):
    from datetime import UTC, datetime

    from consistency_daily import window_args

    dag = dagbag.get_dag("consistency_daily")
    assert type(dag.timetable).__name__ == "CronTriggerTimetable"
    assert (dag.timetable.expression, str(dag.timetable.interval)) == ("0 0 * * *", "0:00:00")
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert window_args(datetime(2024, 6, 2, tzinfo=UTC)) == [
        "--since",
        "2024-06-01T00:00:00Z",
        "--until",
        "2024-06-02T00:00:00Z",
    ]
