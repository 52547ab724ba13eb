"""The command-line side a driver job shares with the others that report bad input the same way
(training_set, consistency): one `FSTORE_ERROR <job>: <message>` line, exit code 2, and a
`main` that starts Spark, runs the job and turns the job's own error into that line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from fstore_lake import emit_line

ERROR_PREFIX = "FSTORE_ERROR "


def fail(job: str, message: str, code: int = 2) -> NoReturn:
    emit_line(ERROR_PREFIX + f"{job}: " + message)
    # On both streams: whichever of them the end of Livy's log keeps.
    print(ERROR_PREFIX + f"{job}: " + message, file=sys.stderr, flush=True)
    raise SystemExit(code)


def parser(job: str, description: str) -> argparse.ArgumentParser:
    """An ArgumentParser whose errors are the job's one error line (not argparse's usage text)."""

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse's hook
            fail(job, message, 2)

    return _Parser(description=description)


def run_driver(
    job: str,
    args: argparse.Namespace,
    run: Callable[[object, argparse.Namespace], object],
    job_error: type[Exception],
    log: Callable[[str], None],
) -> None:
    """Starts a Hive-enabled Spark session named after the job, runs it, reports the job's own
    error as its error line and stops Spark in every case."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName(job).enableHiveSupport().getOrCreate()
    spark.sparkContext.setLogLevel(args.log_level)
    log(f"Spark {spark.version} up, master {spark.sparkContext.master}")
    try:
        run(spark, args)
    except job_error as e:
        fail(job, str(e))
    finally:
        spark.stop()
