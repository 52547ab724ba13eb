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
