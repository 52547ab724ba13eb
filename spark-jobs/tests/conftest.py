"""What the Spark jobs' tests share: one local Spark session per test module."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spark(request, tmp_path_factory):
    """A local[1] Spark with an in-memory catalog and UTC session time; skipped without pyspark
    or Java. The executors' Python workers import batch_features too (its double-formatting UDF,
    which the training set's reference uses as well)."""
    pytest.importorskip("pyspark")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java for a local Spark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName(request.module.__name__)
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("warehouse")))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.addPyFile(str(ROOT / "spark-jobs" / "batch_features.py"))
    yield session
    session.stop()
