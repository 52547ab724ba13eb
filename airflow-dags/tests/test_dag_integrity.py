"""The DAG folder imports cleanly in Airflow (run with Airflow's venv: `fstore test` does)."""

from pathlib import Path

import pytest

pytest.importorskip(
    "airflow", reason="runs in Airflow's own venv (see apps/cli/src/test-command.ts)"
)

DAG_FOLDER = Path(__file__).resolve().parent.parent
DAG_FILES = sorted(p.stem for p in DAG_FOLDER.glob("*.py"))


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    # safe_mode=False: parse every file, not only those mentioning "dag" and "airflow".
    return DagBag(dag_folder=str(DAG_FOLDER), safe_mode=False)


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_one_dag_per_file_named_after_it(dagbag):
    assert sorted(dagbag.dag_ids) == DAG_FILES
    for dag_id in DAG_FILES:
        dag = dagbag.get_dag(dag_id)
        assert Path(dag.fileloc).stem == dag_id
        assert dag.doc_md, f"{dag_id} has no documentation"
        assert "fstore" in dag.tags
