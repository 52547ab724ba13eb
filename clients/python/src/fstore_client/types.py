"""The answers' shapes, as docs/openapi/*.json defines them (TypedDicts: dicts at run time)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

EntityName = Literal["category", "customer", "customer_product", "product"]


class FeatureValue(TypedDict):
    value: float | None
    #: Event time of the value, ISO-8601.
    event_time: str | None
    #: Older than the configured maximum age for its engine.
    stale: bool


class EntityFeatures(TypedDict):
    entity: EntityName
    id: str
    #: By feature name; None when the entity has no value of that feature.
    features: dict[str, FeatureValue | None]


class Feature(TypedDict):
    name: str
    entity: str
    #: last, last_k, sum, count, avg, min or max; None when no longer defined.
    aggregation: str | None
    #: The window as defined (e.g. "30d"); None without one.
    window: str | None
    owner: str | None
    tags: list[str]
    key_template: str
    type: str
    engine: Literal["stream", "batch"]
    produced_by: str
    description: str
    registry_version: int | None
    applied_by: str | None
    applied_at: str | None
    jobs: list[str]
    #: The producing job's live deployment (stream) or last successful run (batch), or None.
    producer: dict[str, object] | None


class FeatureDetail(Feature, total=False):
    entity_id: str
    key: str
    value: float | None
    event_time: str | None


class Job(TypedDict):
    name: str
    kind: Literal["flink-sql", "pyspark"]
    description: str
    created_by: str
    created_at: str


class JobVersion(TypedDict, total=False):
    job: str
    version: int
    source: str
    sha256: str
    parameters: dict[str, str]
    created_by: str
    created_at: str
    content: str


class JobDetail(Job):
    versions: list[JobVersion]
    live_deployment_id: str | None


class Deployment(TypedDict):
    id: str
    job: str
    version: int
    desired_state: Literal["running", "paused", "cancelled"]
    observed_state: str
    observed_at: str | None
    observed_age_seconds: int | None
    stale: bool
    flink_job_id: str | None
    last_savepoint: str | None
    restarts: int
    drift: str | None
    drift_at: str | None
    pending_operation_id: str | None
    created_at: str
    updated_at: str


RunState = Literal["queued", "starting", "running", "success", "failed", "killed"]


class Run(TypedDict, total=False):
    id: str
    job: str
    version: int
    args: list[str]
    as_of: str | None
    state: RunState
    livy_batch_id: int | None
    livy_state: str | None
    error: str | None
    operation_id: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    observed_at: str | None
    #: The job's summary line as an object, e.g. a training set's rows and path (get_run only).
    summary: dict[str, Any] | None
    #: The end of its log (get_run only).
    log_tail: str | None


class Operation(TypedDict):
    id: str
    kind: Literal["deploy", "pause", "resume", "cancel", "upgrade", "recover", "run", "backfill"]
    target: str
    status: Literal["queued", "running", "succeeded", "failed"]
    attempts: int
    request: dict[str, object]
    result: dict[str, object] | None
    error: str | None
    actor: str
    idempotency_key: str | None
    created_at: str
    updated_at: str
    finished_at: str | None
