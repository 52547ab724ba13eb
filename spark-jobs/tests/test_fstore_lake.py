"""fstore_lake ships itself to the executors: once per SparkContext, as an importable zip."""

import subprocess
import sys
import zipfile
from pathlib import Path

import fstore_lake


class _Context:
    def __init__(self):
        self.py_files: list[str] = []

    def addPyFile(self, path):  # noqa: N802 - SparkContext's name
        self.py_files.append(path)


class _Session:
    def __init__(self):
        self.sparkContext = _Context()


def test_the_package_is_zipped_and_added_once_per_context():
    spark = _Session()
    fstore_lake.ship_to_executors(spark)
    fstore_lake.ship_to_executors(spark)  # --every: a later run of the same application
    [archive] = spark.sparkContext.py_files
    package = Path(fstore_lake.__file__).parent
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == sorted(f"fstore_lake/{p.name}" for p in package.glob("*.py"))
    # An executor's Python worker imports the package from the zip alone.
    code = (
        f"import sys; sys.path[:0] = [{archive!r}]; "
        "import fstore_lake.raw_event as r; print(r.__file__)"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    assert archive in out.stdout

    other = _Session()
    fstore_lake.ship_to_executors(other)
    assert len(other.sparkContext.py_files) == 1
