"""Code the lake's Spark jobs share: the raw event contract (`raw_event`), the raw tables and how
rows get into them (`tables`), Kafka offset bookkeeping (`kafka_offsets`).

A job imports this package from its own folder (spark-submit puts the job file's folder first on
the driver's sys.path) and calls `ship_to_executors(spark)` before its first RDD map, so the
executors' Python workers import the very same code. Where the driver cannot see spark-jobs/
(cluster deploy mode), pass the package zipped as pyFiles; it is then not zipped again.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path


def ship_to_executors(spark) -> None:
    """Zips this package and adds it to the application (SparkContext.addPyFile), once per
    SparkContext, unless it was imported from a zip (pyFiles), which the executors have already."""
    here = Path(__file__).resolve().parent
    sc = spark.sparkContext
    if not here.is_dir() or getattr(sc, "_fstore_lake_shipped", False):
        return
    tmp = tempfile.mkdtemp(prefix="fstore_lake-")
    atexit.register(shutil.rmtree, tmp, True)
    archive = Path(tmp) / "fstore_lake.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for source in sorted(here.glob("*.py")):
            z.write(source, f"{here.name}/{source.name}")
    sc.addPyFile(str(archive))
    sc._fstore_lake_shipped = True


def emit_line(line: str) -> None:
    """Writes one whole line to stdout with a single write. spark-submit runs the driver's Python
    unbuffered and Livy reads its stdout and the JVM's log on one pipe, so `print(text)` (a write
    for the text, another for the newline) let a JVM log line land between a job's summary JSON
    and its newline, and whoever parsed that line got broken JSON."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
