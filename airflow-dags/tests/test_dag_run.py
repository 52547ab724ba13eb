"""Runs feature_server_health once with `airflow dags test` against a real HTTP endpoint.

The endpoint is a small server this test starts (so the run does not depend on the feature
server being up); the DAG finds it through the same AIRFLOW_CONN_FSTORE_SERVING variable the
local stack sets.
"""

import pytest
from conftest import JsonHandler, dags_test, http_server

pytest.importorskip(
    "airflow", reason="runs in Airflow's own venv (see apps/cli/src/test-command.ts)"
)


class _Health(JsonHandler):
    status = "healthy"
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).requests.append(self.path)
        code, body = (
            (200, {"status": type(self).status}) if self.path == "/api/health-check" else (404, {})
        )
        self.send_json(code, body)


@pytest.fixture
def endpoint():
    _Health.requests = []
    with http_server(_Health) as address:
        yield address


def test_health_dag_calls_the_endpoint_and_succeeds(endpoint):
    _Health.status = "healthy"
    res = dags_test("feature_server_health", "fstore_serving", endpoint)
    output = res.stdout + res.stderr
    assert res.returncode == 0, output[-4000:]
    assert _Health.requests == ["/api/health-check"]
    assert "success" in output.lower()
