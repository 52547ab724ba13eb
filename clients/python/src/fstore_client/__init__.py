"""Python client of fstore: online features from the feature server and the control plane's
read operations (features, jobs, deployments, runs). Typed (py.typed), standard library only.

Modules: ``online`` (feature server), ``control_plane``, ``errors``, ``types``; the training-set
client (historical features) is meant to live beside them in ``training``.
"""

from .control_plane import ControlPlaneClient
from .errors import (
    ApiError,
    ApiUnavailable,
    ErrorDetail,
    FstoreError,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from .online import FeatureServerClient

__all__ = [
    "ApiError",
    "ApiUnavailable",
    "ControlPlaneClient",
    "ErrorDetail",
    "FeatureServerClient",
    "FstoreError",
    "InvalidRequest",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
]
