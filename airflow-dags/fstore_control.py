"""How the DAGs submit Spark work: through the control plane's runs, never Livy directly.

Not a DAG (`.airflowignore` keeps the DAG processor from parsing it); the DAGs import it from the
DAG folder. `ControlPlaneRunSensor` asks for a run (POST /v1/jobs/{job}/runs {args, as_of?} with
an Idempotency-Key; a 404 for the job registers it first with POST /v1/jobs {name, kind:
'pyspark', source}) and waits for the run's operation (GET /v1/operations/{id}) without holding a
worker slot while Spark runs: in `reschedule` mode by default (each poke asks again with the same
key, which gives back the same run, and reads the operation), or deferred to
`ControlPlaneRunTrigger`, which polls asynchronously in the triggerer (`deferrable=True` or
`[operators] default_deferrable`; the triggerer must be able to import this module: put the DAG
folder on its PYTHONPATH). `airflow dags test` runs either in line. When the operation ends the
task reads the run record (GET /v1/runs/{id}), logs its log tail and

- succeeds, returning the run's summary (and the job's own summary line, when asked for);
- or fails at once, without retries, with the control plane's error, the run's state and the
  end of its log, when the run failed.

The connection `fstore_control` (the local stack sets AIRFLOW_CONN_FSTORE_CONTROL) gives the
control plane's host and port, and its password is the API key (an operator key) sent as a bearer
token. The Idempotency-Key is the DAG, the DAG run, the task (and map index) and the DAG run's
clear number: a retried task (the HTTP call failed, the worker died, the wait timed out) finds the
run it started and waits for it again instead of starting a second Spark run; clearing the task
(a deliberate re-run) starts a new run. Unreachable control plane, 5xx and 429 answers are
retryable errors (the task's retries); other refusals (e.g. 400 for an argument the job does not
declare) fail the task at once with the control plane's message.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseHook, BaseSensorOperator, PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from airflow.triggers.base import BaseTrigger, TriggerEvent

CONNECTION = "fstore_control"
TERMINAL = ("succeeded", "failed")
LOG_LINES_IN_ERROR = 20


def _base_url(conn) -> str:
    if conn.host and "://" in conn.host:
        url = conn.host
    else:
        url = f"{conn.schema or 'http'}://{conn.host or 'localhost'}"
    return f"{url}:{conn.port}" if conn.port else url


def _error_text(status: int, body: str) -> str:
    """The control plane's error message (`error_message` or the validation details).

    Not fstore_client's ApiError.from_body: the Airflow image (Dockerfile, target airflow) and
    the local stack's Airflow get airflow-dags/ and spark-jobs/ only, not the Python client, and
    a task's failure wants one line of text rather than a typed exception."""
    try:
        data = json.loads(body)
    except ValueError:
        return f"{status} {body[:500]}"
    if isinstance(data, dict):
        message = data.get("error_message") or data.get("message") or data.get("detail")
        if message is not None:
            code = data.get("error_code")
            return f"{status}{f' ({code})' if code else ''} {message}"
    return f"{status} {body[:500]}"


def idempotency_key(context: dict) -> str:
    """DAG, DAG run, task (and map index), clear number: a retry reuses it, a clear does not."""
    ti = context["ti"]
    parts = [ti.dag_id, ti.run_id, ti.task_id]
    if getattr(ti, "map_index", -1) not in (-1, None):
        parts.append(str(ti.map_index))
    parts.append(str(getattr(context.get("dag_run"), "clear_number", 0) or 0))
    key = "airflow/" + "/".join(parts)
    return key if len(key) <= 200 else "airflow/" + hashlib.sha256(key.encode()).hexdigest()


