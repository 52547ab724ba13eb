"""get_historical_features: what it refuses before calling the control plane, and one call
against a stand-in control plane (an HTTP server in this process, answering as the real one
does). The real one: test/batch/training-set.medium-spec.ts."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

from fstore_client import TrainingSetError, get_historical_features  # noqa: E402


def rows():
    return pd.DataFrame(
        {"customer_id": ["c1", "c2"], "event_timestamp": ["2024-01-01", "2024-01-02"], "y": [1, 0]}
    )


def test_refuses_before_calling_anything(tmp_path):
    kw = {"api_key": "k", "landing_dir": str(tmp_path), "control_url": "http://127.0.0.1:9"}
    with pytest.raises(TrainingSetError, match="pass features"):
        get_historical_features(rows(), **kw)
    with pytest.raises(TrainingSetError, match="timestamp_column ts: no such column"):
        get_historical_features(rows(), ["last_purchase_amount"], timestamp_column="ts", **kw)
    with pytest.raises(TrainingSetError, match="FSTORE_API_KEY"):
        get_historical_features(rows(), ["x"], landing_dir=str(tmp_path), api_key="")
    with pytest.raises(TrainingSetError, match="pandas DataFrame"):
        get_historical_features([{"a": 1}], ["x"], **kw)


def test_one_run_through_a_stand_in_control_plane(tmp_path):
    out_dir = tmp_path / "warehouse" / "ts"
    out_dir.mkdir(parents=True)
    calls = []

    class Handler(BaseHTTPRequestHandler):
        def _send(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            calls.append(("GET", self.path, None))
            if self.path == "/v1/jobs/training-set":
                return self._send(404, {"error_message": "no such job"})
            if self.path.startswith("/v1/operations/"):
                return self._send(200, {"status": "succeeded"})
            if self.path.startswith("/v1/runs/"):
                # What the job wrote: the rows (read back from the landing file) plus a feature.
                landed = next((tmp_path / "landing" / "training-sets").glob("*.parquet"))
                df = pd.read_parquet(landed)
                df["last_purchase_amount"] = [None, 12.5]
                df.to_parquet(out_dir / "part-0.parquet", index=False)
                return self._send(
                    200,
                    {
                        "state": "success",
                        "log_tail": "training_set [   1.0s] 2 entity rows\nother",
                        "summary": {"rows": 2, "path": f"file:{out_dir}"},
                    },
                )
            return self._send(404, {})

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            calls.append(("POST", self.path, body))
            if self.path == "/v1/jobs":
                return self._send(201, {"version": 1})
            return self._send(202, {"operation_id": "op1", "target": "run:r1"})

        def log_message(self, *a):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    steps = []
    try:
        df = get_historical_features(
            rows(),
            ["last_purchase_amount"],
            name="t1",
            control_url=f"http://127.0.0.1:{server.server_port}",
            api_key="k",
            landing_dir=str(tmp_path / "landing"),
            progress=steps.append,
        )
    finally:
        server.shutdown()
    assert list(df.columns) == ["customer_id", "event_timestamp", "y", "last_purchase_amount"]
    assert list(df["y"]) == [1, 0]
    assert df.attrs["fstore_summary"]["run_id"] == "r1"
    assert steps == ["training_set [   1.0s] 2 entity rows"]
    posts = [c for c in calls if c[0] == "POST"]
    assert posts[0][2] == {
        "name": "training-set",
        "kind": "pyspark",
        "source": "spark-jobs/training_set.py",
    }
    args = posts[1][2]["args"]
    assert args[0] == "--entities" and args[1].startswith("training-sets/t1-")
    assert args[2:] == [
        *("--out", "t1", "--features", "last_purchase_amount"),
        *("--timestamp-column", "event_timestamp"),
    ]
