"""What the DAG run tests share: a small HTTP server on loopback, a stand-in control plane, and
`airflow dags test`."""

import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler answering JSON, quietly (no access log on stderr)."""

    def send_json(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[tuple[str, int]]:
    """Serves `handler` on a free loopback port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address
    finally:
        server.shutdown()


class ControlPlane(JsonHandler):
    """Stands in for the control plane's jobs, runs and operations API (what fstore_control calls).

    Records every request (method, path, Idempotency-Key, body). A job must be registered (POST
    /v1/jobs) before a run (404 error_code 1404 otherwise); the same Idempotency-Key gives the same
    operation; an operation is `running` for `polls_running` reads, then `final` ("succeeded" or
    "failed"); the run's log tail is `log_tail`. Any other path (Livy's /batches…) is a 404.
    """

    requests: list[tuple[str, str, str | None, dict | None]] = []
    jobs: dict[str, dict] = {}
    operations: dict[str, dict] = {}
    by_key: dict[str, str] = {}
    final = "succeeded"
    polls_running = 1
    log_tail = "stdout: \n\nstderr: "
    error = "batch 7 ended dead (see the run's log)"

    @classmethod
    def reset(cls, final="succeeded", polls_running=1, log_tail="stdout: \n\nstderr: "):
        cls.requests, cls.jobs, cls.operations, cls.by_key = [], {}, {}, {}
        cls.final, cls.polls_running, cls.log_tail = final, polls_running, log_tail

    @classmethod
    def runs_requested(cls) -> list[tuple[str, str | None, dict]]:
        """(path, Idempotency-Key, body) of every POST …/runs."""
        return [(p, k, b) for m, p, k, b in cls.requests if m == "POST" and p.endswith("/runs")]

    def _record(self, body: dict | None = None) -> None:
        key = self.headers.get("Idempotency-Key")
        type(self).requests.append((self.command, self.path, key, body))

    def do_POST(self):  # noqa: N802
        cls = type(self)
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self._record(body)
        if self.headers.get("Authorization") != "Bearer test-key":
            return self.send_json(401, {"error_code": 1401, "error_message": "no API key"})
        parts = self.path.strip("/").split("/")
        if parts == ["v1", "jobs"]:
            if body["name"] in cls.jobs:
                return self.send_json(409, {"error_code": 1409, "error_message": "exists"})
            cls.jobs[body["name"]] = body
            return self.send_json(201, {**body, "created_by": "key:test"})
        if len(parts) == 4 and parts[:2] == ["v1", "jobs"] and parts[3] == "runs":
            if parts[2] not in cls.jobs:
                message = f"job {parts[2]} not found"
                return self.send_json(404, {"error_code": 1404, "error_message": message})
            key = self.headers.get("Idempotency-Key")
            created = key not in cls.by_key
            if created:
                op = {"id": str(uuid.uuid4()), "target": f"run:{uuid.uuid4()}", "reads": 0}
                cls.operations[op["id"]] = {**op, "request": body}
                cls.by_key[key] = op["id"]
            op = cls.operations[cls.by_key[key]]
            accepted = {"operation_id": op["id"], "status": "queued", "target": op["target"]}
            return self.send_json(202, {**accepted, "created": created})
        self.send_json(404, {"error_code": 1404, "error_message": "not found"})

    def do_GET(self):  # noqa: N802
        cls = type(self)
        self._record()
        parts = self.path.strip("/").split("/")
        if parts[:2] == ["v1", "operations"] and parts[2] in cls.operations:
            op = cls.operations[parts[2]]
            op["reads"] += 1
            status = "running" if op["reads"] <= cls.polls_running else cls.final
            error = cls.error if status == "failed" else None
            body = {"id": op["id"], "kind": "run", "target": op["target"], "status": status}
            return self.send_json(200, {**body, "error": error})
        if parts[:2] == ["v1", "runs"]:
            op = next(o for o in cls.operations.values() if o["target"] == f"run:{parts[2]}")
            ok = cls.final == "succeeded"
            run = {
                "id": parts[2],
                "job": "job",
                "args": op["request"]["args"],
                "as_of": op["request"].get("as_of"),
                "state": "success" if ok else "failed",
                "livy_batch_id": 7,
                "livy_state": "success" if ok else "dead",
                "error": None if ok else cls.error,
                "started_at": "2024-06-01T00:00:01.000Z",
                "finished_at": "2024-06-01T00:01:00.000Z",
                "log_tail": cls.log_tail,
            }
            return self.send_json(200, run)
        self.send_json(404, {"error_code": 1404, "error_message": "not found"})


def dags_test(
    dag_id: str,
    connection: str,
    address: tuple[str, int],
    conf: dict | None = None,
    env: dict | None = None,
    password: str | None = None,
) -> subprocess.CompletedProcess:
    """`airflow dags test dag_id 2024-06-01`, the HTTP connection pointed at `address`."""
    airflow = shutil.which("airflow", path=str(Path(sys.executable).parent))
    assert airflow, "the airflow CLI is not in this venv"
    host, port = address
    connection_json = {"conn_type": "http", "host": host, "port": port, "schema": "http"}
    if password:
        connection_json["password"] = password
    env = {
        **os.environ,
        f"AIRFLOW_CONN_{connection.upper()}": json.dumps(connection_json),
        **(env or {}),
    }
    return subprocess.run(
        [airflow, "dags", "test", dag_id, "2024-06-01"]
        + (["--conf", json.dumps(conf)] if conf else []),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
