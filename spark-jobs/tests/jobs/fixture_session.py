"""What the medium tests' report scripts share: a Hive-enabled session that, when the script ends
(passed or failed), drops the test databases named with `--drop-database` and stops Spark."""

from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession


@contextmanager
def fixture_session(app_name: str, drop_databases: list[str]) -> Iterator[SparkSession]:
    spark = SparkSession.builder.appName(app_name).enableHiveSupport().getOrCreate()
    try:
        yield spark
    finally:
        for db in drop_databases:
            spark.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")
        spark.stop()
