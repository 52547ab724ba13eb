"""The control plane's read operations: features, jobs, deployments, runs, operations."""

from __future__ import annotations

import urllib.parse
from typing import cast

from ._http import JsonHttp
from .types import Deployment, Feature, FeatureDetail, Job, JobDetail, Operation, Run


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class ControlPlaneClient:
    """Reads the control plane (``FSTORE_CONTROL_URL``, e.g. http://127.0.0.1:8090) with an API
    key (``fstore apikeys create --role viewer``). Every method is a GET: retried on transient
    failures.
    """

    def __init__(
        self, base_url: str, api_key: str, *, timeout: float = 10.0, retries: int = 2
    ) -> None:
        self._http = JsonHttp(
            base_url, timeout=timeout, retries=retries, authorization=lambda: f"Bearer {api_key}"
        )

    def list_features(self) -> list[Feature]:
        """Every feature with its producing job and that job's observed state."""
        return cast(list[Feature], self._http.request("GET", "/v1/features")["features"])

    def get_feature(self, name: str, entity_id: str | None = None) -> FeatureDetail:
        """One feature; with ``entity_id`` also its stored value and event time."""
        return cast(
            FeatureDetail,
            self._http.request(
                "GET", f"/v1/features/{_segment(name)}", query={"entity_id": entity_id}
            ),
        )

    def list_jobs(self) -> list[Job]:
        return cast(list[Job], self._http.request("GET", "/v1/jobs")["jobs"])

    def get_job(self, name: str) -> JobDetail:
        """A job with its versions and live deployment id."""
        return cast(JobDetail, self._http.request("GET", f"/v1/jobs/{_segment(name)}"))

    def list_deployments(
        self, job: str | None = None, live: bool | None = None
    ) -> list[Deployment]:
        answer = self._http.request("GET", "/v1/deployments", query={"job": job, "live": live})
        return cast(list[Deployment], answer["deployments"])

    def list_runs(self, job: str | None = None, limit: int | None = None) -> list[Run]:
        """Batch runs, newest first (``limit`` 1-500, default 50)."""
        answer = self._http.request("GET", "/v1/runs", query={"job": job, "limit": limit})
        return cast(list[Run], answer["runs"])

    def get_run(self, run_id: str) -> Run:
        """One run, with the tail of its log."""
        return cast(Run, self._http.request("GET", f"/v1/runs/{_segment(run_id)}"))

    def get_operation(self, operation_id: str) -> Operation:
        return cast(
            Operation, self._http.request("GET", f"/v1/operations/{_segment(operation_id)}")
        )
