"""Point-in-time correct training sets from Python (docs/design.md §7, "Point in time").

    from fstore_client import get_historical_features
    df = get_historical_features(rows, ["last_purchase_amount", "units_sold"],
                                 timestamp_column="event_timestamp")

`rows` is a pandas DataFrame of entity rows: each feature's entity key columns (customer_id, …),
a timestamp column, anything else (labels, passed through). The result is the same rows in the
same order with one column per feature: its value as it was at the row's timestamp (None where
there was none). It runs spark-jobs/training_set.py as a run of the control plane (job
`training-set`, operator key): the rows go to the control plane's landing folder as Parquet, the
run is followed to its end, and the Parquet it wrote is read back.

Configuration (arguments, else the environment, as the rest of fstore names it):
FSTORE_CONTROL_URL (default http://127.0.0.1:8090), FSTORE_API_KEY (an operator key), and
FSTORE_CONTROL_LANDING_DIR, the landing folder the control plane reads (this client writes the rows
there: it must be on a file system the client shares with the control plane and Spark, as on the
local stack).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from ._http import JsonHttp
from .errors import FstoreError, NotFound

JOB = "training-set"
SOURCE = "spark-jobs/training_set.py"
LANDING_SUBDIR = "training-sets"
DEFAULT_CONTROL_URL = "http://127.0.0.1:8090"


class TrainingSetError(FstoreError):
    """The request was refused before any call, or the run failed (the message says why). The
    control plane's refusals raise ``ApiError`` (``error_detail`` names the field)."""


def _ensure_job(control: JsonHttp) -> None:
    try:
        control.request("GET", f"/v1/jobs/{JOB}")
    except NotFound:
        control.request("POST", "/v1/jobs", body={"name": JOB, "kind": "pyspark", "source": SOURCE})


def _local_path(location: str) -> str:
    return location[len("file:") :] if location.startswith("file:") else location


def get_historical_features(
    entity_rows,
    features: list[str] | str | None = None,
    *,
    entity: str | None = None,
    timestamp_column: str = "event_timestamp",
    name: str | None = None,
    control_url: str | None = None,
    api_key: str | None = None,
    landing_dir: str | None = None,
    table: str | None = None,
    history_table: str | None = None,
    out_database: str | None = None,
    timeout_s: float = 1800,
    progress=None,
):
    """The entity rows with one column per feature, each as it was at the row's timestamp.

    `features`: names (a list or "a,b"), or pass `entity=` for every feature of an entity.
    `name`: the training set's table name (default: a fresh one). `progress(line)` is called with
    each step the job reports. Returns a pandas DataFrame; the run's summary is in
    `df.attrs["fstore_summary"]`.
    """
    import pandas as pd

    if (features is None) == (entity is None):
        raise TrainingSetError("pass features=[…] or entity=NAME")
    if not isinstance(entity_rows, pd.DataFrame):
        raise TrainingSetError("entity_rows must be a pandas DataFrame")
    if timestamp_column not in entity_rows.columns:
        raise TrainingSetError(
            f"timestamp_column {timestamp_column}: no such column"
            f" (columns: {', '.join(map(str, entity_rows.columns))})"
        )
    key = api_key or os.environ.get("FSTORE_API_KEY", "")
    if not key:
        raise TrainingSetError("set FSTORE_API_KEY (an operator key) or pass api_key=")
    control = JsonHttp(
        control_url or os.environ.get("FSTORE_CONTROL_URL", DEFAULT_CONTROL_URL),
        timeout=30,
        authorization=lambda: f"Bearer {key}",
    )
    landing = landing_dir or os.environ.get("FSTORE_CONTROL_LANDING_DIR")
    if not landing:
        raise TrainingSetError("set FSTORE_CONTROL_LANDING_DIR or pass landing_dir=")
    name = name or f"ts_{uuid.uuid4().hex[:12]}"
    rows = entity_rows.reset_index(drop=True)
    folder = Path(landing) / LANDING_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / f"{name}-{uuid.uuid4().hex[:8]}.parquet"
    # One file, one row group order: Spark reads it back in this order.
    rows.to_parquet(file, index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
    file.chmod(0o644)
    names = features if isinstance(features, str) or features is None else ",".join(features)
    args = ["--entities", f"{LANDING_SUBDIR}/{file.name}", "--out", name]
    args += ["--features", names] if names is not None else ["--entity", entity]
    args += ["--timestamp-column", timestamp_column]
    for flag, value in (
        ("--table", table),
        ("--history-table", history_table),
        ("--out-database", out_database),
    ):
        if value:
            args += [flag, value]
    try:
        _ensure_job(control)
        # An Idempotency-Key makes the run request safe to send again after a lost answer.
        accepted = control.request(
            "POST",
            f"/v1/jobs/{JOB}/runs",
            body={"args": args},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            idempotent=True,
        )
    except FstoreError:
        file.unlink(missing_ok=True)
        raise
    run_id = str(accepted["target"]).removeprefix("run:")
    deadline = time.monotonic() + timeout_s
    seen: set[str] = set()
    while True:
        op = control.request("GET", f"/v1/operations/{accepted['operation_id']}")
        run = control.request("GET", f"/v1/runs/{run_id}")
        for line in (run.get("log_tail") or "").split("\n"):
            if line.startswith("training_set [") and line not in seen:
                seen.add(line)
                if progress:
                    progress(line)
        if op["status"] == "succeeded":
            break
        if op["status"] == "failed":
            raise TrainingSetError(f"training set run {run_id} failed: {op.get('error')}")
        if time.monotonic() > deadline:
            raise TrainingSetError(f"training set run {run_id} still {run.get('state')}")
        time.sleep(2)
    summary = run.get("summary")
    if not summary:
        raise TrainingSetError(f"run {run_id} printed no summary")
    out = pd.read_parquet(_local_path(summary["path"]))
    out.attrs["fstore_summary"] = {**summary, "run_id": run_id}
    return out
