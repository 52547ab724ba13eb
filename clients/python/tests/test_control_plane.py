import uuid

import pytest
from fstore_client import ControlPlaneClient, NotAuthenticated, NotFound


@pytest.fixture()
def control(stack) -> ControlPlaneClient:
    return ControlPlaneClient(stack["control_url"], stack["api_key"])


def test_features_with_their_producers_and_one_value(control, stack):
    names = [f["name"] for f in control.list_features()]
    assert set(stack["features"]) <= set(names)
    detail = control.get_feature("avg_review", entity_id=stack["product"])
    assert (detail["name"], detail["entity_id"], detail["value"]) == (
        "avg_review",
        stack["product"],
        1,
    )
    assert detail["event_time"] == "2026-01-01T00:00:00.000Z"


def test_jobs_deployments_runs_operations(control):
    jobs = control.list_jobs()
    assert all({"name", "kind", "created_at"} <= set(j) for j in jobs)
    for job in jobs[:2]:
        assert control.get_job(job["name"])["name"] == job["name"]
    assert isinstance(control.list_deployments(live=True), list)
    runs = control.list_runs(limit=3)
    assert len(runs) <= 3
    if runs:
        assert control.get_run(runs[0]["id"])["id"] == runs[0]["id"]
        assert control.get_operation(runs[0]["operation_id"])["kind"] == "run"


def test_errors_are_typed(control, stack):
    with pytest.raises(NotFound) as missing:
        control.get_operation(str(uuid.uuid4()))
    assert (missing.value.status, missing.value.error_code) == (404, 1404)
    with pytest.raises(NotFound):
        control.get_feature("no_such_feature")
    with pytest.raises(NotAuthenticated) as refused:
        ControlPlaneClient(stack["control_url"], "no-such-key").list_jobs()
    assert refused.value.error_code == 1200