class ControlPlane:
    """A synchronous client of the control plane's jobs, runs and operations (in a worker)."""

    def __init__(self, conn_id: str = CONNECTION, timeout: float = 30):
        conn = BaseHook.get_connection(conn_id)
        self.base_url = _base_url(conn)
        self._key = conn.password
        self._timeout = timeout

    def call(self, method: str, path: str, body: dict | None = None, headers=None) -> tuple:
        """(status, JSON answer); raises for an unreachable control plane and for 5xx/429."""
        import requests

        all_headers = {"Authorization": f"Bearer {self._key}", **(headers or {})}
        try:
            response = requests.request(
                method,
                self.base_url + path,
                json=body,
                headers=all_headers,
                timeout=self._timeout,
            )
        except requests.RequestException as e:
            raise AirflowException(f"control plane unreachable ({method} {path}): {e}") from e
        if response.status_code >= 500 or response.status_code == 429:
            error = _error_text(response.status_code, response.text)
            raise AirflowException(f"control plane {method} {path}: {error}")
        try:
            data = response.json()
        except ValueError:
            data = {"text": response.text}
        return response.status_code, data, response.text

    def expect(self, method: str, path: str, ok: Sequence[int], body=None, headers=None):
        """The answer when its status is in `ok`; otherwise the task fails with the error."""
        status, data, text = self.call(method, path, body, headers)
        if status not in ok:
            raise AirflowFailException(
                f"control plane refused {method} {path}: {_error_text(status, text)}"
            )
        return data

    def register_job(self, name: str, source: str) -> bool:
        """Registers the PySpark job; False when a job of that name exists already."""
        status, data, text = self.call(
            "POST", "/v1/jobs", {"name": name, "kind": "pyspark", "source": source}
        )
        if status == 409:
            return False
        if status != 201:
            raise AirflowFailException(f"registering job {name}: {_error_text(status, text)}")
        return True

    def trigger_run(self, job: str, args: list[str], as_of: str | None, key: str) -> dict | None:
        """The run's accepted operation (the same one for the same key); None: no such job."""
        body: dict[str, Any] = {"args": args}
        if as_of:
            body["as_of"] = as_of
        path = f"/v1/jobs/{job}/runs"
        status, data, text = self.call("POST", path, body, {"Idempotency-Key": key})
        if status == 404 and isinstance(data, dict) and data.get("error_code") == 1404:
            return None
        if status != 202:
            raise AirflowFailException(
                f"control plane refused POST {path}: {_error_text(status, text)}"
            )
        return data

    def operation(self, operation_id: str) -> dict:
        return self.expect("GET", f"/v1/operations/{operation_id}", (200,))

    def run(self, run_id: str) -> dict:
        return self.expect("GET", f"/v1/runs/{run_id}", (200,))


class ControlPlaneRunTrigger(BaseTrigger):
    """Polls a run's operation in the triggerer until it ends; yields its status once.

    Errors reaching the control plane are logged and polled through; after `max_errors` in a row
    the event says `error` (the task's retry then waits for the same run again).
    """

    def __init__(
        self,
        operation_id: str,
        conn_id: str = CONNECTION,
        poll_interval: float = 10,
        max_errors: int = 30,
    ):
        super().__init__()
        self.operation_id = operation_id
        self.conn_id = conn_id
        self.poll_interval = poll_interval
        self.max_errors = max_errors

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "operation_id": self.operation_id,
                "conn_id": self.conn_id,
                "poll_interval": self.poll_interval,
                "max_errors": self.max_errors,
            },
        )

    async def _connection(self):
        from airflow.providers.common.compat.connection import get_async_connection

        return await get_async_connection(conn_id=self.conn_id)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        import aiohttp

        conn = await self._connection()
        url = f"{_base_url(conn)}/v1/operations/{self.operation_id}"
        headers = {"Authorization": f"Bearer {conn.password}"}
        errors = 0
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    async with session.get(url, headers=headers) as response:
                        text = await response.text()
                        if 400 <= response.status < 500 and response.status != 429:
                            error = _error_text(response.status, text)
                            yield TriggerEvent(
                                {
                                    "status": "error",
                                    "operation_id": self.operation_id,
                                    "error": f"control plane refused GET {url}: {error}",
                                }
                            )
                            return
                        if response.status != 200:
                            raise RuntimeError(_error_text(response.status, text))
                        operation = json.loads(text)
                    errors = 0
                    if operation["status"] in TERMINAL:
                        yield TriggerEvent(
                            {
                                "status": operation["status"],
                                "operation_id": self.operation_id,
                                "target": operation["target"],
                                "error": operation.get("error"),
                            }
                        )
                        return
                    self.log.info("operation %s is %s", self.operation_id, operation["status"])
                except (TimeoutError, aiohttp.ClientError, RuntimeError, ValueError) as e:
                    errors += 1
                    self.log.warning("polling operation %s: %s", self.operation_id, e)
                    if errors >= self.max_errors:
                        message = f"control plane unreachable for operation {self.operation_id}"
                        yield TriggerEvent(
                            {
                                "status": "error",
                                "operation_id": self.operation_id,
                                "error": f"{message}: {e}",
                            }
                        )
                        return
                await asyncio.sleep(self.poll_interval)


