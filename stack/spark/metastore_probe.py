"""`fstore stack up spark`: one real round trip through Spark and the Hive metastore.

Creates a database, a partitioned Parquet table and a partition, reads it back, drops it all.
On a fresh metastore this also makes DataNucleus create the metastore's tables, to which the
stack then adds Hive's unique keys (apps/cli/src/stack/spark.ts).
"""

import sys

from pyspark.sql import SparkSession

db = sys.argv[1] if len(sys.argv) > 1 else "fstore_stack_probe"
spark = SparkSession.builder.appName("fstore-metastore-probe").enableHiveSupport().getOrCreate()
try:
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {db}")
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS {db}.probe (id INT) PARTITIONED BY (d DATE) STORED AS PARQUET"
    )
    spark.sql(f"INSERT INTO {db}.probe PARTITION (d = DATE'2024-01-01') VALUES (1)")
    rows = spark.table(f"{db}.probe").count()
    partitions = spark.sql(f"SHOW PARTITIONS {db}.probe").count()
    assert (rows, partitions) == (1, 1), (rows, partitions)
    print(f"METASTORE_PROBE ok rows={rows} partitions={partitions}", flush=True)
finally:
    spark.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")
    spark.stop()
