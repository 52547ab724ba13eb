"""What the DAG run tests share: a small HTTP server on loopback, and `airflow dags test`."""

import json
import os
import shutil
import subprocess
import sys
import threading
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


def dags_test(
    dag_id: str, connection: str, address: tuple[str, int], conf: dict | None = None
) -> subprocess.CompletedProcess:
    """`airflow dags test dag_id 2024-06-01`, the HTTP connection pointed at `address`."""
    airflow = shutil.which("airflow", path=str(Path(sys.executable).parent))
    assert airflow, "the airflow CLI is not in this venv"
    host, port = address
    env = {
        **os.environ,
        f"AIRFLOW_CONN_{connection.upper()}": json.dumps(
            {"conn_type": "http", "host": host, "port": port, "schema": "http"}
        ),
    }
    return subprocess.run(
        [airflow, "dags", "test", dag_id, "2024-06-01"]
        + (["--conf", json.dumps(conf)] if conf else []),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