class ControlPlaneRunSensor(BaseSensorOperator):
    """Runs a PySpark job through the control plane and waits for it without holding a worker.

    Each poke asks for the run with the same Idempotency-Key (the first starts it, the next ones
    get the same run back) and reads its operation. By default the sensor waits in `reschedule`
    mode (the worker slot is released between pokes; no triggerer needed); with
    `deferrable=True` (or `[operators] default_deferrable`) it defers to ControlPlaneRunTrigger
    in the triggerer instead.

    :param job: the control plane's job name (registered from `source` if it is unknown).
    :param source: the job's file, `spark-jobs/….py`.
    :param args: the run's arguments (templated), only those the job declares; or a function
        `(context, jinja_env)` returning them (Airflow calls it when it renders the task).
    :param as_of: the run's as-of time (templated), for jobs that take `--as-of`.
    :param summary_prefix: the job's summary line (e.g. `INGEST_SUMMARY `): its JSON, found in
        the run's log tail, is returned as `summary`.
    """

    template_fields: Sequence[str] = ("args", "as_of")
    ui_color = "#e3f2fd"

    def __init__(
        self,
        *,
        job: str,
        source: str,
        args: list[str] | str | Callable[[dict], list[str]] | None = None,
        as_of: str | None = None,
        conn_id: str = CONNECTION,
        summary_prefix: str | None = None,
        poke_interval: float = 10,
        timeout: timedelta = timedelta(hours=3),
        mode: str = "reschedule",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs,
    ):
        super().__init__(poke_interval=poke_interval, timeout=timeout, mode=mode, **kwargs)
        self.job = job
        self.source = source
        self.args = args
        self.as_of = as_of
        self.conn_id = conn_id
        self.summary_prefix = summary_prefix
        self.deferrable = deferrable

    def _args(self, context) -> list[str]:
        args = self.args
        if isinstance(args, str):  # rendered from a template such as "{{ params.args | tojson }}"
            args = json.loads(args) if args.strip() else []
        return [str(a) for a in args or []]

    def _start(self, context, client: ControlPlane) -> dict:
        """The run's operation: started by the first call, the same one after (same key)."""
        key = idempotency_key(context)
        args = self._args(context)
        accepted = client.trigger_run(self.job, args, self.as_of or None, key)
        if accepted is None:  # the control plane does not know the job yet
            if client.register_job(self.job, self.source):
                self.log.info("job %s registered (%s)", self.job, self.source)
            accepted = client.trigger_run(self.job, args, self.as_of or None, key)
            if accepted is None:
                raise AirflowFailException(f"job {self.job} not found after registering it")
        self.log.info(
            "run %s of job %s, args %s, as of %s: operation %s (%s; Idempotency-Key %s)",
            accepted["target"],
            self.job,
            args,
            self.as_of or "-",
            accepted["operation_id"],
            "started now" if accepted.get("created") else "started before",
            key,
        )
        return client.operation(accepted["operation_id"])

    def poke(self, context) -> bool | PokeReturnValue:
        client = ControlPlane(self.conn_id)
        operation = self._start(context, client)
        if operation["status"] not in TERMINAL:
            self.log.info("operation %s is %s", operation["id"], operation["status"])
            return False
        return PokeReturnValue(is_done=True, xcom_value=self._finish(client, operation))

    def execute(self, context):
        if not self.deferrable:
            return super().execute(context)
        client = ControlPlane(self.conn_id)
        operation = self._start(context, client)
        if operation["status"] in TERMINAL:
            return self._finish(client, operation)
        self.defer(
            trigger=ControlPlaneRunTrigger(
                operation_id=operation["id"],
                conn_id=self.conn_id,
                poll_interval=self.poke_interval,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context, event: dict | None = None):
        if not event or event.get("status") not in TERMINAL:
            # The control plane was unreachable: retryable; the retry waits for the same run.
            raise AirflowException((event or {}).get("error") or "no event from the trigger")
        client = ControlPlane(self.conn_id)
        return self._finish(client, client.operation(event["operation_id"]))

    def _finish(self, client: ControlPlane, operation: dict) -> dict:
        target = operation["target"]
        run = client.run(target.removeprefix("run:"))
        tail = (run.get("log_tail") or "").splitlines()
        self.log.info(
            "--- log tail of Livy batch %s (%d lines) ---\n%s",
            run.get("livy_batch_id"),
            len(tail),
            "\n".join(tail),
        )
        if operation["status"] != "succeeded" or run["state"] != "success":
            end = "\n".join(tail[-LOG_LINES_IN_ERROR:])
            raise AirflowFailException(
                f"batch run {target} failed: {operation.get('error') or run.get('error')} "
                f"(run {run['state']}, Livy batch {run.get('livy_batch_id')} "
                f"{run.get('livy_state')}; GET /v1/runs/{run['id']} has its log)"
                + (f"; log tail:\n{end}" if end else "")
            )
        summary = {
            k: run.get(k)
            for k in (
                "id",
                "job",
                "state",
                "args",
                "as_of",
                "livy_batch_id",
                "started_at",
                "finished_at",
            )
        }
        if self.summary_prefix:
            line = next((s for s in reversed(tail) if s.startswith(self.summary_prefix)), None)
            if line is None:
                self.log.warning("no %s line in the run's log tail", self.summary_prefix.strip())
            summary["summary"] = json.loads(line[len(self.summary_prefix) :]) if line else None
        self.log.info("batch run %s: %s", run["id"], json.dumps(summary))
        return summary
